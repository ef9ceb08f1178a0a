"""Issue 14, protected storage: file modes, restricted facts apart, roles, retention.

Real syncs of a small synthetic city with hiv and seriously ill children: on a DuckDB
file (modes of the file, its spill folder and every export; retention after ageing the
warehouse) and, where CI provides PostgreSQL, as ``childreg_sync`` with a reader that
connects as ``childreg_reader``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from pipelines.cli import main, run_sync
from synth import write_city
from warehouse import tables as T
from warehouse.engine import SchemaBehind, alembic_config, ensure_schema, make_engine, migrate
from warehouse.permissions import spill_folder
from warehouse.schema import BUILD_SCHEMA

AS_OF = date(2026, 11, 30)
RATES = {"hiv": 0.02, "serious_illness": 0.03}
POSTGRES_URL = os.environ.get("CHILDREG_TEST_POSTGRES_URL")
# An ICD-10 code as the health register writes it (B20, Z21, C92.0 …).
DIAGNOSIS_CODE = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("storage_city")
    write_city(out, children=400, seed=14, as_of=AS_OF, rates=RATES)
    return out


@pytest.fixture(scope="module")
def synced(city, tmp_path_factory) -> Path:
    """One published sync on a DuckDB file; returns its folder (w.duckdb, exports/)."""
    folder = tmp_path_factory.mktemp("storage_sync")
    assert run_sync(city / "inbox", AS_OF, f"duckdb:///{folder}/w.duckdb", folder / "exports") == 0
    return folder


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_warehouse_file_spill_folder_and_every_export_are_owner_only(synced):
    database = synced / "w.duckdb"
    assert _mode(database) == 0o600
    wal = Path(f"{database}.wal")
    assert not wal.exists() or _mode(wal) == 0o600
    spill = Path(f"{database}.spill")
    assert spill.is_dir() and _mode(spill) == 0o700
    # Splink's DuckDB spills there too, not into a fixed folder of the system temp folder.
    assert spill_folder() == spill
    exports = synced / "exports"
    folders = [exports, *(p for p in exports.rglob("*") if p.is_dir())]
    files = [p for p in exports.rglob("*") if p.is_file()]
    assert len(files) > 5 and any(f.suffix == ".xlsx" for f in files)
    assert {str(p.relative_to(exports)): oct(_mode(p)) for p in folders if _mode(p) != 0o700} == {}
    assert {str(p.relative_to(exports)): oct(_mode(p)) for p in files if _mode(p) != 0o600} == {}
    # The review queue sits in a folder of its own, apart from the departments' workbooks.
    [queue] = [f for f in files if f.name == "review_queue.xlsx"]
    assert queue.parent.name == "review" and not any(
        f.suffix == ".xlsx" for f in queue.parent.parent.glob("review*")
    )


def _texts(conn: sa.Connection) -> dict[str, list[str]]:
    """Every text cell of every registry table, per table."""
    out = {}
    for table in T.REGISTRY_TABLES:
        rows = conn.execute(sa.text(f"SELECT * FROM registry.{table.name}")).all()
        out[table.name] = [str(v) for row in rows for v in row if isinstance(v, str)]
    return out


def _diagnosis_codes(conn: sa.Connection) -> set[str]:
    codes = conn.execute(sa.text("SELECT DISTINCT diagnosis_code FROM restricted.diagnoses")).scalars()
    return {c for c in codes if c}


def _registry_holds_no_diagnosis(conn: sa.Connection) -> None:
    codes = _diagnosis_codes(conn)
    assert codes and all(DIAGNOSIS_CODE.match(c) for c in codes)
    # a code as a whole token: "C64" inside a hexadecimal child id is not a diagnosis
    token = re.compile("(?<![0-9A-Za-z])(" + "|".join(map(re.escape, sorted(codes))) + ")(?![0-9A-Za-z])")
    for table, cells in _texts(conn).items():
        found = {m for cell in cells for m in token.findall(cell)}
        assert not found, f"registry.{table} holds {len(found)} diagnosis codes"
    hiv = conn.execute(
        sa.text("SELECT count(*) FROM registry.child_categories WHERE category IN ('hiv', 'serious_illness')")
    )
    assert hiv.scalar() == 0
    # and the restricted schema holds what the registry does not
    assert conn.execute(sa.text("SELECT count(*) FROM restricted.child_categories")).scalar() > 0


def test_restricted_facts_leave_the_registry_and_work_is_emptied(synced):
    engine = make_engine(f"duckdb:///{synced}/w.duckdb")
    with engine.connect() as conn:
        _registry_holds_no_diagnosis(conn)
        # alerts whose reason is restricted keep their whole sentence and evidence apart
        moved = conn.execute(sa.text("SELECT count(*) FROM restricted.alert_evidence")).scalar()
        assert moved > 0
        evidence = conn.execute(
            sa.text("SELECT evidence FROM registry.gap_alerts WHERE evidence IS NOT NULL")
        )
        systems = {item["system"] for (text,) in evidence for item in json.loads(text)}
        assert "health_conditions" not in systems and systems
        named = "SELECT count(*) FROM registry.children WHERE sources LIKE '%health_conditions%'"
        assert conn.execute(sa.text(named)).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM work.raw_rows")).scalar() == 0
        for table in T.REGISTRY_TABLES:
            assert conn.execute(sa.text(f"SELECT count(*) FROM {BUILD_SCHEMA}.{table.name}")).scalar() == 0
        diagnosed = "SELECT count(*) FROM work.staged_records WHERE diagnosis_code IS NOT NULL"
        assert conn.execute(sa.text(diagnosed)).scalar() == 0
        # what the next sync reads stays: staged rows (exports, erasure) and pairs (incremental linkage)
        assert conn.execute(sa.text("SELECT count(*) FROM work.staged_records")).scalar() > 0
        assert conn.execute(sa.text("SELECT count(*) FROM work.pairs")).scalar() > 0
    engine.dispose()


def test_no_registry_row_says_a_child_is_on_the_restricted_register(synced):
    """A child's row from health_conditions, a review pair naming one, or an alert flagged
    restricted tells whoever reads it that the child is on the register: those rows live in
    restricted's twin tables, the flags in restricted.alert_evidence."""
    engine = make_engine(f"duckdb:///{synced}/w.duckdb")
    with engine.connect() as conn:
        for table, cells in _texts(conn).items():
            named = sum(c.startswith("health_conditions:") for c in cells)
            assert named == 0, f"registry.{table} names {named} health_conditions records"
        registry = "SELECT count(*) FROM registry.child_records WHERE source_system = 'health_conditions'"
        assert conn.execute(sa.text(registry)).scalar() == 0
        twin = conn.execute(sa.text("SELECT DISTINCT source_system FROM restricted.child_records")).scalars()
        assert list(twin) == ["health_conditions"]
        pairs = conn.execute(sa.text("SELECT record_id_l, record_id_r FROM restricted.review_pairs")).all()
        assert all(any(r.startswith("health_conditions:") for r in pair) for pair in pairs)
        counted = (
            "SELECT count(*) FROM registry.children c WHERE n_records <> "
            "(SELECT count(*) FROM registry.child_records r WHERE r.child_id = c.child_id)"
        )
        assert conn.execute(sa.text(counted)).scalar() == 0  # n_records gives no restricted row away
        flags = "SELECT count(*) FROM registry.gap_alerts WHERE restricted IS NOT NULL"
        assert conn.execute(sa.text(flags)).scalar() == 0
        kept = "SELECT count(*) FROM restricted.alert_evidence WHERE restricted"
        assert conn.execute(sa.text(kept)).scalar() > 0
    engine.dispose()


