"""Near-misses: an alert raised because a record is missing, while linkage scored a
record that would satisfy it just below the match threshold against the child's own.

Such an alert may well be wrong (the pupil's 学籍 row is there, under a misspelt
name), so it is held (registry.md) and the pair goes to the top of the review
queue; the reviewer's decision releases it (different children) or closes it (the
records merge, and the rule is satisfied).

Which record satisfies which alert is the rules file's ``satisfied_by``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from policy.ruleset import Rules, Satisfier
from values.ids import never_one_child


def satisfying(records: pd.DataFrame, satisfier: Satisfier, as_of: date) -> pd.Series:
    """Which of ``records`` (staged rows, their fields) would satisfy the rule."""
    holds = records["source_system"].eq(satisfier.source)
    for name, condition in satisfier.where.items():
        holds &= _meets(records[name], condition, as_of)
    return holds.fillna(False).astype(bool)


def _meets(values: pd.Series, condition: Any, as_of: date) -> pd.Series:
    if isinstance(condition, list):
        return values.isin(condition)
    if not isinstance(condition, dict):
        return values.eq(condition)
    holds = pd.Series(True, index=values.index)
    if "above" in condition:
        holds &= pd.to_numeric(values, errors="coerce").gt(condition["above"])
    if "has" in condition:
        codes = values.astype("string").str.split(",")
        holds &= codes.map(lambda c: isinstance(c, list) and condition["has"] in [x.strip() for x in c])
    if "as_of" in condition:
        holds &= pd.to_numeric(values, errors="coerce").eq(getattr(as_of, condition["as_of"]))
    return holds


def near_misses(
    alerts: pd.DataFrame, records: pd.DataFrame, pairs: pd.DataFrame, rules: Rules, as_of: date
) -> pd.DataFrame:
    """(alert_id, pair_id) for each alert with a near-miss pair.

    ``alerts``: this sync's alerts (alert_id, child_id, alert). ``records``: staged rows
    with ``record_id``, ``source_system``, ``child_id``, ``id_number`` (valid or NULL),
    ``birth_date`` and the fields the rules read. ``pairs``: the undecided pairs scored
    between the review floor and the match threshold (pair_id, record_id_l, record_id_r).
    A near-miss record that a hard fact keeps from the child holds nothing (``kept_apart``).
    """
    both = pd.concat(
        [
            pairs.rename(columns={"record_id_l": "own", "record_id_r": "other"}),
            pairs.rename(columns={"record_id_r": "own", "record_id_l": "other"}),
        ],
        ignore_index=True,
    )[["pair_id", "own", "other"]]
    child_of = records.set_index("record_id")["child_id"]
    both["child_id"] = both["own"].map(child_of)
    both["other_child"] = both["other"].map(child_of)
    both = both[both["child_id"].notna() & both["child_id"].ne(both["other_child"])]
    found = []
    for code, rule in rules.alerts.items():
        if not rule.satisfied_by:
            continue
        chosen = pd.Series(False, index=records.index)
        for satisfier in rule.satisfied_by:
            chosen |= satisfying(records, satisfier, as_of)
        candidates = both[both["other"].isin(records.loc[chosen, "record_id"])]
        raised = alerts.loc[alerts["alert"].eq(code), ["alert_id", "child_id"]]
        found.append(raised.merge(candidates[["child_id", "pair_id", "other"]], on="child_id"))
    if not found:
        return pd.DataFrame(columns=["alert_id", "pair_id"])
    found = pd.concat(found, ignore_index=True)
    return found.loc[~kept_apart(found, records), ["alert_id", "pair_id"]].drop_duplicates()


def kept_apart(found: pd.DataFrame, records: pd.DataFrame) -> pd.Series:
    """Whether a hard fact keeps each near-miss record (``other``) from the child
    (``child_id``): a valid number while the child's records carry others only, or,
    without a number in common, a birth date that may be none of the child's
    (``values.ids.never_one_child``, the rule clustering refuses joins by).

    Clustering never joins such records (``linkage.cluster``), so the merge the hold
    waits for cannot come: an insurance row of a namesake with its own number, scored
    against the child's roster row that has none, would hold the child's
    ``medical_insurance_missing`` until a reviewer said what the numbers already say."""
    own = records.loc[records["child_id"].isin(set(found["child_id"]))]
    numbers = own.dropna(subset=["id_number"]).groupby("child_id")["id_number"].agg(frozenset)
    born = own.assign(born=pd.to_datetime(own["birth_date"])).dropna(subset=["born"])
    births = born.groupby("child_id")["born"].agg(frozenset)
    other = records.set_index("record_id").loc[found["other"], ["id_number", "birth_date"]]
    apart = [
        never_one_child(
            numbers.get(child, frozenset()),
            births.get(child, frozenset()),
            {number} if isinstance(number, str) else set(),
            [birth] if pd.notna(birth) else [],
        )
        is not None
        for child, number, birth in zip(
            found["child_id"], other["id_number"], pd.to_datetime(other["birth_date"]), strict=True
        )
    ]
    return pd.Series(apart, index=found.index, dtype=bool)
