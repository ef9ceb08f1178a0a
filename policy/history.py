"""Alerts kept across syncs: one row per alert_id, never deleted.

- raised now and before: keeps ``first_raised``; ``last_seen`` moves to this sync;
  detail, evidence and location are this sync's.
- raised for the first time: ``first_raised`` = ``last_seen`` = this sync, open.
- open (or held) before, not raised now: ``resolved``, ``resolved_sync`` = this sync;
  the rest as last seen.
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
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from warehouse.tables import GAP_ALERTS

OPEN, RESOLVED, HELD = "open", "resolved", "held"


def merge_alert_history(
    previous: pd.DataFrame | None,
    current: pd.DataFrame,
    sync_id: int,
    frozen: Collection[str] = (),
    near_miss: Collection[str] = (),
    children: Collection[str] | None = None,
) -> pd.DataFrame:
    """Full gap_alerts rows after ``sync_id``, from the previous table and this sync's alerts.

    ``frozen``: alert codes whose rule reads an incomplete source; ``near_miss``:
    alert_ids with a near-miss record waiting in the review queue; ``children``: the
    child_ids of this sync (when given, a frozen open alert of another child is held).
    """
    columns = GAP_ALERTS.column_names
    now = current.assign(first_raised=sync_id, last_seen=sync_id, status=OPEN, resolved_sync=pd.NA).reindex(
        columns=columns
    )
    if previous is None:
        previous = pd.DataFrame(columns=columns)
    before = previous.set_index("alert_id")
    was_open = now["alert_id"].map(before["status"]).eq(OPEN)
    now["first_raised"] = (
        now["alert_id"].map(before["first_raised"]).where(now["alert_id"].isin(before.index), sync_id)
    )
    held = now["alert"].isin(list(frozen)) & ~was_open.fillna(False).astype(bool)
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
    if gone.empty:
        return _typed(now)
    return _typed(pd.concat([_typed(now), _typed(gone)], ignore_index=True))


def _typed(alerts: pd.DataFrame) -> pd.DataFrame:
    """Sync numbers as nullable integers, rows in alert_id order."""
    alerts = alerts.astype({c: "Int64" for c in ("first_raised", "last_seen", "resolved_sync")})
    return alerts.astype({"restricted": bool}).sort_values("alert_id", ignore_index=True)
