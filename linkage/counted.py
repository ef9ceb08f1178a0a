"""Levels counted on the records rather than estimated by EM.

EM cannot see some levels (a school grade's window: its sessions block on birth dates);
others are counted so that adding them leaves the trained parameters as they were (the
village), or because they must be counted again at each sync (a carer's name, below).
Their m and u are counted on the records themselves, with no truth read: m on pairs
that are one child by a valid identity number, u on pairs of any two records or of the
namesakes the model must tell apart.
Training counts them all (``counted_levels``); each sync counts the carers' u again
on its own records (``sync_carers``), as it does the prior (``linkage.prior``).

Why carers twice. A parent's or guardian's name in common is what joins a roster
row without a number to its child, but not every name says as much: on an independent
200,000-child city, two different namesake children of one county shared a carer's
name 0.1% of the time when few carers bore it and 8.2% when it was among the
commonest; one child's own records shared one 92-97% of the time
(benchmarks/RESULTS.md). So ``Carers`` has a level for a name that the carers of few
of the sync's children bear (``prepare.common_carers``) and one for a commoner name;
u is counted among two namesakes of a county with different valid numbers, whose
carers share a surname more often than any two records' do. A sync's counts are
shrunk toward the trained u by ``pseudo_pairs``, so a small city's few namesakes
cannot move it far.
"""

from __future__ import annotations

import copy
import math
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from linkage.comparisons import Carers, SchoolAge, Village
from linkage.prepare import EPOCH, school_birth_window
from linkage.splink_model import scored_levels, set_counted_levels

NAMESAKES = ["name_pinyin_folded", "county_code"]  # the pairs u is counted on, with id_valid apart

# level key → ((agreeing, of) pairs of one child, (agreeing, of) namesake pairs of two)
Counts = dict[str, tuple[tuple[int, int], tuple[int, int]]]


def school_age_rates(staged: pd.DataFrame, as_of: date) -> dict[str, tuple[float, float]]:
    """m and u of the levels of ``comparisons.SchoolAge`` that a window fits, counted
    on the records. A fit on a grade and a fit on a stage alone are levels apart (the
    stage's window is wider); each is the share of windowed rows of its kind times
    how often its window holds the birth date: m on the rows that carry both a window
    and a birth date (a pupil's, a dated roster row's), u for a windowed row against
    every dated record.

    EM cannot see these levels: its sessions block on birth dates, and an undated
    graded row is too rare for random sampling to meet. Counting the rule on the rows
    that hold both sides of it needs no truth either."""
    window = school_birth_window(staged, as_of).dropna()
    born = (pd.to_datetime(staged["birth_date"]) - EPOCH).dt.days.dropna()
    kinds = {SchoolAge.FITS: True, SchoolAge.FITS_STAGE: False}
    if window.empty or born.empty:
        return dict.fromkeys(kinds, (math.nan, math.nan))
    both = window.join(born.rename("born"), how="inner")
    fits = both["born"].between(both["school_born_from"], both["school_born_to"])
    dates = np.sort(born.to_numpy())
    inside = np.searchsorted(dates, window["school_born_to"].to_numpy(int), side="right") - np.searchsorted(
        dates, window["school_born_from"].to_numpy(int), side="left"
    )
    share = pd.Series(inside / len(dates), index=window.index)
    rates = {}
    for key, graded in kinds.items():
        kind = window["school_graded"].eq(graded)
        if not kind.any():
            rates[key] = (0.0, 0.0)
            continue
        m = fits[both["school_graded"].eq(graded)].mean()
        rates[key] = (float(kind.mean() * m), float(kind.mean() * share[kind].mean()))
    return rates


def village_shares(frame: pd.DataFrame) -> tuple[float, float]:
    """m and u of ``comparisons.Village``'s same-village level: of two records of one
    township that both name a village, how often it is the same one, among a child's
    own records (two of one valid identity number: m) and among any two (u). Counted
    on the linkage frame's records, no truth read; NaN when no township is shared."""
    township = ["county_code", "township"]
    placed = frame.dropna(subset=[*township, "village"])
    numbered = placed.dropna(subset=["id_valid"])
    own = (
        agreeing_pairs(numbered, ["id_valid", *township]),
        agreeing_pairs(numbered, ["id_valid", *township, "village"]),
    )
    anyone = agreeing_pairs(placed, township), agreeing_pairs(placed, [*township, "village"])
    return tuple(same / total if total else math.nan for total, same in (own, anyone))


