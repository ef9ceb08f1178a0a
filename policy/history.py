"""Alerts kept across syncs: one row per alert_id, never deleted.

- raised now and before: keeps ``first_raised``; ``last_seen`` moves to this sync;
  detail, evidence and location are this sync's.
- raised for the first time: ``first_raised`` = ``last_seen`` = this sync, open.
- open before, not raised now: ``resolved``, ``resolved_sync`` = this sync; the rest
  as last seen.
- resolved before, raised again: re-opened under the same alert_id, keeping its
  original ``first_raised`` and clearing ``resolved_sync`` (the gap is the same gap
  for the same child; one row per alert_id holds its whole span).
- resolved before, not raised now: unchanged.

Two things keep an alert back (``held``: in no department's list) instead:

- its rule reads a source that did not arrive whole (``frozen`` alert codes,
  registry.md): an alert open before stays open, any other raised now is held, and
  nothing of that code is closed — an alert not raised now stays as it was, except
  that one whose child is not in this sync's registry (its only records were in the
  missing delivery) is held: no department can be sent a child the registry lacks;
- a near-miss record would satisfy it (``near_miss`` alert_ids): held until the
  reviewer decides the pair; then released (open) or, the records merged, closed.

Department answers (registry.md, *Department returns*) set ``department_status``;
what it does is decided here, once, and the workbooks only read it (``ON_LIST``):

- 已办结 leaves the lists; when ``RECHECK_AFTER`` later syncs still raise the
  alert it is back as 复核.
- 办理中 stays on the lists.
- 情况不符 leaves the lists until the facts of its evidence (system, field, value —
  not file names or rows, which move every month) differ from those the clerk
  answered on; then it is back as 复核.
- 非同一儿童 holds the alert (status ``held``) until a review decision names one of
  the child's records after the answer; then it is back as 复核.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection

import pandas as pd

from warehouse.tables import GAP_ALERTS

OPEN, RESOLVED, HELD = "open", "resolved", "held"
DONE, IN_PROGRESS, DISPUTED, NOT_SAME_CHILD, RECHECK = "已办结", "办理中", "情况不符", "非同一儿童", "复核"
ANSWERS = (DONE, IN_PROGRESS, DISPUTED, NOT_SAME_CHILD)
# department_status values whose alerts stay on the departments' lists (NULL too).
ON_LIST = (IN_PROGRESS, RECHECK)
RECHECK_AFTER = 2  # later syncs still showing a gap reported done
_STATE = ["department_status", "status_sync", "status_evidence", "status_seen"]


def merge_alert_history(
    previous: pd.DataFrame | None,
    current: pd.DataFrame,
    sync_id: int,
    answers: pd.DataFrame | None = None,
    reviewed: pd.Series | None = None,
    frozen: Collection[str] = (),
    near_miss: Collection[str] = (),
    children: Collection[str] | None = None,
) -> pd.DataFrame:
    """Full gap_alerts rows after ``sync_id``, from the previous table and this sync's alerts.

    ``answers``: the latest department answer per alert read by this sync (``alert_id``,
    ``answer``). ``reviewed``: child_id → the latest sync whose review decisions name
    one of the child's records. ``frozen``: alert codes whose rule reads an incomplete
    source; ``near_miss``: alert_ids with a near-miss record waiting in the review
    queue; ``children``: the child_ids of this sync (when given, a frozen open alert of
    another child is held).
    """
    columns = GAP_ALERTS.column_names
    now = current.assign(first_raised=sync_id, last_seen=sync_id, status=OPEN, resolved_sync=pd.NA).reindex(
        columns=columns
    )
    if previous is None:
        previous = pd.DataFrame(columns=columns)
    before = previous.set_index("alert_id")
    known = now["alert_id"].isin(before.index)
    was_open = now["alert_id"].map(before["status"]).eq(OPEN).fillna(False).astype(bool)
    now["first_raised"] = now["alert_id"].map(before["first_raised"]).where(known, sync_id)
    for col in _STATE:
        if col in before:
            now[col] = now["alert_id"].map(before[col])
    held = now["alert"].isin(list(frozen)) & ~was_open
    held |= now["alert_id"].isin(list(near_miss))
    now["status"] = now["status"].where(~held, HELD)
    gone = previous[~previous["alert_id"].isin(now["alert_id"])].reindex(columns=columns)
    closing = gone["status"].isin([OPEN, HELD]) & ~gone["alert"].isin(list(frozen))
    absent = (
        gone["status"].eq(OPEN)
        & ~closing
        & ~gone["child_id"].isin(list(gone["child_id"] if children is None else children))
    )
    gone = gone.assign(
        status=gone["status"].where(~closing, RESOLVED).where(~absent, HELD),
        resolved_sync=gone["resolved_sync"].astype("Int64").where(~closing, sync_id),
    )
    merged = _typed(now) if gone.empty else _typed(pd.concat([_typed(now), _typed(gone)], ignore_index=True))
    merged = _answered(merged, previous, answers, sync_id)
    return _followed_up(merged, set(current["alert_id"]), sync_id, reviewed)


def _answered(
    alerts: pd.DataFrame, previous: pd.DataFrame, answers: pd.DataFrame | None, sync_id: int
) -> pd.DataFrame:
    """This sync's answers set department_status; the evidence they were given on is the
    previous sync's, the one the workbook showed."""
    if answers is None or answers.empty:
        return alerts
    unknown = set(answers["answer"]) - set(ANSWERS)
    if unknown:
        raise ValueError(f"not a department answer: {sorted(unknown)}")
    latest = answers.drop_duplicates("alert_id", keep="last").set_index("alert_id")["answer"]
    hit = alerts["alert_id"].isin(latest.index)
    shown = previous.set_index("alert_id")["evidence"] if len(previous) else pd.Series(dtype=object)
    evidence = alerts.loc[hit, "alert_id"].map(shown).fillna(alerts.loc[hit, "evidence"])
    alerts.loc[hit, "department_status"] = alerts.loc[hit, "alert_id"].map(latest)
    alerts.loc[hit, "status_sync"] = sync_id
    alerts.loc[hit, "status_evidence"] = evidence.map(evidence_facts)
    alerts.loc[hit, "status_seen"] = 0
    return alerts


