"""One sync owns the warehouse (issue 13, item 3): the sync lock, the ledger under it,
the audit in the publishing transaction, the primary keys, and retries that only
repeat what can pass."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from pipelines.definitions import defs
from pipelines.jobs import SYNC_CONCURRENCY_TAG
from pipelines.resources import from_env
from warehouse import tables as T
from warehouse.io import insert_frame, read_frame
from warehouse.ledger import SyncFailed, SyncRef, begin_sync
from warehouse.lock import WarehouseBusy, holds_sync_lock, sync_lock
from warehouse.publish import clear_build, publish
from warehouse.schema import BUILD_SCHEMA

AS_OF = date(2026, 11, 30)
ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_a_second_holder_is_refused_with_the_first_ones_name(warehouse_url):
    with sync_lock(warehouse_url):
        assert holds_sync_lock(warehouse_url)
        with (
            pytest.raises(WarehouseBusy, match=rf"another sync holds .*process {os.getpid()}"),
            sync_lock(warehouse_url),
        ):
            pass
    assert not holds_sync_lock(warehouse_url)
    with sync_lock(warehouse_url):  # released: free again
        pass


def test_the_lock_dies_with_a_killed_process(warehouse_url):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from warehouse.lock import sync_lock
            with sync_lock({warehouse_url!r}):
                print("held", flush=True)
                time.sleep(600)
        """)],
        stdout=subprocess.PIPE, text=True, env=_env(),
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusy, match=f"process {holder.pid}"), sync_lock(warehouse_url):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with sync_lock(warehouse_url):  # no stale lock after SIGKILL
        pass


def _syncs(engine: sa.Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return read_frame(conn, T.SYNCS).sort_values("sync_id", ignore_index=True)


def test_a_sync_opens_only_under_the_lock_which_proves_a_running_one_dead(engine, warehouse_url):
    with engine.begin() as conn:
        insert_frame(conn, T.SYNCS, pd.DataFrame([{"sync_id": 1, "as_of": AS_OF, "status": "running"}]))
    with pytest.raises(SyncFailed, match="sync lock"):
        begin_sync(engine, AS_OF)
    assert _syncs(engine)["status"].tolist() == ["running"]  # not ours to mark: its owner may be alive
    with sync_lock(warehouse_url):
        ref = begin_sync(engine, AS_OF)
    syncs = _syncs(engine)
    assert ref.sync_id == 2
    assert syncs["status"].tolist() == ["failed", "running"]
    assert syncs["message"][0].startswith("abandoned")


def _children(ids: list[str], sync_id: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"child_id": ids, "name": "测试", "first_seen_sync": 1, "last_seen_sync": sync_id, "n_records": 1}
    )


def _records(ids: list[str], sync_id: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_system": "education_students",
            "source_file": "a.csv",
            "source_row": range(2, 2 + len(ids)),
            "record_id": [f"education_students:a.csv:{i}" for i in range(2, 2 + len(ids))],
            "child_id": ids,
            "sync_id": sync_id,
        }
    )


def _build(engine: sa.Engine, sync_id: int, records_sync: int, category_child: str) -> SyncRef:
    """A registry published by sync 1 and a build of ``sync_id`` over two read rows."""
    ref = SyncRef(sync_id, AS_OF)
    raw = _records(["C1", "C2"], sync_id)[["source_system", "source_file", "source_row"]].assign(
        sync_id=sync_id
    )
    staged = _records(["C1", "C2"], sync_id).drop(columns="child_id").assign(role="child")
    sources = '{"education_students": {"rows_read": 2, "rows_staged": 2, "rows_quarantined": 0}}'
    with engine.begin() as conn:
        insert_frame(conn, T.CHILDREN, _children(["OLD"], 1))
        insert_frame(conn, T.SYNCS, pd.DataFrame([
            {"sync_id": 1, "as_of": AS_OF, "status": "published"},
            {"sync_id": sync_id, "as_of": AS_OF, "status": "running", "sources": sources},
        ]))  # fmt: skip
        insert_frame(conn, T.RAW_ROWS, raw)
        insert_frame(conn, T.STAGED_RECORDS, staged)
        clear_build(conn)
        insert_frame(conn, T.CHILDREN, _children(["C1", "C2"], sync_id), schema=BUILD_SCHEMA)
        insert_frame(conn, T.CHILD_RECORDS, _records(["C1", "C2"], records_sync), schema=BUILD_SCHEMA)
        insert_frame(
            conn,
            T.CHILD_CATEGORIES,
            pd.DataFrame([{"child_id": category_child, "category": "orphan", "basis": "registered",
                           "sync_id": sync_id}]),
            schema=BUILD_SCHEMA,
        )  # fmt: skip
    return ref


