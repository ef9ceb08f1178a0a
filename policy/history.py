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
"""

from __future__ import annotations

import pandas as pd

from warehouse.tables import GAP_ALERTS

OPEN, RESOLVED = "open", "resolved"


def merge_alert_history(previous: pd.DataFrame | None, current: pd.DataFrame, sync_id: int) -> pd.DataFrame:
    """Full gap_alerts rows after ``sync_id``, from the previous table and this sync's alerts."""
    columns = GAP_ALERTS.column_names
    now = current.assign(first_raised=sync_id, last_seen=sync_id, status=OPEN, resolved_sync=pd.NA).reindex(
        columns=columns
    )
    if previous is None or previous.empty:
        return _typed(now)
    before = previous.set_index("alert_id")["first_raised"]
    now["first_raised"] = now["alert_id"].map(before).where(now["alert_id"].isin(before.index), sync_id)
    gone = previous[~previous["alert_id"].isin(now["alert_id"])].reindex(columns=columns)
    closing = gone["status"].eq(OPEN)
    gone = gone.assign(
        status=gone["status"].where(~closing, RESOLVED),
        resolved_sync=gone["resolved_sync"].astype("Int64").where(~closing, sync_id),
    )
    return _typed(pd.concat([_typed(now), _typed(gone)], ignore_index=True))


def _typed(alerts: pd.DataFrame) -> pd.DataFrame:
    """Sync numbers as nullable integers, rows in alert_id order."""
    alerts = alerts.astype({c: "Int64" for c in ("first_raised", "last_seen", "resolved_sync")})
    return alerts.astype({"restricted": bool}).sort_values("alert_id", ignore_index=True)
