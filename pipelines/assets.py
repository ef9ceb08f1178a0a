"""The sync as Dagster assets, inbox → raw → staged → linked → registry → published → exports.

``raw_rows`` opens the sync; its ``SyncRef`` is every later asset's input, so each step
is handed its own sync rather than looking for one. Each asset is one call into
``pipelines.steps``; a failure marks this sync failed (nothing is published) and
re-raises so Dagster shows it. Only an error that can pass on a second try (the
database unreachable or busy) makes Dagster run a step again.

Every sync asset requires ``sync_lock``: the run (one process, see ``pipelines.jobs``)
holds the warehouse's sync lock from before the sync opens until its exports are
written, so no other sync writes the work and build tables meanwhile.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import dagster as dg
import sqlalchemy as sa

from pipelines import steps
from pipelines.resources import SyncLock, SyncSettings, Warehouse
from warehouse.ledger import source_counts

R = TypeVar("R")
GROUP = "sync"
# Errors that can pass on a second try: the database unreachable, busy or restarting.
# Anything else (SyncFailed, a wrong extract, a bug) fails at once: re-running it only
# repeats the failure.
TRANSIENT = (sa.exc.OperationalError, sa.exc.DisconnectionError, sa.exc.TimeoutError)
RETRIES = 2


def _retry_if_transient(context: dg.AssetExecutionContext, exc: Exception) -> None:
    """Ask Dagster to run the step again, a few seconds later, when ``exc`` may pass."""
    if isinstance(exc, TRANSIENT) and context.retry_number < RETRIES:
        raise dg.RetryRequested(max_retries=RETRIES, seconds_to_wait=5) from exc


def _guarded(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    ref: steps.SyncRef,
    work: Callable[..., R],
    *args: object,
) -> R:
    try:
        return work(warehouse.engine(), ref, *args)
    except Exception as exc:
        _retry_if_transient(context, exc)
        # The ledger may be as unreachable as the step's tables; the next sync then marks this one abandoned.
        with contextlib.suppress(*TRANSIENT):
            steps.fail_sync(warehouse.engine(), ref, f"{work.__name__}: {type(exc).__name__}: {exc}")
        raise


@dg.asset(group_name=GROUP, description="Every data row of every inbox file, as read.")
def raw_rows(
    context, warehouse: Warehouse, settings: SyncSettings, sync_lock: SyncLock
) -> dg.Output[steps.SyncRef]:  # context untyped: Dagster reads the hint at runtime
    try:
        engine = warehouse.engine()
        ref = steps.read_step(engine, Path(settings.inbox), settings.as_of_date())
        with engine.connect() as conn:
            read = source_counts(conn, ref).values()
    except Exception as exc:
        _retry_if_transient(context, exc)
        raise
    metadata = {
        "sync_id": ref.sync_id,
        "as_of": str(ref.as_of),
        "rows": sum(int(s.get("rows_read", 0)) for s in read),
        "files": sum(int(s.get("files", 0)) for s in read),
    }
    return dg.Output(ref, metadata=metadata)


@dg.asset(group_name=GROUP, description="Canonical person rows per extract; quarantine.")
def staged_records(
    context,
    raw_rows: steps.SyncRef,
    warehouse: Warehouse,
    settings: SyncSettings,
    sync_lock: SyncLock,
) -> dg.Output[steps.SyncRef]:
    sources = _guarded(context, warehouse, raw_rows, steps.stage_step, Path(settings.exports) / "data_docs")
    metadata = {
        f"{s}.{k}": v for s, figures in sources.items() for k, v in figures.items() if isinstance(v, int)
    }
    return dg.Output(raw_rows, metadata=metadata)


@dg.asset(group_name=GROUP, description="Pairs, clusters, stable child ids, golden records.")
def linked_children(
    context,
    staged_records: steps.SyncRef,
    warehouse: Warehouse,
    settings: SyncSettings,
    sync_lock: SyncLock,
) -> dg.Output[steps.SyncRef]:
    metadata = _guarded(
        context, warehouse, staged_records, steps.link_step, Path(settings.inbox), settings.linkage_db_api()
    )
    return dg.Output(staged_records, metadata=metadata)


@dg.asset(group_name=GROUP, description="Categories, entitlements and gap alerts.")
def policy_results(
    context, linked_children: steps.SyncRef, warehouse: Warehouse, sync_lock: SyncLock
) -> dg.Output[steps.SyncRef]:
    metadata = _guarded(context, warehouse, linked_children, steps.policy_step)
    return dg.Output(linked_children, metadata=metadata)


@dg.asset(group_name=GROUP, description="Audit, then swap the registry in atomically.")
def published_registry(
    context, policy_results: steps.SyncRef, warehouse: Warehouse, sync_lock: SyncLock
) -> dg.Output[steps.SyncRef]:
    ref = _guarded(context, warehouse, policy_results, steps.publish_step)
    return dg.Output(ref, metadata={"sync_id": ref.sync_id})


@dg.asset(group_name=GROUP, description="Department workbooks, coverage report, review queue.")
def exports(
    context,
    published_registry: steps.SyncRef,
    warehouse: Warehouse,
    settings: SyncSettings,
    sync_lock: SyncLock,
) -> dg.MaterializeResult:
    try:
        paths = steps.export_step(warehouse.engine(), published_registry, Path(settings.exports))
    except Exception as exc:
        _retry_if_transient(context, exc)
        raise
    return dg.MaterializeResult(
        metadata={"files": len(paths), "folder": str(paths[0].parent) if paths else ""}
    )


SYNC_ASSETS = [raw_rows, staged_records, linked_children, policy_results, published_registry, exports]


@dg.asset(
    group_name="model",
    deps=[staged_records],
    description="Re-train the Splink model on the latest staged records (unlabelled EM); writes the model JSON.",
)
def linkage_model(warehouse: Warehouse) -> dg.MaterializeResult:
    path = steps.train_step(warehouse.engine())
    return dg.MaterializeResult(metadata={"model_file": str(path)})