def _published_children(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(read_frame(conn, T.CHILDREN)["child_id"])


def test_a_sound_build_is_audited_and_swapped_in_one_transaction(engine):
    ref = _build(engine, 2, records_sync=2, category_child="C1")
    with engine.begin() as conn:
        publish(conn, ref)
    assert _published_children(engine) == ["C1", "C2"]
    assert _syncs(engine)["status"].tolist() == ["published", "published"]


@pytest.mark.parametrize(
    ("records_sync", "category_child", "problem"),
    [
        (3, "C1", "2 rows of child_records are not this sync's"),  # another sync's rows
        (2, "GONE", "1 categories point at no child"),  # a table the old audit never read
    ],
)
def test_a_build_that_is_not_this_syncs_is_not_published(engine, records_sync, category_child, problem):
    ref = _build(engine, 2, records_sync, category_child)
    with pytest.raises(SyncFailed, match=problem), engine.begin() as conn:
        publish(conn, ref)
    assert _published_children(engine) == ["OLD"]
    assert _syncs(engine)["status"].tolist() == ["published", "running"]


def test_an_empty_build_is_not_published(engine):
    """The reproduced fault: a sync whose build was emptied by another published nothing."""
    ref = _build(engine, 2, records_sync=2, category_child="C1")
    with engine.begin() as conn:
        clear_build(conn)
    with pytest.raises(SyncFailed, match=r"rows read \(2\) differ"), engine.begin() as conn:
        publish(conn, ref)
    assert _published_children(engine) == ["OLD"]


def test_the_audit_reads_every_published_table():
    from warehouse import audit
    from warehouse.publish import PUBLISHED

    audited = set(audit.THIS_SYNC_ONLY) | set(audit.KEPT_ACROSS_SYNCS) | set(audit.BY_SYNC_COLUMNS)
    assert audited == set(PUBLISHED)


@pytest.mark.parametrize(
    ("table", "row"),
    [
        (T.CHILDREN, {"child_id": "C1"}),
        (T.SYNCS, {"sync_id": 1}),
        (T.CHILD_RECORDS, {"record_id": "r1", "child_id": "C1"}),
        (T.CHILD_CATEGORIES, {"child_id": "C1", "category": "orphan", "basis": "registered"}),
        (T.ENTITLEMENTS, {"child_id": "C1", "benefit": "living_allowance"}),
    ],
)
def test_declared_primary_keys_refuse_a_second_row(engine, table, row):
    """The declared keys exist in the database (PostgreSQL: once the lead's migration has them)."""
    with engine.begin() as conn:
        insert_frame(conn, table, pd.DataFrame([row]), schema=BUILD_SCHEMA)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        insert_frame(conn, table, pd.DataFrame([row]), schema=BUILD_SCHEMA)


def test_the_sync_runs_in_one_process_and_one_at_a_time():
    job = defs.resolve_job_def("sync")
    assert job.executor_def is dg.in_process_executor  # the lock resource lives as long as the run
    assert SYNC_CONCURRENCY_TAG in job.run_tags
    limits = yaml.safe_load((ROOT / "pipelines" / "dagster.yaml").read_text())["concurrency"]["runs"]
    assert {"key": SYNC_CONCURRENCY_TAG, "limit": 1} in limits["tag_concurrency_limits"]
    assert "dagster/max_retries" not in job.run_tags  # a run is never re-run whole


def _run(
    url: str, inbox: Path, tmp_path: Path, instance: dg.DagsterInstance | None = None
) -> dg.ExecuteInProcessResult:
    resources = from_env(url, inbox=str(inbox), as_of=AS_OF.isoformat(), exports=str(tmp_path / "exports"))
    return defs.resolve_job_def("sync").execute_in_process(
        resources=resources, instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False
    )


def _events(result: dg.ExecuteInProcessResult, kind: dg.DagsterEventType) -> list[dg.DagsterEvent]:
    return [e for e in result.all_events if e.event_type == kind]


def test_a_failure_that_cannot_pass_is_not_retried(tmp_path):
    (tmp_path / "inbox" / "education_students").mkdir(parents=True)
    result = _run(f"duckdb:///{tmp_path}/w.duckdb", tmp_path / "inbox", tmp_path)
    assert not result.success
    assert not _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)
    assert len(_events(result, dg.DagsterEventType.STEP_FAILURE)) == 1


