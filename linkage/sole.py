"""A household-roster row that joined no child, when its pairs reach one child only.

A roster row without a usable number has no birth date (sources.md, extracts 2 and 3),
and an insurance row has no township and no carers: such a pair agrees on name, sex,
county and the family's programme, and the model, scoring it as though any other child
of the name could be the row's, leaves it below the match threshold. Yet the sync's
pairs say more than the pair does: when every pair the row has above the review floor
reaches one child, and that child holds no row of the same roster in another household
(a child is one household's member), no other child of the name is there to be the row's.

Such a row joins that child when the pair also agrees on a fact a namesake seldom
shares: the programme its insurance subsidy names, the school age its grade gives, or a
guardian: the child's records name one that the records of the row's siblings (other
children of its household, already linked) name. Without one, a sole candidate was the
wrong child one time in twenty on the independent messy city; with one, never.

A child with no home in the records is the other case: none of its records names a
carer or a township (a child known from insurance alone), so nothing could gainsay the
row, and the row is the household record the child lacks. The row joins such a child
when every other child it reaches has a home elsewhere: its records name a carer or a
township, yet none of its pairs with the row agrees on the township with carers that do
not differ (its school or ledger row scored below the review floor against the row, or
named carers the household has none of), and none corroborates. Carers that differ are
no proof on their own, since a child's school may name a grandparent where the roster
names the father, so they decide only for a homeless child, never against a
corroborated one. Such joins were wrong 2 times in 121 on the independent 200,000-child
cities and once in 7 on our own, each a row whose child has no other record joined to a
namesake (benchmarks/RESULTS.md). Every pair that joins a row here stays in the review
queue (``sole_candidate``), so that a reviewer can part them.
"""

from __future__ import annotations

import json

import pandas as pd

from linkage.comparisons import DIFFERENT, Carers, Place, Programme, SchoolAge, comparison_named
from values.cells import apply_unique
from values.names import folded_pinyin

# The levels that corroborate a sole candidate: comparison → level key.
CORROBORATING = {
    Programme.output_column_name: Programme.SAME,
    SchoolAge.output_column_name: SchoolAge.FITS,
}
_ENDS = ["pair", "row", "other", "match_probability", "automatic", "levels"]


def corroborated(levels: pd.Series) -> pd.Series:
    """Which pairs (their ``levels`` JSON, comparison → label) agree on a corroborating
    level (``CORROBORATING``)."""
    labels = {name: comparison_named(name).level(key).label for name, key in CORROBORATING.items()}
    parsed = levels.map(json.loads)
    return pd.Series(
        [any(found.get(name) == label for name, label in labels.items()) for found in parsed],
        index=levels.index,
        dtype=bool,
    )


def _ends(pairs: pd.DataFrame) -> pd.DataFrame:
    """Each pair twice, once from each record (``row``) towards the other."""
    keep = ["record_id_l", "record_id_r", "match_probability", "automatic", "levels"]
    frame = pairs[keep].assign(pair=pairs.index)
    return pd.concat(
        [
            frame.rename(columns={"record_id_l": "row", "record_id_r": "other"}),
            frame.rename(columns={"record_id_r": "row", "record_id_l": "other"}),
        ],
        ignore_index=True,
    )[_ENDS]


def _other_household(ends: pd.DataFrame, records: pd.DataFrame) -> pd.Series:
    """Whether the candidate child holds a row of the row group's roster in another
    household: ``ends`` has ``group`` and ``candidate`` (cluster ids)."""
    rosters = records.loc[records["household_id"].notna(), ["cluster_id", "source_system", "household_id"]]
    links = ends[["group", "candidate"]].drop_duplicates()
    both = links.merge(rosters.rename(columns={"cluster_id": "group"}), on="group").merge(
        rosters.rename(columns={"cluster_id": "candidate", "household_id": "held"}),
        on=["candidate", "source_system"],
    )
    apart = both.loc[both["household_id"].ne(both["held"]), ["group", "candidate"]].drop_duplicates()
    keys = pd.MultiIndex.from_frame(ends[["group", "candidate"]])
    return pd.Series(keys.isin(pd.MultiIndex.from_frame(apart)), index=ends.index)


