"""The sync as Dagster assets, inbox → raw → staged → linked → registry → published → exports.

Each asset is one call into ``pipelines.steps``; a failure marks the sync failed
(nothing is published) and re-raises so Dagster shows it.
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


def _guarded(warehouse: Warehouse, work: Callable[..., R], *args: object) -> R:
    engine = warehouse.engine()
    try:
        return work(engine, *args)
    except Exception as exc:
        steps.fail_sync(engine, f"{work.__name__}: {type(exc).__name__}: {exc}")
        raise


@dg.asset(group_name=GROUP, retry_policy=RETRY, description="Every data row of every inbox file, as read.")
def raw_rows(warehouse: Warehouse, settings: SyncSettings) -> dg.MaterializeResult:
    ref = _guarded(warehouse, steps.read_step, Path(settings.inbox), settings.as_of_date())
    return dg.MaterializeResult(metadata={"sync_id": ref.sync_id, "as_of": str(ref.as_of)})


@dg.asset(group_name=GROUP, deps=[raw_rows], description="Canonical person rows per extract; quarantine.")
def staged_records(warehouse: Warehouse, settings: SyncSettings) -> dg.MaterializeResult:
    sources = _guarded(warehouse, steps.stage_step, Path(settings.exports) / "data_docs")
    return dg.MaterializeResult(
        metadata={
            f"{s}.{k}": v for s, figures in sources.items() for k, v in figures.items() if isinstance(v, int)
        }
    )


@dg.asset(
    group_name=GROUP, deps=[staged_records], description="Pairs, clusters, stable child ids, golden records."
)
def linked_children(warehouse: Warehouse, settings: SyncSettings) -> dg.MaterializeResult:
    metadata = _guarded(warehouse, steps.link_step, Path(settings.inbox), settings.linkage_db_api())
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(group_name=GROUP, deps=[linked_children], description="Categories, entitlements and gap alerts.")
def policy_results(warehouse: Warehouse) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_guarded(warehouse, steps.policy_step))


@dg.asset(group_name=GROUP, deps=[policy_results], description="Audit, then swap the registry in atomically.")
def published_registry(warehouse: Warehouse) -> dg.MaterializeResult:
    ref = _guarded(warehouse, steps.publish_step)
    return dg.MaterializeResult(metadata={"sync_id": ref.sync_id})


@dg.asset(
    group_name=GROUP,
    deps=[published_registry],
    description="Department workbooks, coverage report, review queue.",
)
def exports(warehouse: Warehouse, settings: SyncSettings) -> dg.MaterializeResult:
    paths = steps.export_step(warehouse.engine(), Path(settings.exports))
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
