"""Alembic environment: migrations of the warehouse schema on PostgreSQL.

The target is the metadata made from ``warehouse/tables.py``, so
``alembic revision --autogenerate`` writes the migration for a changed declaration.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from warehouse.engine import warehouse_url
from warehouse.schema import METADATA, SCHEMAS

config = context.config
url = config.get_main_option("sqlalchemy.url") or warehouse_url()


def _migrate(connection) -> None:
    for schema in SCHEMAS:
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        include_schemas=True,
        include_name=lambda name, type_, parent: type_ != "schema" or name in SCHEMAS,
        version_table_schema="registry",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


def run_migrations_online() -> None:
    """On the caller's connection (``warehouse.engine.ensure_schema``), else on the URL."""
    given = config.attributes.get("connection")
    if given is not None:
        _migrate(given)
        return
    engine = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        _migrate(connection)


run_migrations_online()
