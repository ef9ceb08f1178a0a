"""What must hold of a build before it is published; each failure is a sentence.

The audit runs in the publishing transaction (``warehouse.publish.publish``), so what
it checks is what is swapped in. It checks every build table against what this sync
wrote: the rows of this sync only (or, in the tables kept across syncs, no row of a
later one), the counts the sync recorded in its ledger row as it staged, and the
links between the tables. A build written by another sync, or half of one, fails.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse import tables as T
from warehouse.ledger import SyncRef, source_counts
from warehouse.schema import BUILD_SCHEMA

# Build tables holding this sync's rows only, and tables carrying earlier syncs' rows forward.
THIS_SYNC_ONLY = (T.CHILD_RECORDS, T.ADULT_RECORDS, T.CHILD_CATEGORIES, T.ENTITLEMENTS, T.REVIEW_PAIRS)
KEPT_ACROSS_SYNCS = (
    T.QUARANTINE,
    T.CHILD_ID_LINEAGE,
    T.REVIEW_DECISIONS,
    T.ALERT_FEEDBACK,
    T.REVIEW_DECISION_LOG,
    T.REVIEW_FILES,
)
# Tables whose own columns say which sync last wrote a row (checked below, not by sync_id).
BY_SYNC_COLUMNS = (T.CHILDREN, T.GAP_ALERTS)
B = BUILD_SCHEMA
# Department returns' quarantine entries are workbook rows handed back, not rows read.
_NOT_RETURNS = " AND source_system <> 'department_returns'"


def audit(conn: sa.Connection, ref: SyncRef) -> list[str]:
    """The problems that forbid publishing this build; empty when it may be published."""
    return [
        *_this_sync(conn, ref),
        *_rows_placed(conn, ref),
        *_ledger_counts(conn, ref),
        *_links(conn, ref),
    ]


def _count(conn: sa.Connection, sql: str, ref: SyncRef) -> int:
    return int(conn.execute(sa.text(sql), {"s": ref.sync_id}).scalar() or 0)


def _this_sync(conn: sa.Connection, ref: SyncRef) -> list[str]:
    """No row another sync wrote where only this sync's may be; the sync itself still running."""
    status = conn.execute(
        sa.text("SELECT status FROM registry.syncs WHERE sync_id = :s"), {"s": ref.sync_id}
    ).scalar()
    problems = (
        [] if status == "running" else [f"sync {ref.sync_id} is {status or 'not in the ledger'}, not running"]
    )
    for table in (T.RAW_ROWS, T.STAGED_RECORDS):
        n = _count(
            conn, f"SELECT count(*) FROM {table.qualified_name} WHERE sync_id IS DISTINCT FROM :s", ref
        )
        if n:
            problems.append(f"{n} rows of {table.qualified_name} are not this sync's")
    for table in THIS_SYNC_ONLY:
        n = _count(conn, f"SELECT count(*) FROM {B}.{table.name} WHERE sync_id IS DISTINCT FROM :s", ref)
        if n:
            problems.append(f"{n} rows of {table.name} are not this sync's")
    for table in KEPT_ACROSS_SYNCS:
        n = _count(conn, f"SELECT count(*) FROM {B}.{table.name} WHERE sync_id > :s OR sync_id IS NULL", ref)
        if n:
            problems.append(f"{n} rows of {table.name} come from no earlier sync nor this one")
    n = _count(
        conn,
        f"SELECT count(*) FROM {B}.children WHERE last_seen_sync IS DISTINCT FROM :s "
        "OR NOT first_seen_sync <= last_seen_sync",
        ref,
    )
    if n:
        problems.append(f"{n} children were not seen by this sync")
    n = _count(
        conn,
        f"SELECT count(*) FROM {B}.gap_alerts WHERE NOT (first_raised <= last_seen AND last_seen <= :s) "
        "OR resolved_sync > :s",
        ref,
    )
    if n:
        problems.append(f"{n} gap alerts carry a sync after this one")
    return problems


