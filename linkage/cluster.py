"""Clusters of records that respect hard facts.

Splink's connected components would chain a pair of twins through one weak link,
or join two children carrying different valid identity numbers. Here edges are
taken strongest first and an edge is refused when it would put two different valid
numbers, or a pair a reviewer called different, into one child.

An edge is also refused when it would join two groups whose birth dates all
disagree (none the same, within the lunar window or day and month swapped: the
model's own "may be the same date" levels, ``BirthDate.MAY_BE_SAME_DATE``). Such a
join is a chain through a record that holds no birth date — a household-roster row
without a usable number has none (sources.md) — matched on its name and place to the
records of two children: the model compared the roster row with each child, never
the two children with each other.

That ordered pass is Python, one edge at a time; it only changes anything in the
few components where such a fact exists. Every other component is a cluster as it
stands, found with SciPy's connected components: at a million children the ordered
pass over every edge took minutes.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from linkage.comparisons import BirthDate
from values.ids import never_one_child

_EDGE = ["record_id_l", "record_id_r"]

# Birth dates this many days apart may still be one child's (a lunar birthday): the
# birth-date comparison's own window (values.dates.LUNAR_WINDOW_DAYS).
SAME_BIRTH_DAYS = BirthDate().lunar_window_days


class _Components:
    """Union-find whose roots remember the valid ids and cannot-link partners inside."""

    def __init__(
        self,
        records: Iterable[str],
        valid_ids: dict[str, str],
        births: dict[str, pd.Timestamp] | None = None,
    ):
        self.parent = {r: r for r in records}
        self.ids = {r: {valid_ids[r]} if valid_ids.get(r) else set() for r in self.parent}
        births = births or {}
        self.births = {r: frozenset([births[r]]) if r in births else frozenset() for r in self.parent}
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

    def refusal(self, ra: str, rb: str) -> str | None:
        """Which hard fact forbids joining the groups of roots ``ra`` and ``rb``, if any."""
        fact = never_one_child(self.ids[ra], self.births[ra], self.ids[rb], self.births[rb], SAME_BIRTH_DAYS)
        if fact is not None:
            return fact
        if any(self.find(x) == rb for x in self.cannot[ra]):
            return "cannot_link"
        return None

    def allowed(self, ra: str, rb: str) -> bool:
        return self.refusal(ra, rb) is None

    def union(self, ra: str, rb: str) -> None:
        small, big = sorted((ra, rb))  # the smaller id becomes the root: deterministic
        self.parent[big] = small
        self.ids[small] |= self.ids.pop(big)
        self.births[small] |= self.births.pop(big)
        self.cannot[small] |= self.cannot.pop(big)


def _ordered_clusters(
    records: pd.DataFrame,
    strong: pd.DataFrame,
    must_link: list[tuple[str, str]],
    cannot_link: list[tuple[str, str]],
    refused: list[tuple[str, str, str]] | None = None,
) -> pd.DataFrame:
    """Edges strongest first, each refused if it would join what must stay apart.

    A reviewer's must-link is refused too when a hard fact forbids it (the reviewer
    saw two records, not the numbers and dates of both children); each refused one
    is appended to ``refused`` as (record a, record b, the fact), for the review queue.
    """
    valid = dict(
        zip(records["record_id"], records["id_number"].where(records["id_number"].notna()), strict=True)
    )
    births = {}
    if "birth_date" in records:
        dates = pd.to_datetime(records["birth_date"])
        births = {r: d for r, d in zip(records["record_id"], dates, strict=True) if pd.notna(d)}
    comps = _Components(records["record_id"], {k: v for k, v in valid.items() if isinstance(v, str)}, births)
    joined_by: dict[str, float] = {}
    for a, b in cannot_link:
        comps.forbid(a, b)
    for a, b in must_link:
        ra, rb = comps.find(a), comps.find(b)
        if ra == rb:
            continue
        why = comps.refusal(ra, rb)
        if why is None:
            comps.union(ra, rb)
        elif refused is not None:
            refused.append((a, b, why))
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


def _components(records: pd.Series, edges: pd.DataFrame) -> np.ndarray:
    """Connected components of the records over the edges (record_id_l, record_id_r),
    as one component number per record, in the order of ``records``."""
    codes = pd.Index(records)
    left = codes.get_indexer(edges["record_id_l"])
    right = codes.get_indexer(edges["record_id_r"])
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(len(codes), len(codes)))
    return connected_components(graph, directed=False)[1]


def _conflicted(records: pd.DataFrame, component: np.ndarray, decided: list[tuple[str, str]]) -> np.ndarray:
    """Components where a hard fact can refuse an edge: two valid numbers, birth
    dates more than ``SAME_BIRTH_DAYS`` apart, or a reviewer's decision. Only there
    does the order of the edges matter (a wide span of dates is a superset of dates
    that disagree: such a component merely takes the ordered pass)."""
    by_record = pd.Series(component, index=records["record_id"])
    numbers = pd.Series(records["id_number"].to_numpy(), index=component).dropna()
    several = numbers.groupby(level=0).nunique()
    flagged = set(several.index[several > 1])
    if "birth_date" in records:
        born = pd.Series(pd.to_datetime(records["birth_date"]).to_numpy(), index=component).dropna()
        by_component = born.groupby(level=0)
        span = by_component.max() - by_component.min()
        flagged |= set(span.index[span > pd.Timedelta(days=SAME_BIRTH_DAYS)])
    flagged |= {by_record[a] for pair in decided for a in pair if a in by_record.index}
    return np.isin(component, list(flagged))


def _simple_clusters(records: pd.Series, component: np.ndarray, strong: pd.DataFrame) -> pd.DataFrame:
    """Clusters of components without conflicts: every strong edge joins, so the
    cluster is the component and a record's joining edge is its strongest one."""
    frame = pd.DataFrame({"record_id": records.to_numpy(), "component": component})
    # The smallest record id of each component: the first of it in record id order
    # (a pandas ``min`` over strings runs in Python, one group at a time).
    by_id = frame.sort_values("record_id")
    first = by_id.drop_duplicates("component").set_index("component")["record_id"]
    frame["cluster_id"] = frame["component"].map(first)
    ends = pd.concat(
        [
            strong[["record_id_l", "match_probability"]].rename(columns={"record_id_l": "record_id"}),
            strong[["record_id_r", "match_probability"]].rename(columns={"record_id_r": "record_id"}),
        ]
    )
    strongest = ends.groupby("record_id")["match_probability"].max()
    frame["match_probability"] = frame["record_id"].map(strongest).fillna(1.0)
    return frame[["record_id", "cluster_id", "match_probability"]]