def test_a_warehouse_busy_for_a_moment_is_retried(tmp_path):
    """Another process holding the DuckDB file (an operator's shell) is an error that passes."""
    database = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time, duckdb
            conn = duckdb.connect({str(database)!r})
            print("open", flush=True)
            time.sleep(600)
        """)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "open"
    (tmp_path / "inbox" / "education_students").mkdir(parents=True)
    instance = dg.DagsterInstance.ephemeral()
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(_run, f"duckdb:///{database}", tmp_path / "inbox", tmp_path, instance)
        # The holder lets go once the first try has failed and Dagster has scheduled another.
        while not running.done() and not any(
            instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY)
            for run in instance.get_runs()
        ):
            time.sleep(0.2)
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        result = running.result()
    assert len(_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 1
    # The second try reached the inbox, which is empty: that failure is final at once.
    failures = _events(result, dg.DagsterEventType.STEP_FAILURE)
    error = failures[0].step_failure_data.error
    while error.cause is not None:
        error = error.cause
    assert len(failures) == 1 and error.cls_name == "SyncFailed" and "nothing to sync" in error.message


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    from synth import write_city

    out = tmp_path_factory.mktemp("city")
    write_city(out, children=500, seed=5, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def single_run(city, tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The registry one sync of the city publishes on a fresh warehouse."""
    from pipelines.cli import run_sync

    folder = tmp_path_factory.mktemp("single")
    url = f"duckdb:///{folder}/w.duckdb"
    assert run_sync(city / "inbox", AS_OF, url, folder / "exports") == 0
    return _registry(url)


def _registry(url: str) -> dict[str, pd.DataFrame]:
    """The published tables, in a dialect-neutral order and form."""
    keys = {
        T.CHILDREN: ["child_id", "n_records", "sources"],
        T.CHILD_RECORDS: ["record_id", "child_id"],
        T.CHILD_CATEGORIES: ["child_id", "category", "basis"],
        T.ENTITLEMENTS: ["child_id", "benefit", "status"],
        T.GAP_ALERTS: ["alert_id", "status"],
    }
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        return {
            t.name: read_frame(conn, t, columns=c).sort_values(c, ignore_index=True).astype(str)
            for t, c in keys.items()
        }


def test_two_syncs_started_together_publish_once(city, single_run, warehouse_url, tmp_path):
    """Done when: exactly one publishes, the other exits non-zero saying why, and the
    registry is a single run's."""
    command = [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(city / "inbox"),
               "--as-of", AS_OF.isoformat(), "--warehouse", warehouse_url]  # fmt: skip
    started = {}
    for i in (1, 2):  # output to files: a full pipe would stall the sync writing to it
        with open(tmp_path / f"{i}.out", "w") as out, open(tmp_path / f"{i}.err", "w") as err:
            started[i] = subprocess.Popen([*command, "--exports", str(tmp_path / f"exports{i}")],
                                          stdout=out, stderr=err, env=_env())  # fmt: skip
    outcomes = sorted(
        (process.wait(timeout=900), *((tmp_path / f"{i}.{kind}").read_text() for kind in ("out", "err")))
        for i, process in started.items()
    )
    (won, won_out, _), (lost, _, lost_err) = outcomes
    assert won == 0 and "published" in won_out
    assert lost == 3, lost_err[-2000:]
    assert "another sync holds the warehouse" in lost_err and "did not start" in lost_err
    engine = sa.create_engine(warehouse_url, poolclass=sa.pool.NullPool)
    assert _syncs(engine)["status"].tolist() == ["published"]  # the loser never opened a sync
    registry = _registry(warehouse_url)
    for name, frame in single_run.items():
        pd.testing.assert_frame_equal(registry[name], frame, obj=name)