def agreeing_pairs(frame: pd.DataFrame, keys: list[str]) -> int:
    """How many pairs of rows agree on every one of ``keys`` (none blank)."""
    sizes = frame.dropna(subset=keys).groupby(keys).size()
    return int((sizes * (sizes - 1) // 2).sum())


def counted_levels(
    candidates: pd.DataFrame, frame: pd.DataFrame, as_of: date
) -> dict[str, dict[str, tuple[float, float]]]:
    """The levels training counts rather than estimates (comparison → level → m, u):
    ``school_age_rates`` on the staged ``candidates``, ``village_shares`` and the
    carers' ``count_pairs`` on their linkage ``frame``."""
    return {
        SchoolAge.output_column_name: school_age_rates(candidates, as_of),
        Village.output_column_name: {Village.SAME: village_shares(frame)},
        Carers.output_column_name: counted_rates(count_pairs(frame)),
    }


def count_pairs(frame: pd.DataFrame) -> Counts:
    """For ``Carers``' two in-common levels, how many pairs of the linkage frame agree
    there (a name in ``carers_rare``, or only in ``carers``): among two records of one
    valid number, and among two namesakes of a county with different valid numbers;
    rows without a valid number or a carer take no part."""
    rows = frame.loc[
        frame["id_valid"].notna() & frame["carers"].map(len).gt(0),
        ["unique_id", "id_valid", *NAMESAKES, "carers", "carers_rare"],
    ]
    own = agreeing_pairs(rows, ["id_valid"])
    namesakes = agreeing_pairs(rows, NAMESAKES) - agreeing_pairs(rows, [*NAMESAKES, "id_valid"])
    named = rows.drop(columns="carers_rare").explode("carers").rename(columns={"carers": "carer"})
    rare = rows[["unique_id", "carers_rare"]].explode("carers_rare").dropna()
    named["rare"] = pd.MultiIndex.from_frame(named[["unique_id", "carer"]]).isin(
        pd.MultiIndex.from_frame(rare)
    )
    with duckdb.connect() as con:
        con.register("named", named)
        agreeing = con.execute(
            """
            WITH pairs AS (
                SELECT a.unique_id, b.unique_id AS other, true AS own, bool_or(a.rare) AS rare
                FROM named a JOIN named b
                  ON a.carer = b.carer AND a.id_valid = b.id_valid AND a.unique_id < b.unique_id
                GROUP BY ALL
                UNION ALL
                SELECT a.unique_id, b.unique_id, false, bool_or(a.rare)
                FROM named a JOIN named b
                  ON a.carer = b.carer AND a.name_pinyin_folded = b.name_pinyin_folded
                 AND a.county_code = b.county_code AND a.id_valid <> b.id_valid AND a.unique_id < b.unique_id
                GROUP BY ALL
            )
            SELECT own, rare, count(*) AS n FROM pairs GROUP BY ALL
            """
        ).df()
    agreeing = agreeing.set_index(["own", "rare"])["n"]

    def k(is_own: bool, rare: bool) -> int:
        return int(agreeing.get((is_own, rare), 0))

    return {
        Carers.IN_COMMON_RARE: ((k(True, True), own), (k(False, True), namesakes)),
        Carers.IN_COMMON: ((k(True, False), own), (k(False, False), namesakes)),
    }


def counted_rates(counts: Counts) -> dict[str, tuple[float, float]]:
    """level key → (m, u) as counted: training's, NaN where there was nothing to count."""
    return {key: tuple(k / n if n else math.nan for k, n in sides) for key, sides in counts.items()}


def sync_carers(model: dict[str, Any], counts: Counts, pseudo_pairs: float) -> dict[str, Any]:
    """A copy of the model whose in-common levels have this sync's u: the namesake
    pairs of its ``counts`` shrunk toward the model's u, as if that had been counted on
    ``pseudo_pairs`` more pairs. It is not floored as training floors EM's estimates:
    the trained u's share keeps it above zero, and at a million children the floor
    (1e-4) was above the count.

    m stays the trained one. u is the city's: how many namesakes share a name grows
    with the city, and each city names its own. m is how consistently departments name
    a child's carers; counted again on the sync's pairs of one number, on the
    independent messy city it made "carers differ" weigh -3.8 instead of -2.3, and
    undated roster rows whose guardian is not the head or spouse fell below the review
    floor (benchmarks/RESULTS.md)."""
    levels = scored_levels(model, Carers())
    rates = {}
    for key, (_, (k, n)) in counts.items():
        level = levels[Carers().position(key)]
        rates[key] = (
            level["m_probability"],
            (k + pseudo_pairs * level["u_probability"]) / (n + pseudo_pairs),
        )
    out = copy.deepcopy(model)
    set_counted_levels(out, Carers(), rates)
    return out
