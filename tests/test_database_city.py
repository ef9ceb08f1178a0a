"""Issue 16 (3): a source served from a database gives the same registry as its files.

A small synthetic city is synced twice: once all from files (warehouse A), once with
the education extract's rows loaded into a real PostgreSQL table named by
``<inbox>/sources.yaml`` and its folder emptied (warehouse B). The same records make
the same children and the same open alerts: records are compared by their content
key (``record_key``), as ``source_file``/``source_row`` differ by construction. When
the table vanishes before the next sync, the source is incomplete and closes nothing.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import POSTGRES_URL, _fresh_postgres_url

from ingest.read import read_inbox
from pipelines.cli import run_sync
from policy import load_rules
from synth import write_city
from warehouse import tables as T
from warehouse.engine import make_engine
from warehouse.restricted import read_whole

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="CHILDREG_TEST_POSTGRES_URL not set (.ci/run starts PostgreSQL)"
)

AS_OF = date(2026, 11, 30)
EDU = "education_students"
TABLE = "xueji_export"
KEY = "row_no"


def _table(url: str, table: T.Table) -> pd.DataFrame:
    engine = make_engine(url)
    with engine.connect() as conn:
        frame = read_whole(conn, table)
    engine.dispose()
    return frame


def _education_rows(inbox: Path) -> pd.DataFrame:
    """The education files' rows as the project's reader reads them, under each file's
    own headers; a file dropped twice (same bytes) once, as a database holds a row once."""
    education = inbox.parent / "education_only"
    shutil.copytree(inbox / EDU, education / EDU)
    read = read_inbox(education, sync_id=0)
    first = {f.file_name for f in read.files if f.duplicate_of is None}
    raw = read.raw.loc[read.raw["source_file"].isin(first)].sort_values(["source_file", "source_row"])
    rows = pd.DataFrame([json.loads(c) for c in raw["cells"]])
    rows.insert(0, KEY, range(1, len(rows) + 1))
    return rows


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("city")
    write_city(out, children=600, seed=11, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def files_sync(city, tmp_path_factory) -> str:
    """Warehouse A: the whole city from files."""
    folder = tmp_path_factory.mktemp("files")
    url = f"duckdb:///{folder}/a.duckdb"
    assert run_sync(city / "inbox", AS_OF, url, folder / "exports") == 0
    return url


@pytest.fixture(scope="module")
def database_sync(city, tmp_path_factory) -> tuple[str, str, Path]:
    """Warehouse B: education from a PostgreSQL table, the rest from files. Returns
    B's URL, the department database's URL and B's inbox."""
    folder = tmp_path_factory.mktemp("database")
    department = _fresh_postgres_url()
    rows = _education_rows(city / "inbox")
    engine = sa.create_engine(department)
    rows.to_sql(TABLE, engine, index=False, dtype={c: sa.Text() for c in rows.columns if c != KEY})
    engine.dispose()
    inbox = folder / "inbox"
    shutil.copytree(city / "inbox", inbox)
    for path in (inbox / EDU).iterdir():
        path.unlink()
    (inbox / "sources.yaml").write_text(
        f"{EDU}:\n  url: {department}\n  table: {TABLE}\n  key: {KEY}\n", encoding="utf-8"
    )
    url = f"duckdb:///{folder}/b.duckdb"
    assert run_sync(inbox, AS_OF, url, folder / "exports") == 0
    return url, department, inbox


def _children(url: str) -> dict[frozenset[str], frozenset[str]]:
    """Each child as the set of its records' content keys → its open alert codes."""
    records = _table(url, T.CHILD_RECORDS)
    alerts = _table(url, T.GAP_ALERTS)
    members = records.groupby("child_id")["record_key"].agg(frozenset)
    open_codes = alerts.loc[alerts["status"].eq("open")].groupby("child_id")["alert"].agg(frozenset)
    return {keys: open_codes.get(child, frozenset()) for child, keys in members.items()}


def test_education_from_postgres_gives_the_same_children_and_alerts(files_sync, database_sync):
    url_b, _, _ = database_sync
    [sync] = _table(url_b, T.SYNCS).to_dict("records")
    counts = json.loads(sync["sources"])[EDU]
    assert counts["files"] == 1 and counts["rows_read"] > 0 and not counts["files_refused"]
    assert not sync["incomplete_sources"]
    a, b = _children(files_sync), _children(url_b)
    assert len(a) > 500
    assert set(a) == set(b), (
        f"{len(set(a) - set(b))} children of A not in B, {len(set(b) - set(a))} of B not in A"
    )
    differing = [keys for keys in a if a[keys] != b[keys]]
    assert not differing, f"{len(differing)} children with other open alerts"
    education = [_table(u, T.CHILD_RECORDS).query("source_system == @EDU") for u in (files_sync, url_b)]
    assert len(education[0]) > 100 and set(education[1]["source_file"]) == {f"db:{EDU}"}


def test_a_vanished_table_makes_education_incomplete_and_closes_nothing(database_sync, tmp_path):
    url_b, department, inbox = database_sync
    copy = tmp_path / "c.duckdb"
    shutil.copy(url_b.removeprefix("duckdb:///"), copy)
    url = f"duckdb:///{copy}"
    engine = sa.create_engine(department)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {TABLE}")
    engine.dispose()
    assert run_sync(inbox, AS_OF, url, tmp_path / "exports") == 0

    sync = _table(url, T.SYNCS).sort_values("sync_id").iloc[-1].to_dict()
    assert sync["status"] == "published"
    assert EDU in sync["incomplete_sources"].split(",")
    refused = json.loads(sync["sources"])[EDU]["files_refused"]
    assert [r["file"] for r in refused] == [f"db:{EDU}"]

    frozen = load_rules(AS_OF).alerts_reading({EDU})
    before = _table(url_b, T.GAP_ALERTS).set_index("alert_id")
    after = _table(url, T.GAP_ALERTS).set_index("alert_id")
    was_open = before.index[before["status"].eq("open") & before["alert"].isin(frozen)]
    assert len(was_open)
    assert after.loc[was_open, "status"].isin(["open", "held"]).all()
    assert not after.loc[after["alert"].isin(frozen), "status"].eq("resolved").any()
