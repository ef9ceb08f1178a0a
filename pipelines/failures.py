"""A failed sync run is written down where the data team looks: a line in
``<exports>/sync_failures.log`` and the sync's own row in ``registry.syncs``.

The stages record their own failures; this catches what they cannot (a process killed
mid-step, a failure outside a step). Dagster's run-failure message names steps and
error classes only: our errors never carry a person's value.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from pipelines.jobs import sync_job
from pipelines.resources import SyncSettings, Warehouse
from warehouse.ledger import fail_running, now

LOG_NAME = "sync_failures.log"


def record_failure(engine: sa.Engine, log: Path, run_id: str, message: str) -> None:
    """Append the failure to the log file and close any sync the run left running."""
    log.parent.mkdir(parents=True, exist_ok=True)
    line = " ".join(message.split())[:500]
    with log.open("a", encoding="utf-8") as out:
        out.write(f"{now().isoformat(timespec='seconds')} run {run_id} failed: {line}\n")
    fail_running(engine, f"run {run_id} failed: {line}")


@dg.run_failure_sensor(monitored_jobs=[sync_job], default_status=dg.DefaultSensorStatus.RUNNING)
def sync_failed(context, warehouse: Warehouse, settings: SyncSettings) -> None:
    record_failure(
        warehouse.engine(),
        Path(settings.exports) / LOG_NAME,
        context.dagster_run.run_id,
        context.failure_event.message or "run failed",
    )
