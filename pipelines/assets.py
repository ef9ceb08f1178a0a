"""The sync as Dagster assets, inbox → raw → staged → linked → registry → published → exports.

``raw_rows`` opens the sync; its ``SyncRef`` is every later asset's input, so each step
is handed its own sync rather than looking for one. Each asset is one call into
``pipelines.steps``; a failure marks this sync failed (nothing is published) and
re-raises so Dagster shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import dagster as dg

from pipelines import steps
from pipelines.resources import SyncSettings, Warehouse

R = TypeVar("R")
GROUP = "sync"
RETRY = dg.RetryPolicy(max_retries=2, delay=5)


def _guarded(warehouse: Warehouse, ref: steps.SyncRef, work: Callable[..., R], *args: object) -> R:
    engine = warehouse.engine()
    try:
        return work(engine, ref, *args)
    except Exception as exc:
        steps.fail_sync(engine, ref, f"{work.__name__}: {type(exc).__name__}: {exc}")
        raise


@dg.asset(group_name=GROUP, retry_policy=RETRY, description="Every data row of every inbox file, as read.")
def raw_rows(warehouse: Warehouse, settings: SyncSettings) -> dg.Output[steps.SyncRef]:
    ref = steps.read_step(warehouse.engine(), Path(settings.inbox), settings.as_of_date())
    return dg.Output(ref, metadata={"sync_id": ref.sync_id, "as_of": str(ref.as_of)})


@dg.asset(group_name=GROUP, description="Canonical person rows per extract; quarantine.")
def staged_records(
    raw_rows: steps.SyncRef, warehouse: Warehouse, settings: SyncSettings
) -> dg.Output[steps.SyncRef]:
    sources = _guarded(warehouse, raw_rows, steps.stage_step, Path(settings.exports) / "data_docs")
    metadata = {
        f"{s}.{k}": v for s, figures in sources.items() for k, v in figures.items() if isinstance(v, int)
    }
    return dg.Output(raw_rows, metadata=metadata)


@dg.asset(group_name=GROUP, description="Pairs, clusters, stable child ids, golden records.")
def linked_children(
    staged_records: steps.SyncRef, warehouse: Warehouse, settings: SyncSettings
) -> dg.Output[steps.SyncRef]:
    metadata = _guarded(
        warehouse, staged_records, steps.link_step, Path(settings.inbox), settings.linkage_db_api()
    )
    return dg.Output(staged_records, metadata=metadata)


@dg.asset(group_name=GROUP, description="Categories, entitlements and gap alerts.")
def policy_results(linked_children: steps.SyncRef, warehouse: Warehouse) -> dg.Output[steps.SyncRef]:
    metadata = _guarded(warehouse, linked_children, steps.policy_step)
    return dg.Output(linked_children, metadata=metadata)


@dg.asset(group_name=GROUP, description="Audit, then swap the registry in atomically.")
def published_registry(policy_results: steps.SyncRef, warehouse: Warehouse) -> dg.Output[steps.SyncRef]:
    ref = _guarded(warehouse, policy_results, steps.publish_step)
    return dg.Output(ref, metadata={"sync_id": ref.sync_id})


@dg.asset(group_name=GROUP, description="Department workbooks, coverage report, review queue.")
def exports(
    published_registry: steps.SyncRef, warehouse: Warehouse, settings: SyncSettings
) -> dg.MaterializeResult:
    paths = steps.export_step(
        warehouse.engine(), published_registry, Path(settings.exports), settings.retention_months
    )
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
