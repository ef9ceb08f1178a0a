"""The warehouse connection: an embedded DuckDB file by default, any SQLAlchemy URL otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from warehouse.permissions import (
    duckdb_spill_folder,
    owner_only_umask,
    protect_duckdb,
    use_spill_folder,
)
from warehouse.schema import METADATA, SCHEMAS

DEFAULT_URL = "duckdb:///var/childreg.duckdb"
URL_ENV = "CHILDREG_DATABASE_URL"


def warehouse_url(url: str | None = None) -> str:
    """The URL in force: the argument, else ``CHILDREG_DATABASE_URL``, else the embedded file."""
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


def is_duckdb(engine: sa.Engine) -> bool:
    return engine.dialect.name == "duckdb"


def duckdb_file(url: str) -> Path | None:
    """The file of a DuckDB URL; None for another dialect or an in-memory database."""
    if not url.startswith("duckdb:///"):
        return None
    path = url.removeprefix("duckdb:///").split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def make_engine(url: str | None = None) -> sa.Engine:
    """An engine for the warehouse.

    DuckDB gets ``NullPool``: two pooled connections to one file with different
    configurations fail in one process (stack.md), and a fresh connection per use is cheap.
    From here on the process creates owner-only files (``warehouse.permissions``); a
    DuckDB file is kept 0600 and spills into its own 0700 folder beside it.
    """
    owner_only_umask()
    url = warehouse_url(url)
    if url.startswith("duckdb:///"):
        path = duckdb_file(url)
        if path is None:
            return sa.create_engine(url, poolclass=NullPool)
        path.parent.mkdir(parents=True, exist_ok=True)
        spill = use_spill_folder(duckdb_spill_folder(path))
        engine = sa.create_engine(
            url, poolclass=NullPool, connect_args={"config": {"temp_directory": str(spill)}}
        )
        sa.event.listen(engine, "connect", lambda *_: protect_duckdb(path))
        return engine
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


def schema_revision(engine: sa.Engine) -> tuple[str | None, str]:
    """(the PostgreSQL warehouse's Alembic revision or None, the code's head revision)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table_schema": "registry"})
        return context.get_current_revision(), head


def migrate(engine: sa.Engine) -> tuple[str | None, str]:
    """Run the migrations (``childreg migrate``, as the database owner): tables, the
    ``restricted`` schema and the roles' grants. Returns (revision before, head)."""
    from alembic import command

    before, head = schema_revision(engine)
    if before != head:
        with engine.connect() as conn:
            command.upgrade(alembic_config(conn), "head")
    return before, head


class SchemaBehind(RuntimeError):
    """The warehouse is older than the code: a PostgreSQL one this role may not migrate,
    or a DuckDB file written by an older childreg (rebuilt, not migrated)."""


def ensure_schema(engine: sa.Engine) -> None:
    """Bring the warehouse to the schema of ``warehouse/tables.py``.

    PostgreSQL is migrated by Alembic (``warehouse/migrations``), so a production
    database moves forward revision by revision — and only when it is behind: a
    warehouse at the head revision runs no DDL, so ``childreg_sync`` never needs to own
    a table. A behind warehouse is migrated when this URL's role may (the owner's,
    e.g. the first sync), else the sync stops and says to run ``childreg migrate``.
    The embedded DuckDB file is created directly (create-if-missing), since it is
    rebuilt rather than migrated.
    """
    if not is_duckdb(engine):
        try:
            current, head = schema_revision(engine)
            if current != head:
                migrate(engine)
        except sa.exc.ProgrammingError as exc:
            raise SchemaBehind(
                "the warehouse schema is behind the code (or not readable by this role) and this "
                "role may not migrate it: run `childreg migrate` with the owner's URL"
            ) from exc
        return
    with engine.begin() as conn:
        for schema in SCHEMAS:
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        METADATA.create_all(conn, checkfirst=True)
        stale = _tables_missing_columns(conn)
    if stale:
        raise SchemaBehind(
            f"the DuckDB warehouse was written by an older childreg ({', '.join(stale[:3])} "
            "lack columns of this version); such a file is rebuilt, not migrated: move it "
            "away and sync again"
        )


def _tables_missing_columns(conn: sa.Connection) -> list[str]:
    """Tables of the file that lack a column ``warehouse/tables.py`` declares (one query:
    SQLAlchemy's inspector took seconds per sync, table by table)."""
    present = set(
        conn.exec_driver_sql(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns"
        ).fetchall()
    )
    return [
        f"{table.schema}.{table.name}"
        for table in METADATA.sorted_tables
        if any((table.schema, table.name, column.name) not in present for column in table.columns)
    ]
