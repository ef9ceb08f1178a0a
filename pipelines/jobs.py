"""Jobs: the sync (what the schedule, the sensor and ``childreg run`` execute) and model training."""

from __future__ import annotations

import dagster as dg

from pipelines.assets import SYNC_ASSETS, linkage_model

sync_job = dg.define_asset_job(
    "sync",
    selection=dg.AssetSelection.assets(*SYNC_ASSETS),
    description="Read the inbox, stage, link, apply the policy, publish atomically, export.",
    tags={"dagster/max_retries": "2"},
)

train_job = dg.define_asset_job(
    "train_linkage_model",
    selection=dg.AssetSelection.assets(linkage_model),
    description="Re-estimate the linkage model from the latest staged records and save it as JSON.",
)
