"""What makes a review workbook's row trustworthy: a keyed signature over the pair
as issued and over what identifies its records to the reviewer.

The key is the warehouse's own (``warehouse.review_key``): a plain hash anyone can
recompute, so a workbook could be made up from scratch; an HMAC cannot be without
the key. Signing what the reviewer reads (names, masked numbers) as well as the
pair's keys catches a row edited by hand, or a sort of some columns only that put a
decision beside another pair's keys.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

# The logical cells a row's signature covers, in order.
SIGNED = ["pair_id", "record_key_l", "record_key_r", "name_l", "name_r", "id_l", "id_r"]


def _text(value: object) -> str:
    return "" if value is None or value != value else str(value).strip()


def sign(key: bytes, values: Sequence[object]) -> str:
    """HMAC-SHA256 of the values (missing ones as empty text), as 32 hex digits."""
    message = "\x1f".join(_text(v) for v in values).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def verified(key: bytes, values: Sequence[object], signature: object) -> bool:
    return hmac.compare_digest(sign(key, values), _text(signature))


def mask_id(number: object, visible: tuple[int, int]) -> str | None:
    """An identity number with its middle hidden: first and last characters as
    ``visible`` says (e.g. 510411****1234); a short one is hidden whole."""
    text = _text(number)
    if not text:
        return None
    head, tail = visible
    if len(text) <= head + tail:
        return "*" * len(text)
    return f"{text[:head]}****{text[-tail:]}"
