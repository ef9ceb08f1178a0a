"""The sync ledger, ``registry.syncs``: one row per sync, opened, updated by each
stage, and closed as published or failed.

A step is handed the ``SyncRef`` its sync was opened with; nothing here looks for "the
running sync", so a second process can never make a step work on someone else's. Only
the holder of the warehouse's sync lock (``warehouse.lock``) may open a sync.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa

from warehouse import tables as T
from warehouse.io import insert_frame
from warehouse.lock import holds_sync_lock


class SyncFailed(RuntimeError):
    """A sync that must publish nothing; the message never holds personal data."""


@dataclass(frozen=True)
class SyncRef:
    sync_id: int
    as_of: date


def now() -> datetime:
    """The ledger's clock: UTC, without a zone (DuckDB and PostgreSQL store it alike)."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_date(value: object) -> date:
    """A stored as-of value (a date, a timestamp or its text) as a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def begin_sync(engine: sa.Engine, as_of: date) -> SyncRef:
    """Open a sync: the next number, status running.

    Only under the warehouse's sync lock: holding it proves that a sync still marked
    running has no live process (the lock dies with its holder), so such a sync is
    marked failed as abandoned, and at most one sync is ever running.
    """
    if not holds_sync_lock(engine.url):
        raise SyncFailed("a sync may only open under the warehouse's sync lock (warehouse.lock.sync_lock)")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE registry.syncs SET status = 'failed', finished_at = :t, "
                "message = 'abandoned: its process ended without finishing' WHERE status = 'running'"
            ),
            {"t": now()},
        )
        last = conn.execute(sa.text("SELECT max(sync_id) FROM registry.syncs")).scalar()
        ref = SyncRef(int(last or 0) + 1, as_of)
        insert_frame(
            conn,
            T.SYNCS,
            pd.DataFrame(
                [{"sync_id": ref.sync_id, "as_of": as_of, "started_at": now(), "status": "running"}]
            ),
        )
    return ref


def update_sync(conn: sa.Connection, ref: SyncRef, **fields: object) -> None:
    """Set columns of this sync's ledger row."""
    sets = ", ".join(f"{k} = :{k}" for k in fields)
    conn.execute(
        sa.text(f"UPDATE registry.syncs SET {sets} WHERE sync_id = :sync_id"),
        {**fields, "sync_id": ref.sync_id},
    )


def fail_sync(engine: sa.Engine, ref: SyncRef, message: str) -> None:
    """Record why this sync failed; the published registry stays as it was."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE registry.syncs SET status = 'failed', finished_at = :t, message = :m "
                "WHERE sync_id = :s AND status = 'running'"
            ),
            {"t": now(), "m": message[:2000], "s": ref.sync_id},
        )


def fail_running(engine: sa.Engine, message: str) -> None:
    """Close whatever sync a dead run left running: the run-failure sensor knows the run,
    not its sync."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE registry.syncs SET status = 'failed', finished_at = :t, message = :m "
                "WHERE status = 'running'"
            ),
            {"t": now(), "m": message[:2000]},
        )


def source_counts(conn: sa.Connection, ref: SyncRef) -> dict:
    """Per source system, what this sync has counted so far (files, rows read …)."""
    raw = conn.execute(
        sa.text("SELECT sources FROM registry.syncs WHERE sync_id = :s"), {"s": ref.sync_id}
    ).scalar()
    return json.loads(raw) if raw else {}


def previous_pairs_model(conn: sa.Connection, ref: SyncRef) -> str | None:
    """The linkage model the sync before this one scored ``work.pairs`` with, if that
    sync published; None if it did not (a failed sync may have overwritten ``work.*``)."""
    row = conn.execute(
        sa.text(
            "SELECT status, linkage_model FROM registry.syncs WHERE sync_id < :s ORDER BY sync_id DESC LIMIT 1"
        ),
        {"s": ref.sync_id},
    ).first()
    return row.linkage_model if row is not None and row.status == "published" else None


def staged_as_of(conn: sa.Connection) -> date:
    """The as-of date of the sync whose rows the staged table holds (training and
    ``childreg explain`` read them after that sync)."""
    found = conn.execute(
        sa.text(
            "SELECT as_of FROM registry.syncs WHERE sync_id ="
            f" (SELECT max(sync_id) FROM {T.STAGED_RECORDS.qualified_name})"
        )
    ).scalar()
    if found is None:
        raise SyncFailed("no staged records: run a sync first")
    return found if isinstance(found, date) else date.fromisoformat(str(found)[:10])
