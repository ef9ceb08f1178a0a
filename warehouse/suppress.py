"""Rows of children erased on request are not staged again (registry.md, Access → Erasure).

An erased child leaves only keyed hashes behind (``restricted.suppressions``): of
each identity number its records carried, of each record's name + birth date +
county, for rows that come without a number, and of each record's content key (the
same row in next month's extract, even a roster row with neither a number nor a
birth date). A staged row is suppressed when its valid identity number hashes to an
entry; a row without one, when its name, birth date and county do; any row, when its
content key does. Suppressed rows are counted per source (``rows_suppressed`` in
``registry.syncs``), never kept: not staged, not quarantined, not logged.

The hash is HMAC-SHA256 under a key the warehouse keeps apart from the hashes
(``warehouse.erase.hash_key``): an identity number has too few possibilities for a
plain hash to hide it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

import pandas as pd

ID_NUMBER, NAME_BIRTH_COUNTY, RECORD_KEY = "id_number", "name_birth_county", "record_key"


def keyed_hash(key: bytes, kind: str, text: str) -> str:
    """The suppression digest of one identity (``kind`` keeps the two kinds apart)."""
    return hmac.new(key, f"{kind}\x1f{text}".encode(), hashlib.sha256).hexdigest()


def _name_birth_county(frame: pd.DataFrame) -> pd.Series:
    """``name_norm|YYYY-MM-DD|county`` per row, None where any part is missing."""
    born = pd.to_datetime(frame["birth_date"], errors="coerce").dt.strftime("%Y-%m-%d")
    parts = [frame["name_norm"], born, frame["county_code"]]
    complete = pd.concat(parts, axis=1).notna().all(axis=1)
    text = parts[0].astype(str) + "|" + parts[1].astype(str) + "|" + parts[2].astype(str)
    return text.where(complete, None)


def identity_digests(frame: pd.DataFrame, key: bytes) -> dict[str, pd.Series]:
    """Per kind, the digest of each row's identity of that kind (None where the row lacks
    it): ``frame`` has PERSON's identity columns; ``record_key`` is optional."""

    def digest(values: pd.Series, kind: str) -> pd.Series:
        table = {v: keyed_hash(key, kind, str(v)) for v in values.dropna().unique()}
        return values.map(table)

    out = {
        ID_NUMBER: digest(frame["id_number"], ID_NUMBER),
        NAME_BIRTH_COUNTY: digest(_name_birth_county(frame), NAME_BIRTH_COUNTY),
    }
    if RECORD_KEY in frame:
        out[RECORD_KEY] = digest(frame[RECORD_KEY], RECORD_KEY)
    return out


@dataclass(frozen=True)
class Suppressions:
    """The warehouse's suppression entries and the key they were made with."""

    key: bytes | None = None
    digests: frozenset[str] = field(default_factory=frozenset)

    def drop(self, staged: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
        """Staged rows without the erased children's, and how many were dropped per source."""
        if not self.digests or self.key is None or staged.empty:
            return staged, {}
        digests = identity_digests(staged, self.key)
        by_id, by_name = (digests[k].isin(self.digests) for k in (ID_NUMBER, NAME_BIRTH_COUNTY))
        hit = by_id.where(staged["id_number"].notna(), by_name)
        if RECORD_KEY in digests:
            hit |= digests[RECORD_KEY].isin(self.digests)
        counts = staged.loc[hit, "source_system"].value_counts()
        return staged.loc[~hit], {str(s): int(n) for s, n in counts.items()}
