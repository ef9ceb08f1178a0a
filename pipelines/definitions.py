"""Everything Dagster serves: ``dagster dev -m pipelines.definitions`` and ``dg check defs``."""

from __future__ import annotations

import dagster as dg

from pipelines.assets import SYNC_ASSETS, linkage_model
from pipelines.checks import build_audit, staged_expectations
from pipelines.failures import sync_failed
from pipelines.jobs import sync_job, train_job
from pipelines.resources import from_env
from pipelines.schedules import monthly_sync
from pipelines.sensors import new_inbox_file

defs = dg.Definitions(
    assets=[*SYNC_ASSETS, linkage_model],
    asset_checks=[staged_expectations, build_audit],
    jobs=[sync_job, train_job],
    schedules=[monthly_sync],
    sensors=[new_inbox_file, sync_failed],
    resources=from_env(),
)
