"""Rows of children erased on request are not staged again (registry.md, Access → Erasure).

An erased child leaves only keyed hashes behind (``restricted.suppressions``): of
each identity number its records carried, and of each record's name + birth date +
county, for rows that come without a number. A staged row is suppressed when its
valid identity number hashes to an entry; a row without one, when its name, birth
date and county do. Suppressed rows are counted per source (``rows_suppressed`` in
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

ID_NUMBER, NAME_BIRTH_COUNTY = "id_number", "name_birth_county"


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


def identity_digests(frame: pd.DataFrame, key: bytes) -> tuple[pd.Series, pd.Series]:
    """(digest of each row's valid identity number, digest of its name + birth date + county);
    None where the row lacks the parts. ``frame`` has PERSON's identity columns."""

    def digest(values: pd.Series, kind: str) -> pd.Series:
        unique = values.dropna().unique()
        table = {v: keyed_hash(key, kind, str(v)) for v in unique}
        return values.map(table)

    return digest(frame["id_number"], ID_NUMBER), digest(_name_birth_county(frame), NAME_BIRTH_COUNTY)


@dataclass(frozen=True)
class Suppressions:
    """The warehouse's suppression entries and the key they were made with."""

    key: bytes | None = None
    digests: frozenset[str] = field(default_factory=frozenset)

    def drop(self, staged: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
        """Staged rows without the erased children's, and how many were dropped per source."""
        if not self.digests or self.key is None or staged.empty:
            return staged, {}
        by_id, by_name = identity_digests(staged, self.key)
        hit = by_id.isin(self.digests).where(staged["id_number"].notna(), by_name.isin(self.digests))
        hit = hit.fillna(False).astype(bool)
        counts = staged.loc[hit, "source_system"].value_counts()
        return staged.loc[~hit], {str(s): int(n) for s, n in counts.items()}
