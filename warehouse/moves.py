"""Rows moved inside the warehouse by SQL: a city's millions of rows never pass
through Python for these."""

from __future__ import annotations

import sqlalchemy as sa

from warehouse import tables as T
from warehouse.schema import BUILD_SCHEMA


def fill_source_columns(conn: sa.Connection) -> None:
    """Each child record's file, sheet and row, copied from the staged rows rather
    than held through linkage."""
    columns = [c.name for c in T.SOURCE_ROW]
    conn.execute(
        sa.text(
            f"UPDATE {BUILD_SCHEMA}.child_records SET "
            + ", ".join(f"{c} = s.{c}" for c in columns)
            + f" FROM work.staged_records s WHERE s.record_id = {BUILD_SCHEMA}.child_records.record_id"
        )
    )


def insert_adult_records(conn: sa.Connection) -> int:
    """Every staged row no child holds is an adult's, or an undetermined roster member's."""
    derived = {
        "household": "household_id",
        "determination": "CASE WHEN role = 'adult' THEN 'adult' ELSE 'undetermined' END",
    }
    columns = T.ADULT_RECORDS.column_names
    select = ", ".join(derived.get(c, f'"{c}"') for c in columns)
    conn.execute(
        sa.text(
            f"INSERT INTO {BUILD_SCHEMA}.adult_records ({', '.join(columns)}) SELECT {select} "
            f"FROM work.staged_records s WHERE NOT EXISTS (SELECT 1 FROM {BUILD_SCHEMA}.child_records c "
            "WHERE c.record_id = s.record_id)"
        )
    )
    return conn.execute(sa.text(f"SELECT count(*) FROM {BUILD_SCHEMA}.adult_records")).scalar()
