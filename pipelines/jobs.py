"""Jobs: the sync (what the schedule, the sensor and ``childreg run`` execute) and model training."""

from __future__ import annotations

import dagster as dg

from pipelines.assets import SYNC_ASSETS, linkage_model

# Runs carrying this tag are limited to one at a time by the instance's run queue
# (pipelines/dagster.yaml: concurrency.runs.tag_concurrency_limits), so the schedule
# and the sensor queue a second sync instead of starting one that would stop at the lock.
SYNC_CONCURRENCY_TAG = "childreg/warehouse"

sync_job = dg.define_asset_job(
    "sync",
    selection=dg.AssetSelection.assets(*SYNC_ASSETS),
    description="Read the inbox, stage, link, apply the policy, publish atomically, export.",
    tags={SYNC_CONCURRENCY_TAG: "sync"},
    # One process for the whole run: the sync lock resource is opened once, before the
    # first step, and held until the last (a process per step would drop it between steps).
    executor_def=dg.in_process_executor,
)

train_job = dg.define_asset_job(
    "train_linkage_model",
    selection=dg.AssetSelection.assets(linkage_model),
    description="Re-estimate the linkage model from the latest staged records and save it as JSON.",
)
