"""Jobs: the sync (what the schedule, the sensor and ``childreg run`` execute) and model training."""

from __future__ import annotations

import dagster as dg

from pipelines.assets import SYNC_ASSETS

sync_job = dg.define_asset_job(
    "sync",
    selection=dg.AssetSelection.assets(*SYNC_ASSETS),
    description="Read the inbox, stage, link, apply the policy, publish atomically, export.",
    tags={"dagster/max_retries": "2"},
)