def test_retention_prunes_old_quarantined_rows_closed_evidence_and_export_folders(city, synced, tmp_path):
    """Age a copy of the warehouse by three years, then sync again as of today."""
    shutil.copy(synced / "w.duckdb", tmp_path / "w.duckdb")
    shutil.copytree(synced / "exports", tmp_path / "exports")
    old = date(AS_OF.year - 3, AS_OF.month, AS_OF.day)
    (tmp_path / "exports" / AS_OF.isoformat()).rename(tmp_path / "exports" / old.isoformat())
    recent = tmp_path / "exports" / date(AS_OF.year - 1, AS_OF.month, AS_OF.day).isoformat()
    shutil.copytree(tmp_path / "exports" / old.isoformat(), recent)
    url = f"duckdb:///{tmp_path}/w.duckdb"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE registry.syncs SET as_of = :old"), {"old": old})
        conn.execute(
            sa.text(
                "INSERT INTO registry.gap_alerts (alert_id, child_id, alert, status, resolved_sync, evidence, "
                "restricted, first_raised, last_seen) VALUES ('closed-long-ago', 'C-none', 'dropout', "
                '\'resolved\', 1, \'[{"system": "education_students", "field": "x", "value": 1}]\', '
                "false, 1, 1)"
            )
        )
        quarantined = conn.execute(
            sa.text("SELECT count(*) FROM registry.quarantine WHERE sync_id = 1")
        ).scalar()
    assert quarantined > 0
    assert run_sync(city / "inbox", AS_OF, url, tmp_path / "exports") == 0
    with engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT count(*) FROM registry.quarantine WHERE sync_id = 1")).scalar() == 0
        )
        assert (
            conn.execute(sa.text("SELECT count(*) FROM registry.quarantine WHERE sync_id = 2")).scalar() > 0
        )
        kept = conn.execute(
            sa.text("SELECT status, evidence FROM registry.gap_alerts WHERE alert_id = 'closed-long-ago'")
        )
        assert kept.one() == ("resolved", None)
    engine.dispose()
    assert not (tmp_path / "exports" / old.isoformat()).exists()
    assert recent.is_dir() and (tmp_path / "exports" / AS_OF.isoformat()).is_dir()


