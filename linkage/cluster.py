"""Clusters of records that respect hard facts.

Splink's connected components would chain a pair of twins through one weak link,
or join two children carrying different valid identity numbers. Here edges are
taken strongest first and an edge is refused when it would put two different valid
numbers, or a pair a reviewer called different, into one child.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


class _Components:
    """Union-find whose roots remember the valid ids and cannot-link partners inside."""

    def __init__(self, records: Iterable[str], valid_ids: dict[str, str]):
        self.parent = {r: r for r in records}
        self.ids = {r: {valid_ids[r]} if valid_ids.get(r) else set() for r in self.parent}
        self.cannot: dict[str, set[str]] = {r: set() for r in self.parent}

    def find(self, r: str) -> str:
        root = r
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[r] != root:
            self.parent[r], r = root, self.parent[r]
        return root

    def forbid(self, a: str, b: str) -> None:
        self.cannot[a].add(b)
        self.cannot[b].add(a)

    def allowed(self, ra: str, rb: str) -> bool:
        if len(self.ids[ra] | self.ids[rb]) > 1:
            return False
        return not any(self.find(x) == rb for x in self.cannot[ra])

    def union(self, ra: str, rb: str) -> None:
        small, big = sorted((ra, rb))  # the smaller id becomes the root: deterministic
        self.parent[big] = small
        self.ids[small] |= self.ids.pop(big)
        self.cannot[small] |= self.cannot.pop(big)


def cluster(
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    threshold: float,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
) -> pd.DataFrame:
    """Assign every record to a cluster.

    ``records``: record_id, id_number (valid or NULL). ``pairs``: record_id_l,
    record_id_r, match_probability. Returns record_id, cluster_id (smallest record id
    of the cluster), match_probability (strongest edge that joined the record; 1.0
    for a record alone or joined by a reviewer).
    """
    valid = dict(
        zip(records["record_id"], records["id_number"].where(records["id_number"].notna()), strict=True)
    )
    comps = _Components(records["record_id"], {k: v for k, v in valid.items() if isinstance(v, str)})
    joined_by: dict[str, float] = {}
    for a, b in cannot_link:
        if a in comps.parent and b in comps.parent:
            comps.forbid(a, b)
    for a, b in must_link:
        if a in comps.parent and b in comps.parent and comps.find(a) != comps.find(b):
            comps.union(comps.find(a), comps.find(b))
    strong = pairs.loc[pairs["match_probability"] >= threshold]
    strong = strong.sort_values(
        ["match_probability", "record_id_l", "record_id_r"], ascending=[False, True, True]
    )
    for a, b, p in zip(
        strong["record_id_l"], strong["record_id_r"], strong["match_probability"], strict=True
    ):
        ra, rb = comps.find(a), comps.find(b)
        if ra == rb or not comps.allowed(ra, rb):
            continue
        comps.union(ra, rb)
        # Edges come strongest first, so the first one to touch a record is its strongest.
        joined_by.setdefault(a, float(p))
        joined_by.setdefault(b, float(p))
    ids = list(comps.parent)
    return pd.DataFrame(
        {
            "record_id": ids,
            "cluster_id": [comps.find(r) for r in ids],
            "match_probability": [joined_by.get(r, 1.0) for r in ids],
        }
    )
