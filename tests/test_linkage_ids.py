"""Stable child ids: inheritance, merges, splits and determinism (issue 3, 'Stable child ids')."""

import pandas as pd

from linkage.ids import assign_ids


def _clusters(groups: dict[str, list[str]]) -> pd.DataFrame:
    rows = [(f"r-{k}", k, cid) for cid, keys in groups.items() for k in keys]
    return pd.DataFrame(rows, columns=["record_id", "record_key", "cluster_id"])


def _previous(mapping: dict[str, list[str]]) -> pd.DataFrame:
    rows = [(k, child) for child, keys in mapping.items() for k in keys]
    return pd.DataFrame(rows, columns=["record_key", "child_id"])


def _child_of(result, key: str) -> str:
    return result.records.set_index("record_key").loc[key, "child_id"]


def test_unchanged_clusters_keep_their_ids():
    previous = _previous({"C1": ["k1", "k2"], "C2": ["k3"]})
    result = assign_ids(_clusters({"x": ["k1", "k2"], "y": ["k3"]}), previous)
    assert _child_of(result, "k1") == "C1" and _child_of(result, "k3") == "C2"
    assert result.lineage.empty


def test_merge_keeps_the_larger_id_and_retires_the_other():
    previous = _previous({"C1": ["k1", "k2"], "C2": ["k3"]})
    result = assign_ids(_clusters({"x": ["k1", "k2", "k3"]}), previous)
    assert set(result.records["child_id"]) == {"C1"}
    assert result.lineage.to_dict("records") == [
        {"old_child_id": "C2", "new_child_id": "C1", "event": "merged", "n_records": 1}
    ]


def test_split_keeps_the_id_with_the_majority_and_records_the_new_one():
    previous = _previous({"C1": ["k1", "k2", "k3"]})
    result = assign_ids(_clusters({"x": ["k1", "k2"], "y": ["k3"]}), previous)
    assert _child_of(result, "k1") == "C1"
    new = _child_of(result, "k3")
    assert new != "C1"
    assert result.lineage.to_dict("records") == [
        {"old_child_id": "C1", "new_child_id": new, "event": "split", "n_records": 1}
    ]


def test_new_ids_are_deterministic_and_never_reuse_a_known_id():
    clusters = _clusters({"x": ["k1"], "y": ["k2", "k3"]})
    empty = _previous({})
    first = assign_ids(clusters, empty)
    again = assign_ids(clusters.sample(frac=1, random_state=3), empty)
    assert first.records.set_index("record_key")["child_id"].to_dict() == (
        again.records.set_index("record_key")["child_id"].to_dict()
    )
    taken = set(first.records["child_id"])
    third = assign_ids(clusters, empty, known_ids=taken)
    assert not taken & set(third.records["child_id"])
