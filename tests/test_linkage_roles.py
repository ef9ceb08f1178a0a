"""An undated roster row's relationship to the head as a term of the match weight."""

import math

import pandas as pd
import pytest

from linkage.roles import ROLE, child_share, role_weights, weigh_roles


def _roster(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id", "role", "relationship"])


def test_share_of_children_is_read_from_the_dated_rows_of_each_relationship():
    rows = [(f"s{i}", "child", "son") for i in range(9)] + [("s9", "adult", "son")]
    rows += [(f"o{i}", "adult", "other") for i in range(10)]
    rows += [("u", "undetermined", "other"), ("h", "adult", None)]
    share = child_share(_roster(rows))
    # Undetermined and relationship-less rows say nothing; (children + 1) / (dated + 2).
    assert share.to_dict() == pytest.approx({"son": 10 / 12, "other": 1 / 12})


def test_only_undetermined_rows_get_a_weight_and_an_unseen_relationship_gets_one_half():
    share = pd.Series({"son": 0.9, "other": 0.1})
    candidates = _roster(
        [
            ("a", "child", "other"),
            ("b", "undetermined", "son"),
            ("c", "undetermined", "other"),
            ("d", "undetermined", "sibling"),
        ]
    )
    weights = role_weights(candidates, share)
    assert weights.to_dict() == pytest.approx({"a": 0.0, "b": math.log2(0.9), "c": math.log2(0.1), "d": -1.0})


def test_a_pair_with_an_unlikely_child_loses_its_odds_and_may_fall_out():
    weights = pd.Series({"other": math.log2(0.1), "son": math.log2(0.9)})
    scored = pd.DataFrame(
        {
            "record_id_l": ["child1", "child2", "child3"],
            "record_id_r": ["other", "son", "child4"],
            "match_weight": [2.0, 2.0, -1.0],
            "match_probability": [0.8, 0.8, 1 / 3],
        }
    )
    out = weigh_roles(scored, weights, lower=0.3).set_index("record_id_r")
    # 2 + log2(0.1) = -1.32: probability 0.286 < 0.3, dropped as Splink drops such pairs.
    assert list(out.index) == ["son", "child4"]
    assert out.loc["son", "match_weight"] == pytest.approx(2 + math.log2(0.9))
    assert out.loc["son", "match_probability"] == pytest.approx(1 / (1 + 2 ** -(2 + math.log2(0.9))))
    assert out.loc["child4", f"mw_{ROLE}"] == 0.0
