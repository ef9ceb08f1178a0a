"""Retention (registry.md, Access): what a sync prunes once it is older than the period.

Ages are counted in as-of dates, the registry's own clock: a quarantined row belongs to
its sync's as-of date, a resolved alert to the as-of date of the sync that resolved it,
an export folder to the date it is named after. With a retention of 24 months
(``CHILDREG_RETENTION_MONTHS``), a sync as of 2026-11-30 prunes what is dated before
2024-11-30:

- ``registry.quarantine`` rows (the raw row and its place) and their restricted raw rows;
- the evidence of resolved alerts (the alert row stays, so its id is never reused);
- export folders ``<exports>/<YYYY-MM-DD>/``.
"""

from __future__ import annotations

import calendar
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from warehouse.ledger import SyncRef

DEFAULT_MONTHS = 24


@dataclass(frozen=True)
class Pruned:
    quarantine_rows: int
    alert_evidence: int
    export_folders: int


def cutoff(as_of: date, months: int) -> date:
    """``months`` before ``as_of`` (the last day of a shorter month when the day is missing)."""
    year, month = divmod(as_of.year * 12 + as_of.month - 1 - months, 12)
    month += 1
    return date(year, month, min(as_of.day, calendar.monthrange(year, month)[1]))


def prune(engine: sa.Engine, ref: SyncRef, exports: Path | None, months: int = DEFAULT_MONTHS) -> Pruned:
    """Delete what is older than ``months`` before this sync's as-of date."""
    if months <= 0:
        raise ValueError("the retention period must be at least one month")
    limit = cutoff(ref.as_of, months)
    old_syncs = "SELECT sync_id FROM registry.syncs WHERE as_of < :limit"
    params = {"limit": limit}
    with engine.begin() as conn:
        quarantined = conn.execute(
            sa.text(f"DELETE FROM registry.quarantine WHERE sync_id IN ({old_syncs})"), params
        ).rowcount
        conn.execute(
            sa.text(f"DELETE FROM restricted.quarantine_rows WHERE sync_id IN ({old_syncs})"), params
        )
        closed = f"status = 'resolved' AND resolved_sync IN ({old_syncs})"
        conn.execute(
            sa.text(
                "DELETE FROM restricted.alert_evidence WHERE alert_id IN "
                f"(SELECT alert_id FROM registry.gap_alerts WHERE {closed})"
            ),
            params,
        )
        evidence = conn.execute(
            sa.text(
                f"UPDATE registry.gap_alerts SET evidence = NULL WHERE {closed} AND evidence IS NOT NULL"
            ),
            params,
        ).rowcount
    folders = 0
    for folder in sorted(Path(exports).iterdir()) if exports and Path(exports).is_dir() else []:
        if folder.is_dir() and not folder.is_symlink() and _dated(folder.name, limit):
            shutil.rmtree(folder)
            folders += 1
    return Pruned(quarantined, evidence, folders)


def _dated(name: str, limit: date) -> bool:
    """A folder named by an as-of date before ``limit``."""
    try:
        return date.fromisoformat(name) < limit
    except ValueError:
        return False
