"""What must hold of a build before it is published; each failure is a sentence."""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.ledger import SyncRef, source_counts
from warehouse.schema import BUILD_SCHEMA


def audit(conn: sa.Connection, ref: SyncRef) -> list[str]:
    """Every row read placed exactly once (or suppressed), and every child record pointing at a child."""
    problems = []
    # Staff roster rows are not persons: they feed work.staff, not the three tables.
    raw = conn.execute(
        sa.text("SELECT count(*) FROM work.raw_rows WHERE source_system <> 'civil_affairs_staff'")
    ).scalar()
    # Department returns' quarantine entries are workbook rows handed back, not rows read.
    placed = sum(
        conn.execute(
            sa.text(f"SELECT count(*) FROM {BUILD_SCHEMA}.{t} WHERE sync_id = :s{extra}"), {"s": ref.sync_id}
        ).scalar()
        for t, extra in (
            ("child_records", ""),
            ("adult_records", ""),
            ("quarantine", " AND source_system <> 'department_returns'"),
        )
    )
    # Rows of children erased on request are counted, not placed (registry.md, Access).
    suppressed = sum(int(f.get("rows_suppressed", 0)) for f in source_counts(conn, ref).values())
    if raw != placed + suppressed:
        problems.append(
            f"rows read ({raw}) differ from rows placed in child, adult and quarantine tables ({placed})"
            f" and suppressed ({suppressed})"
        )
    dup = conn.execute(
        sa.text(
            f"SELECT count(*) FROM (SELECT record_id FROM {BUILD_SCHEMA}.child_records "
            f"UNION ALL SELECT record_id FROM {BUILD_SCHEMA}.adult_records) t "
            "GROUP BY record_id HAVING count(*) > 1"
        )
    ).first()
    if dup is not None:
        problems.append("a staged row is both a child's and an adult's")
    orphans = conn.execute(
        sa.text(
            f"SELECT count(*) FROM {BUILD_SCHEMA}.child_records r LEFT JOIN {BUILD_SCHEMA}.children c "
            "USING (child_id) WHERE c.child_id IS NULL"
        )
    ).scalar()
    if orphans:
        problems.append(f"{orphans} child records point at no child")
    return problems
