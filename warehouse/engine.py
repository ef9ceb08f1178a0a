"""The warehouse connection: an embedded DuckDB file by default, any SQLAlchemy URL otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from warehouse.schema import METADATA, SCHEMAS

DEFAULT_URL = "duckdb:///var/childreg.duckdb"
URL_ENV = "CHILDREG_DATABASE_URL"


def warehouse_url(url: str | None = None) -> str:
    """The URL in force: the argument, else ``CHILDREG_DATABASE_URL``, else the embedded file."""
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


def is_duckdb(engine: sa.Engine) -> bool:
    return engine.dialect.name == "duckdb"


def make_engine(url: str | None = None) -> sa.Engine:
    """An engine for the warehouse.

    DuckDB gets ``NullPool``: two pooled connections to one file with different
    configurations fail in one process (stack.md), and a fresh connection per use is cheap.
    """
    url = warehouse_url(url)
    if url.startswith("duckdb:///"):
        path = url.removeprefix("duckdb:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(url, poolclass=NullPool)
    return sa.create_engine(url, pool_pre_ping=True)


MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: sa.Connection | None = None):
    """Alembic's configuration for the warehouse migrations, bound to a connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def ensure_schema(engine: sa.Engine) -> None:
    """Bring the warehouse to the schema of ``warehouse/tables.py``.

    PostgreSQL is migrated by Alembic (``warehouse/migrations``), so a production
    database moves forward revision by revision; the embedded DuckDB file is created
    directly (create-if-missing), since it is rebuilt rather than migrated.
    """
    if not is_duckdb(engine):
        from alembic import command

        with engine.connect() as conn:
            command.upgrade(alembic_config(conn), "head")
        return
    with engine.begin() as conn:
        for schema in SCHEMAS:
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        METADATA.create_all(conn, checkfirst=True)