def _followed_up(
    alerts: pd.DataFrame, raised: set[str], sync_id: int, reviewed: pd.Series | None
) -> pd.DataFrame:
    """What an earlier answer means for an alert raised again in this sync."""
    status = alerts["department_status"]
    later = alerts["alert_id"].isin(raised) & alerts["status_sync"].lt(sync_id).fillna(False).astype(bool)
    alerts.loc[later, "status_seen"] = alerts.loc[later, "status_seen"].fillna(0) + 1
    done_again = later & status.eq(DONE) & alerts["status_seen"].ge(RECHECK_AFTER).fillna(False)
    disputed = later & status.eq(DISPUTED)
    changed = pd.Series(False, index=alerts.index)
    if disputed.any():
        facts = alerts.loc[disputed, "evidence"].map(evidence_facts)
        changed.loc[disputed] = facts.ne(alerts.loc[disputed, "status_evidence"]).to_numpy(dtype=bool)
    split = later & status.eq(NOT_SAME_CHILD)
    if reviewed is not None and split.any():
        since = alerts.loc[split, "child_id"].map(reviewed)
        split.loc[split] = since.gt(alerts.loc[split, "status_sync"]).fillna(False).to_numpy(dtype=bool)
    else:
        split[:] = False
    back = done_again | changed | split
    alerts.loc[back, "department_status"] = RECHECK
    alerts.loc[back, "status_sync"] = sync_id
    alerts.loc[back, "status_seen"] = 0
    held = alerts["alert_id"].isin(raised) & alerts["department_status"].eq(NOT_SAME_CHILD)
    alerts.loc[held, "status"] = HELD
    return _typed(alerts)


def evidence_facts(evidence: object) -> str | None:
    """sha256 of an evidence list's facts: (system, field, value), sorted, without files and rows."""
    if evidence is None or evidence is pd.NA or (isinstance(evidence, float) and evidence != evidence):
        return None
    items = json.loads(evidence) if isinstance(evidence, str) else evidence
    facts = sorted({json.dumps([i.get("system"), i.get("field"), i.get("value")]) for i in items})
    return hashlib.sha256("\n".join(facts).encode("utf-8")).hexdigest()


def _typed(alerts: pd.DataFrame) -> pd.DataFrame:
    """Sync numbers as nullable integers, rows in alert_id order."""
    ints = ("first_raised", "last_seen", "resolved_sync", "status_sync", "status_seen")
    alerts = alerts.astype({c: "Int64" for c in ints})
    alerts = alerts.astype({c: object for c in ("department_status", "status_evidence")})
    return alerts.astype({"restricted": bool}).sort_values("alert_id", ignore_index=True)
