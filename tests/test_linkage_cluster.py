"""Clusters respect hard facts (issue 3, 'Clusters that respect hard facts')."""

import numpy as np
import pandas as pd

from linkage.cluster import cluster, tied


def _records(ids: dict[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame({"record_id": list(ids), "id_number": list(ids.values())})


def _pairs(*edges: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(edges, columns=["record_id_l", "record_id_r", "match_probability"])


def _groups(result: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(g) for _, g in result.groupby("cluster_id")["record_id"]}


def test_strong_edges_join_weak_edges_do_not():
    result = cluster(
        _records({"a": None, "b": None, "c": None}), _pairs(("a", "b", 0.99), ("b", "c", 0.5)), 0.9
    )
    assert _groups(result) == {frozenset({"a", "b"}), frozenset({"c"})}


def test_two_valid_ids_never_share_a_child_even_through_a_chain():
    # a and c carry different valid numbers; b (no number) matches both strongly.
    records = _records({"a": "510402201503020011", "b": None, "c": "510402201503020038"})
    result = cluster(records, _pairs(("a", "b", 0.99), ("b", "c", 0.98)), 0.9)
    assert _groups(result) == {frozenset({"a", "b"}), frozenset({"c"})}


def test_reviewer_decisions_override_the_model():
    records = _records({"a": None, "b": None, "c": None, "d": None})
    pairs = _pairs(("a", "b", 0.99), ("c", "d", 0.2))
    result = cluster(records, pairs, 0.9, must_link=[("c", "d")], cannot_link=[("a", "b")])
    assert _groups(result) == {frozenset({"a"}), frozenset({"b"}), frozenset({"c", "d"})}


def test_match_probability_is_the_strongest_joining_edge_and_one_when_alone():
    records = _records({"a": None, "b": None, "c": None, "z": None})
    result = cluster(records, _pairs(("a", "b", 0.95), ("b", "c", 0.99)), 0.9).set_index("record_id")
    assert result.loc["b", "match_probability"] == 0.99
    assert result.loc["a", "match_probability"] == 0.95
    assert result.loc["z", "match_probability"] == 1.0
    assert result.loc["c", "cluster_id"] == "a"  # smallest record id names the cluster


def test_components_without_conflicts_cluster_as_the_ordered_pass_would():
    """The SciPy shortcut for conflict-free components equals the edge-by-edge pass."""
    from linkage.cluster import _ordered_clusters

    rng = np.random.default_rng(7)
    ids = [f"r{i:04d}" for i in range(600)]
    pool = [f"51040220150302{i:04d}" for i in range(40)]
    records = _records({r: rng.choice(pool) if rng.random() < 0.3 else None for r in ids})
    births = pd.to_datetime(["2013-04-20", "2013-05-02", "2011-08-22", None])
    records["birth_date"] = rng.choice(births, len(ids))
    ends = rng.choice(ids, size=(300, 2))
    probabilities = rng.uniform(0.5, 1.0, len(ends))
    pairs = _pairs(*[(a, b, float(p)) for (a, b), p in zip(ends, probabilities, strict=True) if a != b])
    must, cannot = [(ids[0], ids[1])], [(ids[2], ids[3])]
    fast = cluster(records, pairs, 0.8, must, cannot).sort_values("record_id", ignore_index=True)
    strong = pairs.loc[pairs["match_probability"] >= 0.8]
    exact = _ordered_clusters(records, strong, must, cannot).sort_values("record_id", ignore_index=True)
    assert _groups(fast) == _groups(exact)
    pd.testing.assert_frame_equal(fast, exact)


def test_a_record_without_a_birth_date_does_not_chain_two_children_born_apart():
    # b (a roster row: no number, no birth date) matches a and c by name and place.
    records = _records({"a": "510402201304200021", "b": None, "c": None}).assign(
        birth_date=pd.to_datetime(["2013-04-20", None, "2011-08-22"])
    )
    result = cluster(records, _pairs(("b", "c", 0.99), ("a", "b", 0.85)), 0.8)
    assert _groups(result) == {frozenset({"a"}), frozenset({"b", "c"})}


def test_birth_dates_within_50_days_or_swapped_may_be_one_child():
    records = _records({"a": None, "b": None, "c": None, "d": None, "e": None}).assign(
        birth_date=pd.to_datetime(["2015-03-02", None, "2015-04-10", "2015-02-03", None])
    )
    pairs = _pairs(("a", "b", 0.99), ("b", "c", 0.95), ("d", "e", 0.99), ("e", "a", 0.9))
    assert _groups(cluster(records, pairs, 0.8)) == {frozenset("abcde")}


def test_one_valid_number_outweighs_a_mistyped_birth_date():
    number = "510402201304200021"
    records = _records({"a": number, "b": number}).assign(
        birth_date=pd.to_datetime(["2013-04-20", "2003-04-20"])
    )
    assert _groups(cluster(records, _pairs(("a", "b", 0.99)), 0.8)) == {frozenset("ab")}


def _facts(**born: str | None) -> pd.DataFrame:
    """Records without numbers, born as given (None: no birth date)."""
    return pd.DataFrame(
        {"record_id": list(born), "id_number": None, "birth_date": pd.to_datetime(list(born.values()))}
    )


def _weighed(*edges: tuple[str, str, float]) -> pd.DataFrame:
    """Pairs with a match weight; the probability follows from it."""
    pairs = pd.DataFrame(edges, columns=["record_id_l", "record_id_r", "match_weight"])
    return pairs.assign(match_probability=1 / (1 + 2.0 ** -pairs["match_weight"]))


def test_an_undated_row_matching_two_children_alike_is_tied_and_joins_neither():
    # r: a roster row without birth date or number; a and b: two children of its name.
    records = _facts(r=None, a="2015-01-01", b="2018-06-01")
    pairs = _weighed(("r", "a", 4.0), ("b", "r", 4.0))
    assert tied(records, pairs, 0.7, 0.01).tolist() == [True, True]
    assert not tied(records, pairs, 0.7, -1.0).any()  # a negative margin: the rule is off
    result = cluster(records, pairs.loc[~tied(records, pairs, 0.7, 0.01)], 0.7)
    assert _groups(result) == {frozenset({"r"}), frozenset({"a"}), frozenset({"b"})}


def test_a_clear_winner_one_child_or_a_dated_row_is_not_a_tie():
    two_children = _facts(r=None, a="2015-01-01", b="2018-06-01")
    # the stronger pair is ahead by more than the margin
    assert not tied(two_children, _weighed(("r", "a", 4.0), ("r", "b", 3.9)), 0.7, 0.01).any()
    # the weaker pair is below the threshold: nothing to choose between
    assert not tied(two_children, _weighed(("r", "a", 4.0), ("r", "b", 1.0)), 0.7, 0.01).any()
    # a and b may be one child: a lunar birthday 9 days apart
    lunar = _facts(r=None, a="2015-01-01", b="2015-01-10")
    assert not tied(lunar, _weighed(("r", "a", 4.0), ("r", "b", 4.0)), 0.7, 0.01).any()
    # the row holds a birth date: the model compared it with both, it is no coin flip
    dated = _facts(r="2015-01-01", a="2015-01-01", b="2018-06-01")
    assert not tied(dated, _weighed(("r", "a", 4.0), ("r", "b", 4.0)), 0.7, 0.01).any()
    # one valid number on both outweighs the dates, as in clustering
    same = two_children.assign(id_number=[None, "510402201501010017", "510402201501010017"])
    assert not tied(same, _weighed(("r", "a", 4.0), ("r", "b", 4.0)), 0.7, 0.01).any()
