"""Levels counted on the records: a carer's name in common, rare or common, counted at
training and again at each sync (issue 11)."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from linkage.comparisons import Carers
from linkage.config import load_config
from linkage.counted import count_pairs, sync_carers
from linkage.prepare import common_carers
from linkage.splink_model import load_model, scored_levels

COUNTY, OTHER = "510421", "510402"


def _frame(rows: list[tuple[str, str | None, str, str, list[str], list[str]]]) -> pd.DataFrame:
    """(unique_id, id_valid, name, county, carers, carers_rare) rows of a linkage frame."""
    columns = ["unique_id", "id_valid", "name_pinyin_folded", "county_code", "carers", "carers_rare"]
    return pd.DataFrame(rows, columns=columns)


def test_a_name_is_common_when_the_carers_of_more_than_the_least_children_bear_it():
    """Children are distinct valid numbers: a child's second record, or a record
    without a number, does not make a name commoner."""
    least = load_config().carers["common_least"]
    rows = [(f"a{i}", f"A{i}", "x", COUNTY, ["wangfang"], []) for i in range(least + 1)]
    rows += [(f"b{i}{j}", f"B{i}", "x", COUNTY, ["liming"], []) for i in range(least) for j in range(3)]
    rows += [(f"c{i}", None, "x", COUNTY, ["liming"], []) for i in range(3)]
    assert common_carers(_frame(rows)) == {"wangfang"}


def test_pairs_are_counted_among_one_childs_records_and_among_namesakes_of_a_county():
    frame = _frame(
        [
            ("a1", "A", "zhangsan", COUNTY, ["liufang", "wangwei"], ["liufang"]),
            ("a2", "A", "zhangsan", COUNTY, ["wangwei"], []),
            ("a3", "A", "zhangsan", COUNTY, ["liufang"], ["liufang"]),
            ("b1", "B", "zhangsan", COUNTY, ["wangwei"], []),
            # Not counted: another county, no valid number, no carer.
            ("c1", "C", "zhangsan", OTHER, ["liufang"], ["liufang"]),
            ("d1", None, "zhangsan", COUNTY, ["liufang"], ["liufang"]),
            ("e1", "E", "zhangsan", COUNTY, [], []),
        ]
    )
    counts = count_pairs(frame)
    # A's three pairs: a1-a3 share the rare name, a1-a2 only the common one, a2-a3 nothing.
    # Namesakes of two children: a1-b1 and a2-b1 share the common name, a3-b1 nothing.
    assert counts[Carers.IN_COMMON_RARE] == ((1, 3), (0, 3))
    assert counts[Carers.IN_COMMON] == ((1, 3), (2, 3))


def test_a_syncs_namesakes_shrink_u_toward_the_trained_level_and_m_stays():
    model = load_model(load_config().model_file)
    trained = copy.deepcopy(scored_levels(model, Carers()))
    counts = {Carers.IN_COMMON_RARE: ((60, 100), (2, 10_000)), Carers.IN_COMMON: ((30, 100), (300, 10_000))}

    synced = sync_carers(model, counts, pseudo_pairs=1000)

    levels = scored_levels(synced, Carers())
    for key, (_, (k, n)) in counts.items():
        at = Carers().position(key)
        assert levels[at]["u_probability"] == pytest.approx(
            (k + 1000 * trained[at]["u_probability"]) / (n + 1000)
        )
        assert levels[at]["u_probability"] != pytest.approx(trained[at]["u_probability"])
        assert levels[at]["m_probability"] == pytest.approx(trained[at]["m_probability"])
    different = levels[Carers().position("different")]
    assert different["u_probability"] == pytest.approx(1 - sum(lv["u_probability"] for lv in levels[:2]))
    assert different["m_probability"] == pytest.approx(trained[-1]["m_probability"])
    assert scored_levels(model, Carers()) == trained, "the model itself is unchanged"