def tied(records: pd.DataFrame, pairs: pd.DataFrame, threshold: float, margin_bits: float) -> pd.Series:
    """Which strong pairs belong to a record without a birth date or valid number whose
    strongest pairs, within ``margin_bits`` of match weight, reach records of two children
    (records a hard fact keeps apart: two numbers, birth dates that disagree).

    Such a row — a household-roster row without a number, matching on name, carers and
    township two same-named children — would join whichever child the ordered pass met
    first: a coin flip. All its strong pairs go to review instead. ``records``: as for
    ``cluster``; ``pairs``: record_id_l, record_id_r, match_probability, match_weight.
    Returns a boolean per row of ``pairs``.
    """
    strong = pairs.loc[pairs["match_probability"] >= threshold, [*_EDGE, "match_weight"]]
    undated = records.loc[records["birth_date"].isna() & records["id_number"].isna(), "record_id"]
    ends = pd.concat(
        [
            strong.set_axis(["row", "other", "weight"], axis=1),
            strong[["record_id_r", "record_id_l", "match_weight"]].set_axis(
                ["row", "other", "weight"], axis=1
            ),
        ]
    )
    ends = ends.loc[ends["row"].isin(set(undated))].sort_values(
        ["row", "weight", "other"], ascending=[True, False, True]
    )
    top = ends.drop_duplicates("row").set_index("row")
    close = ends.loc[ends["weight"] >= ends["row"].map(top["weight"]) - margin_bits]
    rivals = close.loc[close["other"] != close["row"].map(top["other"])]
    if rivals.empty:
        return pd.Series(False, index=pairs.index)
    involved = records.loc[records["record_id"].isin(set(rivals["other"]) | set(top["other"]))]
    births = pd.to_datetime(involved["birth_date"])
    numbers = involved["id_number"]
    comps = _Components(
        involved["record_id"],
        {r: n for r, n in zip(involved["record_id"], numbers, strict=True) if isinstance(n, str)},
        {r: d for r, d in zip(involved["record_id"], births, strict=True) if pd.notna(d)},
    )
    firsts = rivals["row"].map(top["other"])
    apart = [comps.refusal(a, b) is not None for a, b in zip(firsts, rivals["other"], strict=True)]
    rows = set(rivals.loc[apart, "row"])
    touching = pairs["record_id_l"].isin(rows) | pairs["record_id_r"].isin(rows)
    return touching & (pairs["match_probability"] >= threshold)


def cluster(
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    threshold: float,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
    refused: list[tuple[str, str, str]] | None = None,
) -> pd.DataFrame:
    """Assign every record to a cluster.

    ``records``: record_id, id_number (valid or NULL), optionally birth_date (NULL
    when the record holds none). ``pairs``: record_id_l, record_id_r (both among
    ``records``), match_probability, optionally sole (a pair that joins below the
    threshold: a roster row's sole candidate, ``linkage.sole``; it is taken after every
    stronger pair, as any edge is); reviewers' links may name records of other syncs
    and are ignored then. Returns record_id, cluster_id (smallest record id
    of the cluster), match_probability (strongest edge that joined the record; 1.0
    for a record alone or joined by a reviewer). Must-links a hard fact forbids are
    not applied; they are appended to ``refused`` as (record a, record b, the fact:
    different_numbers / birth_dates / cannot_link).
    """
    known = set(records["record_id"])
    must = [(a, b) for a, b in must_link if a in known and b in known]
    cannot = [(a, b) for a, b in cannot_link if a in known and b in known]
    joins = pairs["match_probability"] >= threshold
    if "sole" in pairs:
        joins |= pairs["sole"].astype(bool)
    strong = pairs.loc[joins, [*_EDGE, "match_probability"]]
    component = _components(
        records["record_id"], pd.concat([strong[_EDGE], pd.DataFrame(must, columns=_EDGE)])
    )
    hard = _conflicted(records, component, must + cannot)
    hard_records = set(records["record_id"].to_numpy()[hard])
    in_hard = strong["record_id_l"].isin(hard_records)
    parts = [
        _simple_clusters(records["record_id"][~hard], component[~hard], strong.loc[~in_hard]),
        _ordered_clusters(records.loc[hard], strong.loc[in_hard], must, cannot, refused),
    ]
    clusters = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    return clusters.set_index("record_id").reindex(records["record_id"]).reset_index()
