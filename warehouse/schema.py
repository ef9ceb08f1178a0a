"""SQLAlchemy tables made from the declarations in ``warehouse.tables``.

Each published table exists twice: in ``registry`` (what operators read) and in
``registry_build`` (where a sync writes before the audit and the swap of
``warehouse.publish``), so both get their DDL from here.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.tables import (
    ALL_TABLES,
    BOOL,
    DATE,
    FLOAT,
    INT,
    JSON,
    REGISTRY_TABLES,
    RESTRICTED_TABLES,
    STR,
    TIMESTAMP,
    Table,
)

BUILD_SCHEMA = "registry_build"

_SA_TYPES: dict[str, sa.types.TypeEngine] = {
    STR: sa.Text(),
    INT: sa.BigInteger(),
    FLOAT: sa.Float(),
    DATE: sa.Date(),
    BOOL: sa.Boolean(),
    TIMESTAMP: sa.DateTime(),
    # JSON is kept as text: DuckDB and PostgreSQL both read it back the same way.
    JSON: sa.Text(),
}


def sa_table(table: Table, metadata: sa.MetaData, schema: str | None = None) -> sa.Table:
    """The SQLAlchemy table for a declaration, optionally in another schema."""
    return sa.Table(
        table.name,
        metadata,
        *(
            sa.Column(
                c.name,
                _SA_TYPES[c.type],
                comment=c.description,
                primary_key=c.name in table.primary_key,
                autoincrement=False,  # keys are given (sync numbers, ids), never generated
            )
            for c in table.columns
        ),
        schema=schema or table.schema,
        comment=table.description,
    )


def build_metadata() -> sa.MetaData:
    """Metadata of every table: work, registry, restricted and the registry's build copies."""
    metadata = sa.MetaData()
    for table in (*ALL_TABLES.values(), *RESTRICTED_TABLES):
        sa_table(table, metadata)
    for table in REGISTRY_TABLES:
        sa_table(table, metadata, schema=BUILD_SCHEMA)
    return metadata


METADATA = build_metadata()
SCHEMAS = sorted({t.schema for t in (*ALL_TABLES.values(), *RESTRICTED_TABLES)} | {BUILD_SCHEMA})