def _rows_placed(conn: sa.Connection, ref: SyncRef) -> list[str]:
    """Every row read placed exactly once: a child's, an adult's or quarantined; or, for a
    child erased on request, counted as suppressed (registry.md, Access)."""
    problems = []
    # Staff roster rows are not persons: they feed work.staff, not the three tables.
    raw = _count(conn, "SELECT count(*) FROM work.raw_rows WHERE source_system <> 'civil_affairs_staff'", ref)
    placed = sum(
        _count(conn, f"SELECT count(*) FROM {B}.{t} WHERE sync_id = :s{extra}", ref)
        for t, extra in (("child_records", ""), ("adult_records", ""), ("quarantine", _NOT_RETURNS))
    )
    suppressed = sum(int(f.get("rows_suppressed", 0)) for f in source_counts(conn, ref).values())
    if raw != placed + suppressed:
        problems.append(
            f"rows read ({raw}) differ from rows placed in child, adult and quarantine tables ({placed})"
            f" and suppressed ({suppressed})"
        )
    dup = conn.execute(
        sa.text(
            f"SELECT count(*) FROM (SELECT record_id FROM {B}.child_records "
            f"UNION ALL SELECT record_id FROM {B}.adult_records) t "
            "GROUP BY record_id HAVING count(*) > 1"
        )
    ).first()
    if dup is not None:
        problems.append("a staged row is both a child's and an adult's")
    return problems


def _ledger_counts(conn: sa.Connection, ref: SyncRef) -> list[str]:
    """Per source, the rows staged and quarantined as this sync's ledger row recorded them."""
    recorded = source_counts(conn, ref)
    found: dict[str, dict[str, int]] = {}
    queries = {
        "rows_staged": f"SELECT source_system, count(*) FROM (SELECT source_system FROM {B}.child_records "
        f"UNION ALL SELECT source_system FROM {B}.adult_records) t GROUP BY source_system",
        "rows_quarantined": f"SELECT source_system, count(*) FROM {B}.quarantine WHERE sync_id = :s"
        f"{_NOT_RETURNS} GROUP BY source_system",
    }
    for figure, sql in queries.items():
        for source, n in conn.execute(sa.text(sql), {"s": ref.sync_id}).all():
            found.setdefault(source, {})[figure] = int(n)
    problems = []
    for source in sorted(set(recorded) | set(found)):
        for figure in queries:
            want = int(recorded.get(source, {}).get(figure, 0))
            got = found.get(source, {}).get(figure, 0)
            if want != got:
                problems.append(
                    f"{source}: {got} {figure.removeprefix('rows_')} rows in the build, {want} recorded"
                )
    return problems


def _links(conn: sa.Connection, ref: SyncRef) -> list[str]:
    """Every child record, category, entitlement and current alert names a child of the build."""
    problems = []
    for table, what in (
        ("child_records", "child records"),
        ("child_categories", "categories"),
        ("entitlements", "entitlements"),
    ):
        n = _count(
            conn,
            f"SELECT count(*) FROM {B}.{table} r WHERE NOT EXISTS "
            f"(SELECT 1 FROM {B}.children c WHERE c.child_id = r.child_id)",
            ref,
        )
        if n:
            problems.append(f"{n} {what} point at no child")
    n = _count(
        conn,
        f"SELECT count(*) FROM {B}.gap_alerts a WHERE a.last_seen = :s AND NOT EXISTS "
        f"(SELECT 1 FROM {B}.children c WHERE c.child_id = a.child_id)",
        ref,
    )
    if n:
        problems.append(f"{n} gap alerts of this sync point at no child")
    n = _count(conn, f"SELECT count(*) FROM {B}.children c WHERE NOT EXISTS "
               f"(SELECT 1 FROM {B}.child_records r WHERE r.child_id = c.child_id)", ref)  # fmt: skip
    if n:
        problems.append(f"{n} children have no record")
    return problems
