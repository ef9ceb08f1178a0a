"""The review queue's side of linkage: why a pair is asked, in what order, and
reviewers' must-links that never override a hard fact (issues 13.4 and 15.1)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from linkage.cluster import cluster
from linkage.config import load_config
from linkage.link import PRIOR, _review_queue, _weights_json, pair_id


def _records(ids: dict[str, str | None], births: list[str | None] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"record_id": list(ids), "id_number": list(ids.values())})
    if births is not None:
        frame["birth_date"] = pd.to_datetime(births)
    return frame


def _groups(result: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(g) for _, g in result.groupby("cluster_id")["record_id"]}


def _pairs(*edges: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(edges, columns=["record_id_l", "record_id_r", "match_probability"])


def test_a_must_link_between_two_valid_numbers_is_refused_and_reported():
    # a and c: different valid numbers. The reviewer says a is b, and b is c (or a is c directly).
    records = _records({"a": "510402201503020011", "b": None, "c": "510402201503020038"})
    refused: list[tuple[str, str, str]] = []
    must = [("a", "b"), ("b", "c"), ("c", "a")]
    result = cluster(records, _pairs(("b", "c", 0.99)), 0.9, must_link=must, refused=refused)
    assert _groups(result) == {frozenset({"a", "b"}), frozenset({"c"})}
    assert refused == [("b", "c", "different_numbers"), ("c", "a", "different_numbers")]


def test_a_must_link_across_birth_dates_or_a_cannot_link_is_refused_and_one_that_holds_applies():
    records = _records({"a": None, "b": None, "c": None, "d": None}, ["2013-04-20", "2011-08-22", None, None])
    refused: list[tuple[str, str, str]] = []
    result = cluster(
        records,
        _pairs(),
        0.9,
        must_link=[("a", "b"), ("c", "d"), ("a", "c")],
        cannot_link=[("d", "a")],
        refused=refused,
    )
    assert _groups(result) == {frozenset({"a"}), frozenset({"b"}), frozenset({"c", "d"})}
    assert refused == [("a", "b", "birth_dates"), ("a", "c", "cannot_link")]


def _scored() -> pd.DataFrame:
    keys = {f"r{i}": f"k{i}" for i in range(10)}
    frame = pd.DataFrame(
        [
            ("r0", "r1", 0.55, True),  # below the threshold
            ("r2", "r3", 0.995, False),  # strong, names do not sound alike: twin guard
            ("r0", "r4", 0.97, True),  # strong, two different valid numbers
            ("r4", "r5", 0.99, True),  # strong and fine: not asked
            ("r1", "r5", 0.31, True),  # below the threshold, decided already
            ("r6", "r7", 0.96, True),  # strong, but r6 ties two children (linkage.cluster.tied)
            ("r8", "r9", 0.45, True),  # below the threshold, joined: r8's sole candidate (linkage.sole)
        ],
        columns=["record_id_l", "record_id_r", "match_probability", "automatic"],
    )
    frame["tied"] = frame["record_id_l"].eq("r6")
    frame["sole"] = frame["record_id_l"].eq("r8")
    frame["match_weight"] = 1.0
    frame["levels"] = frame["weights"] = "{}"
    return frame.assign(
        record_key_l=frame["record_id_l"].map(keys), record_key_r=frame["record_id_r"].map(keys)
    )


def test_each_queued_pair_says_why_most_pressing_first():
    pairs = _scored()
    numbers = pd.Series({"r0": "510402201503020011", "r4": "510402201503020038"})
    refused = pd.DataFrame(
        [(pair_id("k1", "k5"), "r1", "r5", "k1", "k5", 0.31, "must_link_refused", "different_numbers")],
        columns=[
            "pair_id",
            "record_id_l",
            "record_id_r",
            "record_key_l",
            "record_key_r",
            "match_probability",
            "reason",
            "reason_detail",
        ],
    )
    queue = _review_queue(pairs, numbers, {pair_id("k1", "k5")}, refused, load_config())
    assert queue[["record_id_l", "record_id_r", "reason", "rank"]].values.tolist() == [
        ["r1", "r5", "must_link_refused", 1],
        ["r0", "r4", "conflicting_numbers", 2],
        ["r6", "r7", "tied", 3],
        ["r8", "r9", "sole_candidate", 4],
        ["r2", "r3", "twin_guard", 5],
        ["r0", "r1", "below_threshold", 6],
    ]
    assert queue["reason_detail"].tolist()[0] == "different_numbers"
    assert not queue["holds_alert"].any() and queue["decision"].isna().all()


def test_weights_sum_with_the_prior_to_the_match_weight():
    model = json.loads((Path(__file__).parents[1] / "linkage" / "model" / "model.json").read_text("utf-8"))
    names = [c["output_column_name"] for c in model["comparisons"]]
    scored = pd.DataFrame({f"mw_{n}": [1.5 * i, -2.0] for i, n in enumerate(names)})
    prior = math.log2(
        model["probability_two_random_records_match"] / (1 - model["probability_two_random_records_match"])
    )
    # Splink's match weight; the first pair's name was common: a term-frequency adjustment of -0.75.
    scored["match_weight"] = prior + scored.sum(axis=1) + [-0.75, 0.0]
    for weights in (scored, scored.assign(mw_tf_adj_name=[-0.75, 0.0])):
        first, second = (json.loads(w) for w in _weights_json(weights, model))
        assert list(first) == [PRIOR, *names]
        assert first["name"] == pytest.approx(1.5 * names.index("name") - 0.75)
        assert first[PRIOR] == pytest.approx(prior, abs=1e-4)
        for pair, stated in zip((first, second), scored["match_weight"], strict=True):
            assert sum(pair.values()) == pytest.approx(stated, abs=1e-3)
