"""The sync as Dagster assets, inbox → raw → staged → linked → registry → published → exports.

Every sync asset is partitioned by month (``partitions.MONTHS``): a month's sync is as
of its last day unless the run names another date. ``raw_rows`` opens the sync; its
``SyncRef`` is every later asset's input, so each step is handed its own sync rather
than looking for one. Each asset is one call into ``pipelines.steps`` and one into
``pipelines.metadata``; a failure marks this sync failed (nothing is published) and
re-raises so Dagster shows it. Only an error that can pass on a second try (the
database unreachable or busy) makes Dagster run a step again (``pipelines.retries``).

Every sync asset requires ``sync_lock``: the run (one process, see ``pipelines.jobs``)
holds the warehouse's sync lock from before the sync opens until its exports are
written, so no other sync writes the work and build tables meanwhile.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import dagster as dg
from dagster import AssetExecutionContext

from pipelines import metadata, steps
from pipelines.partitions import MONTHS, month_end
from pipelines.resources import SyncLock, SyncSettings, Warehouse
from pipelines.retries import TRANSIENT, retry_if_transient
from warehouse import tables as T

R = TypeVar("R")
GROUP = "sync"


def _guarded(
    context: AssetExecutionContext,
    warehouse: Warehouse,
    ref: steps.SyncRef,
    work: Callable[..., R],
    *args: object,
) -> R:
    try:
        return work(warehouse.engine(), ref, *args)
    except Exception as exc:
        retry_if_transient(context, exc)
        # The ledger may be as unreachable as the step's tables; the next sync then marks this one abandoned.
        with contextlib.suppress(*TRANSIENT):
            steps.fail_sync(warehouse.engine(), ref, f"{work.__name__}: {type(exc).__name__}: {exc}")
        raise


def _as_of(context: AssetExecutionContext, settings: SyncSettings) -> date:
    """The run's own date if it names one (the CLI, the sensor), else its month's last day."""
    if settings.as_of or not context.has_partition_key:
        return settings.as_of_date()
    return month_end(context.partition_key)


@dg.asset(
    group_name=GROUP,
    partitions_def=MONTHS,
    description="Every data row of every inbox file, as read.",
    metadata=metadata.column_schema(T.RAW_ROWS),
)
def raw_rows(
    context, warehouse: Warehouse, settings: SyncSettings, sync_lock: SyncLock
) -> dg.Output[steps.SyncRef]:  # context untyped: Dagster reads the hint at runtime
    try:
        ref = steps.read_step(warehouse.engine(), Path(settings.inbox), _as_of(context, settings))
        sources = metadata.sources_of(warehouse.engine(), ref)
    except Exception as exc:
        retry_if_transient(context, exc)
        raise
    return dg.Output(
        ref,
        metadata={
            "sync_id": ref.sync_id,
            "as_of": str(ref.as_of),
            "rows_read": sum(int(s.get("rows_read", 0)) for s in sources.values()),
            "files": sum(int(s.get("files", 0)) for s in sources.values()),
        },
    )


@dg.asset(
    group_name=GROUP,
    partitions_def=MONTHS,
    description="Canonical person rows per extract; quarantine.",
    metadata=metadata.column_schema(T.STAGED_RECORDS),
)
def staged_records(
    context, raw_rows: steps.SyncRef, warehouse: Warehouse, settings: SyncSettings, sync_lock: SyncLock
) -> dg.Output[steps.SyncRef]:
    docs = Path(settings.exports) / "data_docs" if settings.data_docs else None
    sources = _guarded(context, warehouse, raw_rows, steps.stage_step, docs)
    return dg.Output(raw_rows, metadata=metadata.staging_figures(sources))


@dg.asset(
    group_name=GROUP,
    partitions_def=MONTHS,
    description="Pairs, clusters, stable child ids, golden records.",
    metadata=metadata.column_schema(T.CHILDREN),
)
def linked_children(
    context, staged_records: steps.SyncRef, warehouse: Warehouse, settings: SyncSettings, sync_lock: SyncLock
) -> dg.Output[steps.SyncRef]:
    step = _guarded(
        context, warehouse, staged_records, steps.link_step, Path(settings.inbox), settings.linkage_db_api()
    )
    return dg.Output(
        staged_records, metadata=metadata.linkage_figures(warehouse.engine(), staged_records, step)
    )


@dg.asset(
    group_name=GROUP,
    partitions_def=MONTHS,
    description="Categories, entitlements and gap alerts; department returns (<inbox>/feedback/) applied.",
    metadata=metadata.column_schema(T.GAP_ALERTS),
)
def policy_results(
    context, linked_children: steps.SyncRef, warehouse: Warehouse, settings: SyncSettings, sync_lock: SyncLock
) -> dg.Output[steps.SyncRef]:
    step = _guarded(
        context, warehouse, linked_children, steps.policy_step, Path(settings.inbox), settings.confirm_drop
    )
    return dg.Output(linked_children, metadata={**step, **metadata.alert_figures(warehouse.engine())})


@dg.asset(
    group_name=GROUP,
    partitions_def=MONTHS,
    description="Audit, then swap the registry in atomically.",
    metadata=metadata.column_schema(T.SYNCS),
)
def published_registry(
    context, policy_results: steps.SyncRef, warehouse: Warehouse, sync_lock: SyncLock
) -> dg.Output[steps.SyncRef]:
    ref = _guarded(context, warehouse, policy_results, steps.publish_step)
    return dg.Output(ref, metadata={"sync_id": ref.sync_id, "as_of": str(ref.as_of)})


@dg.asset(
    group_name=GROUP,
    partitions_def=MONTHS,
    description="Department workbooks, coverage report, review queue.",
)
def exports(
    context,
    published_registry: steps.SyncRef,
    warehouse: Warehouse,
    settings: SyncSettings,
    sync_lock: SyncLock,
) -> dg.MaterializeResult:
    folder = Path(settings.exports)
    try:
        paths = steps.export_step(warehouse.engine(), published_registry, folder, settings.retention_months)
    except Exception as exc:
        retry_if_transient(context, exc)
        raise
    return dg.MaterializeResult(metadata=metadata.export_links(paths, folder))


SYNC_ASSETS = [raw_rows, staged_records, linked_children, policy_results, published_registry, exports]


@dg.asset(
    group_name="model",
    deps=[staged_records],
    description="Re-train the Splink model on the latest staged records (unlabelled EM); writes the model JSON.",
)
def linkage_model(warehouse: Warehouse) -> dg.MaterializeResult:
    path = steps.train_step(warehouse.engine())
    return dg.MaterializeResult(metadata={"model_file": dg.MetadataValue.path(str(path))})
