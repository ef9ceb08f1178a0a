"""Scoring a sync against a synthetic city's ``truth/``.

Pairwise figures count pairs of staged rows: a predicted pair is two rows given
one child id, a true pair two rows of one true person. Cluster figures ask whether
every row of a true child landed in one child. The baseline links only rows that
carry the same valid identity number, as a department would by hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

KEY = ["source_system", "source_file", "source_row"]


@dataclass(frozen=True)
class PairScores:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    false_pairs: int
    children_whole: float  # share of true children whose rows all carry one child id
    twins_merged: int  # twin pairs given one child id

    def as_dict(self) -> dict:
        return asdict(self)


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def pair_scores(rows: pd.DataFrame, twins: pd.DataFrame) -> PairScores:
    """``rows``: person_id (truth) and predicted (a cluster label; NaN = alone) per row."""
    rows = rows.assign(
        predicted=rows["predicted"].fillna(pd.Series("alone:" + rows.index.astype(str), index=rows.index))
    )
    true_pairs = _pairs(rows.groupby("person_id").size())
    predicted = _pairs(rows.groupby("predicted").size())
    both = _pairs(rows.groupby(["person_id", "predicted"]).size())
    precision = both / predicted if predicted else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    whole = rows.groupby("person_id")["predicted"].nunique().eq(1).mean()
    label = rows.drop_duplicates("person_id").set_index("person_id")["predicted"]
    twin_labels = twins.assign(label=twins["person_id"].map(label)).dropna(subset=["label"])
    merged = _pairs(twin_labels.groupby(["twin_group", "label"]).size())
    return PairScores(
        precision=round(precision, 5),
        recall=round(recall, 5),
        f1=round(2 * precision * recall / (precision + recall), 5) if precision + recall else 0.0,
        true_pairs=true_pairs,
        predicted_pairs=predicted,
        false_pairs=predicted - both,
        children_whole=round(float(whole), 5),
        twins_merged=merged,
    )


def read_truth(truth: Path) -> dict[str, pd.DataFrame]:
    read = lambda name: pd.read_csv(truth / f"{name}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    records = read("records")
    records["source_row"] = records["source_row"].astype(int)
    return {
        "records": records,
        "children": read("children"),
        "categories": read("categories"),
        "alerts": read("alerts"),
    }


def linkage_scores(
    truth: dict[str, pd.DataFrame], child_records: pd.DataFrame, staged: pd.DataFrame
) -> dict[str, dict]:
    """Model and identity-number baseline, on the true children's staged rows."""
    true_rows = truth["records"].loc[truth["records"]["is_child"].str.lower().isin(["true", "1"])]
    rows = true_rows.merge(staged[[*KEY, "record_id", "id_number"]], on=KEY)  # quarantined rows drop out
    rows = rows.merge(child_records[["record_id", "child_id"]], on="record_id", how="left")
    children = truth["children"]
    twins = children.loc[children["twin_group"] != "", ["person_id", "twin_group"]]
    model = pair_scores(rows.assign(predicted=rows["child_id"]).reset_index(drop=True), twins)
    baseline = pair_scores(rows.assign(predicted=rows["id_number"]).reset_index(drop=True), twins)
    return {"model": model.as_dict(), "baseline_valid_id": baseline.as_dict(), "rows_scored": len(rows)}


def _precision_recall(found: set, expected: set) -> dict[str, float]:
    hit = len(found & expected)
    return {
        "precision": round(hit / len(found), 4) if found else 1.0,
        "recall": round(hit / len(expected), 4) if expected else 1.0,
        "found": len(found),
        "expected": len(expected),
    }


def child_to_person(truth: dict[str, pd.DataFrame], child_records: pd.DataFrame) -> pd.Series:
    """Each child id's true person: the one most of its rows belong to."""
    rows = child_records.merge(truth["records"][[*KEY, "person_id"]], on=KEY)
    counts = rows.groupby(["child_id", "person_id"]).size().rename("n").reset_index()
    counts = counts.sort_values(["child_id", "n", "person_id"], ascending=[True, False, True])
    return counts.drop_duplicates("child_id").set_index("child_id")["person_id"]


def policy_scores(
    truth: dict[str, pd.DataFrame],
    child_records: pd.DataFrame,
    categories: pd.DataFrame,
    alerts: pd.DataFrame,
) -> dict[str, dict]:
    """Precision and recall per category and per alert code, by true person."""
    person = child_to_person(truth, child_records)
    ours_cat = categories.assign(person_id=categories["child_id"].map(person))
    ours_alert = alerts.loc[alerts["status"] == "open"]
    ours_alert = ours_alert.assign(person_id=ours_alert["child_id"].map(person))
    out: dict[str, dict] = {}
    for kind, ours, theirs, col in (
        ("category", ours_cat, truth["categories"], "category"),
        ("alert", ours_alert, truth["alerts"], "alert"),
    ):
        for code in sorted(set(theirs[col]) | set(ours[col])):
            found = set(ours.loc[ours[col] == code, "person_id"].dropna())
            expected = set(theirs.loc[theirs[col] == code, "person_id"])
            out[f"{kind}:{code}"] = _precision_recall(found, expected)
    return out
