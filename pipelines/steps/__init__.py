"""The stages of a sync as plain functions over the warehouse.

Each Dagster asset calls one of these and nothing more; tests and benchmarks call
them directly. ``read_step`` opens the sync and returns its ``SyncRef``; every later
step is handed that ref. A step reads its input tables, calls the pure logic of
``ingest``, ``linkage``, ``policy`` and ``reports``, and writes its output tables:
``work.*`` for intermediate stages, ``registry_build.*`` for what will be published.
Nothing reaches ``registry.*`` before ``publish_step``.
"""

from pipelines.steps.exporting import export_step
from pipelines.steps.intake import read_step, stage_step
from pipelines.steps.linking import link_step, train_step
from pipelines.steps.publishing import publish_step
from pipelines.steps.rules import policy_step
from warehouse.ledger import SyncFailed, SyncRef, fail_sync

__all__ = [
    "SyncFailed",
    "SyncRef",
    "export_step",
    "fail_sync",
    "link_step",
    "policy_step",
    "publish_step",
    "read_step",
    "stage_step",
    "train_step",
]
