"""Shared fixtures: real warehouses (a DuckDB file; PostgreSQL when CI provides one)."""

from __future__ import annotations

import os
import sys
import uuid

import pytest
import sqlalchemy as sa

from warehouse.engine import ensure_schema, make_engine

POSTGRES_URL = os.environ.get("CHILDREG_TEST_POSTGRES_URL")

# Great Expectations' Data Docs cost a sync about a second per extract; the suite's syncs skip
# them, except test_html_offline's, which read them.
os.environ.setdefault("CHILDREG_DATA_DOCS", "false")

# make test runs the suite on pytest-xdist workers, whose __main__ has no file. Great
# Expectations imports pyspark.sql.connect, which takes such a process for a doctest run
# and exits (pyspark/sql/connect/utils.py, check_dependencies) unless __main__ has a file.
if not hasattr(sys.modules["__main__"], "__file__"):
    sys.modules["__main__"].__file__ = "<pytest-xdist worker>"


def _fresh_postgres_url() -> str:
    """A new empty database per test, so tests never see each other's tables."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request, tmp_path) -> str:
    """Each warehouse test runs on a DuckDB file and, where available, on PostgreSQL."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path}/warehouse.duckdb"
    if not POSTGRES_URL:
        pytest.skip("CHILDREG_TEST_POSTGRES_URL not set (.ci/run starts PostgreSQL)")
    return _fresh_postgres_url()


@pytest.fixture
def engine(warehouse_url) -> sa.Engine:
    engine = make_engine(warehouse_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules that build a synthetic city first: they are the long ones, and make test's
    workers take modules in collection order, so a long one started last would run alone."""
    items.sort(key=lambda item: not hasattr(item.module, "write_city"))
