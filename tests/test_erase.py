"""Issue 14, erasure: ``childreg erase`` removes a child from every table, and the
suppression entry it leaves keeps next month's extracts from bringing the child back.

Failure messages name tables and files, never the child's values.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from pipelines.cli import main, run_sync
from synth import write_city
from warehouse import tables as T
from warehouse.engine import make_engine
from warehouse.schema import BUILD_SCHEMA
from warehouse.suppress import Suppressions, identity_digests

AS_OF = date(2026, 11, 30)
KEY = bytes(range(32))


def _person(**fields) -> dict:
    base = {"source_system": "education_students", "id_number": None, "name_norm": None}
    return {**base, "birth_date": pd.Timestamp("2015-03-02"), "county_code": "510411", **fields}


def test_a_child_without_a_number_is_suppressed_by_name_birth_date_and_county():
    erased = pd.DataFrame([_person(name_norm="王小明")])
    by_name = identity_digests(erased, KEY)["name_birth_county"]
    rows = pd.DataFrame(
        [
            _person(name_norm="王小明"),  # the erased child, in another extract
            _person(name_norm="王小明", source_system="health_insurance"),
            _person(name_norm="王小明", id_number="510411201503020011"),  # a namesake with a number
            _person(name_norm="王小明", county_code="510402"),  # a namesake elsewhere
            _person(name_norm="李四"),
        ]
    )
    kept, counts = Suppressions(KEY, frozenset(by_name.dropna())).drop(rows)
    assert counts == {"education_students": 1, "health_insurance": 1}
    assert kept["id_number"].notna().sum() == 1 and len(kept) == 3


def test_a_child_with_a_number_is_suppressed_by_it_under_any_name():
    erased = pd.DataFrame([_person(name_norm="王小明", id_number="510411201503020011")])
    by_id = identity_digests(erased, KEY)["id_number"]
    rows = pd.DataFrame(
        [_person(name_norm="王晓明", id_number="510411201503020011"), _person(name_norm="李四")]
    )
    kept, counts = Suppressions(KEY, frozenset(by_id.dropna())).drop(rows)
    assert counts == {"education_students": 1} and kept["name_norm"].tolist() == ["李四"]
    # another key makes other digests: nothing matches
    assert len(Suppressions(bytes(32), frozenset(by_id.dropna())).drop(rows)[0]) == 2


def test_the_same_row_next_month_is_suppressed_by_its_content_key_without_number_or_birth_date():
    erased = pd.DataFrame([_person(name_norm="王小明", birth_date=None, record_key="k1-0")])
    digests = frozenset(identity_digests(erased, KEY)["record_key"].dropna())
    rows = pd.DataFrame(
        [_person(name_norm="王小明", birth_date=None, record_key=k) for k in ("k1-0", "k2-0")]
    )
    kept, counts = Suppressions(KEY, digests).drop(rows)
    assert counts == {"education_students": 1} and kept["record_key"].tolist() == ["k2-0"]


@pytest.fixture(scope="module")
def synced(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("erase")
    write_city(folder / "city", children=400, seed=15, as_of=AS_OF)
    assert run_sync(folder / "city" / "inbox", AS_OF, f"duckdb:///{folder}/w.duckdb", folder / "exports") == 0
    return folder


def _every_text(conn: sa.Connection) -> dict[str, list[str]]:
    """Every text cell of every table of every schema, per qualified table name."""
    tables = [*T.WORK_TABLES, *T.REGISTRY_TABLES, *T.RESTRICTED_TABLES]
    names = [t.qualified_name for t in tables] + [f"{BUILD_SCHEMA}.{t.name}" for t in T.REGISTRY_TABLES]
    out = {}
    for name in names:
        rows = conn.execute(sa.text(f"SELECT * FROM {name}")).all()
        out[name] = [v for row in rows for v in row if isinstance(v, str)]
    return out


def _tables_holding(url: str, needle: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = [t for t, cells in _every_text(conn).items() if any(needle in c for c in cells)]
    engine.dispose()
    return found


def _exports_holding(folder: Path, needle: str) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.suffix == ".xlsx":
            book = load_workbook(path, read_only=True)
            cells = (str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row)
            if any(needle in c for c in cells if c):
                found.append(path.name)
            book.close()
        elif path.suffix in (".html", ".json", ".csv") and needle in path.read_text(errors="ignore"):
            found.append(path.name)
    return found


def _chosen_child(url: str) -> dict:
    """A child with an identity number, records in two extracts and an open alert; one with
    a record of the restricted register (kept in restricted's twin tables) first."""
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT c.child_id, c.id_number, c.n_records + (SELECT count(*) FROM restricted.child_records r "
                "WHERE r.child_id = c.child_id) AS n_records, EXISTS (SELECT 1 FROM restricted.child_records r "
                "WHERE r.child_id = c.child_id) AS on_register FROM registry.children c "
                "WHERE c.id_number IS NOT NULL AND c.n_records >= 2 AND EXISTS (SELECT 1 FROM "
                "registry.gap_alerts a WHERE a.child_id = c.child_id AND a.status = 'open') "
                "ORDER BY on_register DESC, c.n_records DESC, c.child_id LIMIT 1"
            )
        ).one()
    engine.dispose()
    return dict(row._mapping)