def _homed(ends: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
    """Whether the candidate child has a home in the records: one of them names a carer or
    a township. A child known from insurance alone has none: its records place it no
    closer than its county. ``frame`` has cluster_id, guardian_name and township."""
    homed = frame.loc[frame["guardian_name"].notna() | frame["township"].notna(), "cluster_id"]
    return ends["candidate"].isin(set(homed))


def _home_elsewhere(ends: pd.DataFrame, homed: pd.Series, agrees: pd.Series) -> pd.Series:
    """Whether the candidate child has a home in the records (``homed``) that is not the
    row's: no pair of the group's with it agrees on the township with carers that do not
    differ (its home records scored below the review floor against the row, or named
    carers the row's household has none of), and none is corroborated (``agrees``, per
    end). ``ends`` has ``group``, ``candidate`` and ``levels``."""
    township = comparison_named(Place.output_column_name).level(Place.TOWNSHIP).label
    differ = comparison_named(Carers.output_column_name).level(DIFFERENT).label
    found = ends["levels"].map(json.loads)
    here = found.map(
        lambda f: f.get(Place.output_column_name) == township and f.get(Carers.output_column_name) != differ
    )
    at_home = (here | agrees).groupby([ends["group"], ends["candidate"]]).transform("any")
    return homed & ~at_home.astype(bool)


def _homeless_left(ends: pd.DataFrame, frame: pd.DataFrame, agrees: pd.Series) -> pd.Series:
    """Whether the candidate child has no home in the records and is the one child the
    group reaches that has no home elsewhere (``_home_elsewhere``)."""
    homed = _homed(ends, frame)
    left = (
        ends["candidate"]
        .where(~_home_elsewhere(ends, homed, agrees))
        .groupby(ends["group"])
        .transform("nunique")
    )
    return ~homed & left.eq(1)


def _siblings_guardian(ends: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
    """Whether the candidate child's records name a guardian (folded pinyin) that the
    records of a sibling name: another child's cluster holding a row of one of the
    group's households. ``ends`` has ``group`` and ``candidate``; ``frame`` record_id,
    cluster_id, child, household_id, guardian_name."""
    homes = frame.loc[frame["household_id"].notna(), ["cluster_id", "household_id", "child"]]
    groups = homes.loc[homes["cluster_id"].isin(ends["group"]), ["cluster_id", "household_id"]]
    siblings = (
        groups.rename(columns={"cluster_id": "group"})
        .merge(
            homes.loc[homes["child"], ["cluster_id", "household_id"]].rename(
                columns={"cluster_id": "sibling"}
            ),
            on="household_id",
        )[["group", "sibling"]]
        .drop_duplicates()
    )
    wanted = set(siblings["sibling"]) | set(ends["candidate"])
    named = frame.loc[frame["guardian_name"].notna() & frame["cluster_id"].isin(wanted)]
    guardians = (
        pd.DataFrame(
            {"cluster_id": named["cluster_id"], "carer": apply_unique(named["guardian_name"], folded_pinyin)}
        )
        .dropna()
        .drop_duplicates()
    )
    of_siblings = siblings.merge(guardians.rename(columns={"cluster_id": "sibling"}), on="sibling")
    links = ends[["group", "candidate"]].drop_duplicates()
    of_candidates = links.merge(guardians.rename(columns={"cluster_id": "candidate"}), on="candidate")
    shared = of_candidates.merge(of_siblings, on=["group", "carer"])
    shared = shared.loc[shared["sibling"].ne(shared["candidate"]), ["group", "candidate"]].drop_duplicates()
    keys = pd.MultiIndex.from_frame(ends[["group", "candidate"]])
    return pd.Series(keys.isin(pd.MultiIndex.from_frame(shared)), index=ends.index)


def sole_candidates(records: pd.DataFrame, pairs: pd.DataFrame, clusters: pd.DataFrame) -> pd.Series:
    """Which pairs join a group of roster rows that joined no child to the one child its
    pairs reach (at most one pair per group: its strongest automatic pair that is
    corroborated or reaches a homeless child).

    ``records``: record_id, role, source_system, household_id, guardian_name, township. ``pairs``:
    record_id_l, record_id_r, match_probability, automatic (``link._mergeable``), levels
    (JSON). ``clusters``: record_id, cluster_id, as clustering left them without these
    pairs. Returns a boolean per row of ``pairs``.
    """
    columns = ["record_id", "role", "source_system", "household_id", "guardian_name", "township"]
    frame = records[columns].merge(clusters[["record_id", "cluster_id"]], on="record_id")
    frame["child"] = frame["role"].eq("child").groupby(frame["cluster_id"]).transform("any")
    # Only pairs of a row in no child's cluster: at a million children, a few thousand of
    # two and a half million.
    alone = frame.loc[~frame["child"], "record_id"]
    ends = _ends(pairs.loc[pairs["record_id_l"].isin(alone) | pairs["record_id_r"].isin(alone)])
    by_record = frame.set_index("record_id")
    ends = ends.loc[ends["row"].isin(alone) & ends["other"].map(by_record["child"]).eq(True)]
    ends["group"], ends["candidate"] = (
        ends["row"].map(by_record["cluster_id"]),
        ends["other"].map(by_record["cluster_id"]),
    )
    ends = ends.loc[~_other_household(ends, frame)]
    sole = ends.groupby("group")["candidate"].transform("nunique").eq(1)
    agrees = corroborated(ends["levels"])
    agreed = sole & (agrees | _siblings_guardian(ends, frame))
    chosen = ends.loc[ends["automatic"].astype(bool) & (agreed | _homeless_left(ends, frame, agrees))]
    best = chosen.sort_values(["match_probability", "pair"], ascending=[False, True]).drop_duplicates("group")
    return pd.Series(pairs.index.isin(best["pair"]), index=pairs.index)
