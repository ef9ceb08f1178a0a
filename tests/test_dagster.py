"""The Dagster definitions load, and the operations behave (issue 6)."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import defs
from pipelines.failures import LOG_NAME, sync_failed
from pipelines.partitions import month_end
from pipelines.resources import SyncSettings, from_env
from pipelines.schedules import monthly_sync
from pipelines.sensors import new_inbox_file
from synth import write_city
from warehouse.engine import make_engine
from warehouse.ledger import begin_sync
from warehouse.lock import sync_lock


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
    assert request.partition_key == "2026-11-01"
    assert month_end(request.partition_key) == date(2026, 11, 30)


@pytest.fixture(scope="module")
def two_months(tmp_path_factory):
    """A small city synced as two monthly partitions, on one Dagster instance; the
    health register is left out so its checks have a source that did not arrive."""
    folder = tmp_path_factory.mktemp("months")
    write_city(folder / "city", children=300, seed=7)
    shutil.rmtree(folder / "city" / "inbox" / "health_conditions")
    warehouse = folder / "w.duckdb"
    instance = dg.DagsterInstance.ephemeral()
    resources = from_env(
        f"duckdb:///{warehouse}", inbox=str(folder / "city" / "inbox"), exports=str(folder / "ex")
    )
    results = {
        month: defs.resolve_job_def("sync").execute_in_process(
            partition_key=month, resources=resources, instance=instance, raise_on_error=False
        )
        for month in ("2026-10-01", "2026-11-01")
    }
    return folder, warehouse, instance, results


def test_two_monthly_partitions_are_two_syncs_as_of_their_month_ends(two_months):
    _, warehouse, instance, results = two_months
    assert all(r.success for r in results.values())
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        syncs = conn.execute("SELECT as_of::DATE, status FROM registry.syncs ORDER BY sync_id").fetchall()
    assert syncs == [(date(2026, 10, 31), "published"), (date(2026, 11, 30), "published")]
    materialised = instance.get_materialized_partitions(dg.AssetKey("published_registry"))
    assert materialised == {"2026-10-01", "2026-11-01"}


def _materialisation(result, asset: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.path == [asset]]
    return event.materialization.metadata


def test_the_ui_shows_what_each_stage_did(two_months):
    folder, _, _, results = two_months
    november = results["2026-11-01"]
    linked = _materialisation(november, "linked_children")
    assert 0 < linked["match_rate"].value <= 1 and "review_queue" in linked
    alerts = _materialisation(november, "policy_results")["alerts_per_code"].value
    assert alerts and all(set(by_status) <= {"open", "held", "resolved"} for by_status in alerts.values())
    exports = _materialisation(november, "exports")
    assert exports["coverage_report"].value.endswith("coverage_report.html")
    schema = defs.get_assets_def("policy_results").metadata_by_key
    columns = next(iter(schema.values()))["dagster/column_schema"].columns
    assert any(c.name == "alert_id" and c.description for c in columns)


def test_a_source_that_did_not_arrive_fails_its_checks_with_the_reason(two_months):
    _, _, _, results = two_months
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in results["2026-11-01"].all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    health = [c for name, c in checks.items() if name.startswith("health_conditions__")]
    assert health and not any(c.passed for c in health)
    assert all("no file arrived" in c.metadata["reason"].value for c in health)
    assert checks["build_audit"].passed


def test_a_failed_run_is_written_to_the_log_and_the_sync_record(tmp_path):
    (tmp_path / "inbox" / "education_students").mkdir(parents=True)  # no data row: the sync fails
    warehouse = tmp_path / "w.duckdb"
    resources = from_env(
        f"duckdb:///{warehouse}", inbox=str(tmp_path / "inbox"), exports=str(tmp_path / "ex")
    )
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("sync").execute_in_process(
        partition_key="2026-11-01", resources=resources, instance=instance, raise_on_error=False
    )
    assert not result.success
    # A sync the run left running, as a process killed mid-step leaves it.
    with sync_lock(f"duckdb:///{warehouse}"):
        begin_sync(make_engine(f"duckdb:///{warehouse}"), date(2026, 11, 30))
    context = dg.build_run_status_sensor_context(
        sensor_name="sync_failed",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={k: resources[k] for k in ("warehouse", "settings")},  # what the sensor uses
    ).for_run_failure()
    sync_failed(context)
    line = (tmp_path / "ex" / LOG_NAME).read_text(encoding="utf-8")
    assert result.dagster_run.run_id in line and "raw_rows" in line
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute("SELECT status, message FROM registry.syncs ORDER BY sync_id").fetchall()
    assert {status for status, _ in rows} == {"failed"}
    assert result.dagster_run.run_id in rows[-1][1]