# ---------------------------------------------------------------- PostgreSQL roles


def _role_url(url: str, login: str, role: str) -> str:
    """``url`` logged in as ``login`` acting as ``role`` (what a member of the role gets)."""
    base = url.split("://", 1)[1].split("@", 1)[1]
    return f"postgresql+psycopg://{login}:{login}@{base}?options=-c%20role%3D{role}"


@pytest.fixture
def database():
    """A fresh, empty database, and login roles in the two roles' groups (the roles made
    NOLOGIN here when missing, as the migration would)."""
    if not POSTGRES_URL:
        pytest.skip("CHILDREG_TEST_POSTGRES_URL not set (.ci/run starts PostgreSQL)")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    logins = {
        role: f"{name}_{role.removeprefix('childreg_')}" for role in ("childreg_sync", "childreg_reader")
    }
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
        for role, login in logins.items():
            conn.exec_driver_sql(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
                f"THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
            )
            conn.exec_driver_sql(f"CREATE ROLE {login} LOGIN PASSWORD '{login}' IN ROLE {role}")
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    yield url, {role: _role_url(url, login, role) for role, login in logins.items()}
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        for login in logins.values():
            conn.exec_driver_sql(f"DROP ROLE {login}")
    admin.dispose()


@pytest.fixture
def postgres(database):
    """The fresh database migrated by its owner: tables, the restricted schema, the grants."""
    url, as_role = database
    owner = make_engine(url)
    migrate(owner)
    owner.dispose()
    return url, as_role


def test_postgres_sync_role_never_migrates_the_owner_does(database, capsys):
    url, as_role = database
    sync = make_engine(as_role["childreg_sync"])
    with pytest.raises(SchemaBehind, match="childreg migrate"):
        ensure_schema(sync)
    assert main(["migrate", "--warehouse", url]) == 0
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"revision {head}" in capsys.readouterr().out
    ensure_schema(sync)  # at head: reads the revision, runs no DDL
    sync.dispose()


def test_postgres_reader_reads_registry_and_never_restricted(city, postgres, tmp_path):
    url, as_role = postgres
    # The sync runs as childreg_sync: no DDL (the schema is at head), writes only.
    assert run_sync(city / "inbox", AS_OF, as_role["childreg_sync"], tmp_path / "exports") == 0
    reader = sa.create_engine(as_role["childreg_reader"])
    with reader.connect() as conn:
        assert conn.execute(sa.text("SELECT current_user")).scalar() == "childreg_reader"
        assert conn.execute(sa.text("SELECT count(*) FROM registry.children")).scalar() > 0
        assert conn.execute(sa.text("SELECT count(*) FROM registry.gap_alerts")).scalar() > 0
    for table in (*T.RESTRICTED_TABLES, T.STAGED_RECORDS, T.RAW_ROWS):
        with reader.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            conn.execute(sa.text(f"SELECT * FROM {table.qualified_name} LIMIT 1"))
    reader.dispose()
    # The sync role may not change the schema.
    sync = sa.create_engine(as_role["childreg_sync"])
    with (
        sync.connect() as conn,
        pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"),
    ):
        conn.execute(sa.text("ALTER TABLE registry.children ADD COLUMN x text"))
    sync.dispose()
    owner = make_engine(url)
    with owner.connect() as conn:
        _registry_holds_no_diagnosis(conn)
    owner.dispose()


def test_a_duckdb_file_of_an_older_childreg_is_refused_naming_the_table(tmp_path):
    """The embedded file is rebuilt, not migrated: one written by an older version (a
    table without this version's columns) is refused in words, not by a binder error."""
    old = make_engine(f"duckdb:///{tmp_path}/old.duckdb")
    with old.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA registry")
        conn.exec_driver_sql("CREATE TABLE registry.syncs (sync_id INTEGER, as_of DATE)")
    with pytest.raises(SchemaBehind, match=r"older childreg \(registry\.syncs lack"):
        ensure_schema(old)
    old.dispose()
    fresh = make_engine(f"duckdb:///{tmp_path}/fresh.duckdb")
    ensure_schema(fresh)
    ensure_schema(fresh)  # a current file passes, again and again
    fresh.dispose()
