"""The prior is the sync's own: it falls as the city grows, so the threshold keeps its meaning."""

from __future__ import annotations

import pandas as pd
import pytest

from linkage.prior import sync_prior, with_prior


def _ids(children: int, records_each: int) -> pd.Series:
    return pd.Series([f"N{c}" for c in range(children) for _ in range(records_each)] + [None] * children)


def test_the_prior_is_the_share_of_pairs_sharing_a_number_over_the_rules_recall():
    ids = pd.Series(["A", "A", "B", "B", "B", None])  # 1 + 3 = 4 pairs of 15
    assert sync_prior(ids, recall=0.5) == pytest.approx(4 / 0.5 / 15)


def test_a_ten_times_bigger_city_gets_about_a_tenth_of_the_prior():
    small, big = sync_prior(_ids(1_000, 2), 0.7), sync_prior(_ids(10_000, 2), 0.7)
    assert big == pytest.approx(small / 10, rel=0.01)


def test_without_two_records_sharing_a_number_there_is_nothing_to_estimate():
    assert sync_prior(pd.Series(["A", "B", None]), 0.7) is None


def test_the_model_itself_is_left_unchanged():
    model = {"probability_two_random_records_match": 0.01, "comparisons": [{"x": 1}]}
    changed = with_prior(model, 0.001)
    assert changed["probability_two_random_records_match"] == 0.001
    assert model["probability_two_random_records_match"] == 0.01
    changed["comparisons"][0]["x"] = 2
    assert model["comparisons"][0]["x"] == 1
