"""Moving frames in and out of the warehouse, fast on both DuckDB and PostgreSQL.

Row-by-row SQLAlchemy inserts take minutes for a city; DuckDB scans a pandas frame
directly and PostgreSQL takes ``COPY``, so each dialect gets its bulk path here and
nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd
import psycopg
import sqlalchemy as sa

from warehouse.engine import is_duckdb
from warehouse.tables import BOOL, DATE, FLOAT, INT, TIMESTAMP, Table

_DUCK_TYPES = {INT: "BIGINT", FLOAT: "DOUBLE", DATE: "DATE", BOOL: "BOOLEAN", TIMESTAMP: "TIMESTAMP"}


def conform(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """The frame with exactly the table's columns, in order.

    A declared column the frame lacks is added as NULL; an undeclared column is an
    error, because it would be silently lost.
    """
    extra = [c for c in df.columns if c not in table.column_names]
    if extra:
        raise ValueError(f"{table.qualified_name}: columns not declared in warehouse.tables: {extra}")
    return df.reindex(columns=table.column_names)


def _qualified(table: Table, schema: str | None) -> str:
    return f"{schema or table.schema}.{table.name}"


def insert_frame(conn: sa.Connection, table: Table, df: pd.DataFrame, schema: str | None = None) -> int:
    """Append a frame to a table inside the caller's transaction; returns rows written."""
    df = conform(df, table)
    if df.empty:
        return 0
    target = _qualified(table, schema)
    if is_duckdb(conn.engine):
        _duckdb_insert(conn, table, df, target)
    else:
        _copy_insert(conn, table, df, target)
    return len(df)


def replace_frame(conn: sa.Connection, table: Table, df: pd.DataFrame, schema: str | None = None) -> int:
    """Replace a table's content by a frame inside the caller's transaction."""
    conn.exec_driver_sql(f"DELETE FROM {_qualified(table, schema)}")
    return insert_frame(conn, table, df, schema)


def _duckdb_insert(conn: sa.Connection, table: Table, df: pd.DataFrame, target: str) -> None:
    select = ", ".join(f'CAST("{c.name}" AS {_DUCK_TYPES.get(c.type, "VARCHAR")})' for c in table.columns)
    raw = conn.connection.driver_connection
    # DuckDB 2 refuses new work while an earlier result (e.g. a scalar() SELECT that
    # SQLAlchemy stopped reading) is unfinished; finishing it changes nothing.
    raw.complete()
    raw.register("_childreg_frame", df)
    try:
        raw.execute(f"INSERT INTO {target} SELECT {select} FROM _childreg_frame")
    except duckdb.Error as exc:
        # The failed insert aborted the transaction (a duplicate key, say): the view goes
        # with the connection, and unregistering now would hide the reason behind
        # "transaction is aborted". SQLAlchemy's own class, as its execute would raise.
        wrapped = (
            sa.exc.IntegrityError if isinstance(exc, duckdb.ConstraintException) else sa.exc.DatabaseError
        )
        raise wrapped(f"INSERT INTO {target}", None, exc) from exc
    raw.unregister("_childreg_frame")


def _copy_insert(conn: sa.Connection, table: Table, df: pd.DataFrame, target: str) -> None:
    columns = ", ".join(f'"{c}"' for c in table.column_names)
    df = df.copy()
    for c in table.columns:
        if c.type == INT:  # a NULL makes pandas hold ints as floats; COPY wants "3", not "3.0"
            df[c.name] = pd.to_numeric(df[c.name]).round().astype("Int64")
        elif c.type == BOOL:
            df[c.name] = df[c.name].astype("boolean")
    values = df.astype(object).where(df.notna(), None)
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for row in values.itertuples(index=False, name=None):
                copy.write_row(row)
    except psycopg.IntegrityError as exc:  # SQLAlchemy's own class, as its execute would raise
        raise sa.exc.IntegrityError(f"COPY {target}", None, exc) from exc


def read_frame(
    conn: sa.Connection,
    table: Table,
    where: str = "",
    params: dict | None = None,
    schema: str | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A table (optionally filtered by a SQL ``where`` with bound params) as a frame.

    ``columns`` (declared columns, in the order wanted) limits what is read: a city's
    wide tables cost gigabytes as Python objects, most of them in columns a step
    never looks at. Date columns come back as ``datetime64[ns]`` on every dialect,
    so callers do not branch on where the data lives.
    """
    sql = f"SELECT {_select_list(table, columns)} FROM {_qualified(table, schema)}" + (
        f" WHERE {where}" if where else ""
    )
    if is_duckdb(conn.engine) and not params:
        raw = conn.connection.driver_connection
        raw.complete()
        df = raw.execute(sql).df()
    else:
        df = pd.read_sql(sa.text(sql), conn, params=params)
    for c in table.columns:
        if c.type in (DATE, TIMESTAMP) and c.name in df:
            df[c.name] = pd.to_datetime(df[c.name])
    return df


def _select_list(table: Table, columns: Sequence[str] | None) -> str:
    if columns is None:
        return "*"
    unknown = [c for c in columns if c not in table.column_names]
    if unknown:
        raise ValueError(f"{table.qualified_name}: no such columns: {unknown}")
    return ", ".join(f'"{c}"' for c in columns)