def test_erased_child_is_in_no_table_and_no_export_and_stays_out(synced, capsys):
    url = f"duckdb:///{synced}/w.duckdb"
    child = _chosen_child(url)
    assert child["on_register"], "the city should hold such a child with a health_conditions row"
    assert _tables_holding(url, child["id_number"]) and _exports_holding(
        synced / "exports", child["id_number"]
    )

    assert (
        main(["erase", "--child-id", child["child_id"], "--reason", "guardian's request", "--warehouse", url])
        == 0
    )
    output = capsys.readouterr()
    assert child["id_number"] not in output.out + output.err
    assert _tables_holding(url, child["id_number"]) == []
    assert _tables_holding(url, child["child_id"]) == []
    engine = make_engine(url)
    with engine.connect() as conn:
        erasures = conn.execute(sa.text("SELECT * FROM registry.erasures")).mappings().all()
        entries = conn.execute(sa.text("SELECT kind FROM restricted.suppressions")).scalars().all()
    engine.dispose()
    assert [set(e) for e in erasures] == [{"erased_at", "reason", "sync_id"}]
    assert erasures[0]["reason"] == "guardian's request" and erasures[0]["sync_id"] == 1
    assert {"id_number", "name_birth_county", "record_key"} <= set(entries)
    key = Path(f"{synced}/w.duckdb.key")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600

    # Next month's extracts still hold the child: the same inbox again.
    assert run_sync(synced / "city" / "inbox", AS_OF, url, synced / "exports") == 0
    assert _tables_holding(url, child["id_number"]) == []
    assert _exports_holding(synced / "exports", child["id_number"]) == []
    engine = make_engine(url)
    with engine.connect() as conn:
        sources = json.loads(
            conn.execute(
                sa.text("SELECT sources FROM registry.syncs WHERE sync_id = 2 AND status = 'published'")
            ).scalar()
        )
    engine.dispose()
    suppressed = sum(f.get("rows_suppressed", 0) for f in sources.values())
    assert suppressed == child["n_records"]
    for source, figures in sources.items():
        if source != "civil_affairs_staff":
            placed = figures["rows_staged"] + figures["rows_quarantined"] + figures.get("rows_suppressed", 0)
            assert figures["rows_read"] == placed, source


def test_an_unknown_child_is_refused_and_nothing_is_written(synced, capsys):
    url = f"duckdb:///{synced}/w.duckdb"
    engine = make_engine(url)
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM registry.erasures")).scalar()
    assert main(["erase", "--child-id", "NO-SUCH-CHILD", "--reason", "test", "--warehouse", url]) == 1
    assert "no child NO-SUCH-CHILD" in capsys.readouterr().err
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM registry.erasures")).scalar() == before
    engine.dispose()
