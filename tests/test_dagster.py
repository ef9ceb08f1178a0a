"""The Dagster definitions load, and the operations behave (issue 6)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import dagster as dg

from pipelines.definitions import defs
from pipelines.resources import SyncSettings
from pipelines.schedules import monthly_sync
from pipelines.sensors import new_inbox_file


def test_definitions_load_with_the_whole_graph():
    repo = defs.get_repository_def()  # what `dg check defs` and `dagster dev` load
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {
        "raw_rows",
        "staged_records",
        "linked_children",
        "policy_results",
        "published_registry",
        "exports",
    } <= keys
    job = defs.resolve_job_def("sync")
    assert "linkage_model" not in {n.name for n in job.nodes}
    assert repo.asset_checks_defs_by_key, "expectations are declared as asset checks"


def _tick(inbox, cursor):
    context = dg.build_sensor_context(cursor=cursor, resources={"settings": SyncSettings(inbox=str(inbox))})
    result = new_inbox_file(context)
    return result, context.cursor


def test_sensor_starts_one_sync_per_new_content(tmp_path):
    folder = tmp_path / "inbox" / "education_students"
    folder.mkdir(parents=True)
    (folder / "学籍202611.csv").write_bytes("姓名,性别\n".encode("utf-8-sig"))
    first, cursor = _tick(tmp_path / "inbox", None)
    assert isinstance(first, dg.RunRequest)
    assert first.run_config["resources"]["settings"]["config"]["as_of"]

    again, cursor = _tick(tmp_path / "inbox", cursor)  # nothing new
    assert isinstance(again, dg.SkipReason)

    shutil.copy(folder / "学籍202611.csv", folder / "学籍202611-副本.csv")  # the same file dropped twice
    (folder / "学籍202611.csv").rename(folder / "renamed.csv")  # and renamed
    same, cursor = _tick(tmp_path / "inbox", cursor)
    assert isinstance(same, dg.SkipReason)

    (folder / "学籍202612.csv").write_bytes("姓名,性别\n张,男\n".encode("utf-8-sig"))
    new, cursor = _tick(tmp_path / "inbox", cursor)
    assert isinstance(new, dg.RunRequest) and new.run_key != first.run_key
    assert len(json.loads(cursor)) == 2


def test_monthly_schedule_syncs_as_of_the_end_of_last_month():
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 12, 1, 3, 0))
    request = monthly_sync(context)
    assert request.run_config["resources"]["settings"]["config"]["as_of"] == "2026-11-30"
