"""Write-audit-publish: a sync builds the registry beside the published one, then swaps it in.

Readers of ``registry.*`` see either the last good registry or the new one, never a
half-written one: the audit and the swap are one transaction, so what was audited is
what is published, and a sync killed before the commit leaves the published tables as
they were (the build schema is simply rebuilt next time). Restricted facts leave the
build for schema ``restricted`` in the same transaction, and what the next sync does
not read is emptied (``warehouse.restricted``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from warehouse.audit import audit
from warehouse.ledger import SyncFailed, SyncRef, now
from warehouse.restricted import after_publish, split_build
from warehouse.schema import BUILD_SCHEMA
from warehouse.tables import ERASURES, REGISTRY_TABLES, SYNCS, Table

# Tables the swap replaces; syncs and erasures are logs written where they happen.
PUBLISHED = tuple(t for t in REGISTRY_TABLES if t not in (SYNCS, ERASURES))


def clear_build(conn: sa.Connection) -> None:
    """Empty the build schema before a sync writes into it."""
    for table in PUBLISHED:
        conn.exec_driver_sql(f"DELETE FROM {BUILD_SCHEMA}.{table.name}")


def carry_forward(conn: sa.Connection, table: Table) -> None:
    """Copy a published table into the build schema, for tables that accumulate history."""
    conn.exec_driver_sql(f"INSERT INTO {BUILD_SCHEMA}.{table.name} SELECT * FROM {table.schema}.{table.name}")


def swap_in(conn: sa.Connection, sync_id: int, finished_at: object) -> None:
    """Replace every published table by its build copy and mark the sync published.

    Must run inside one transaction (the caller's ``engine.begin()``).
    """
    split_build(conn, sync_id)
    for table in PUBLISHED:
        conn.exec_driver_sql(f"DELETE FROM {table.schema}.{table.name}")
        conn.exec_driver_sql(
            f"INSERT INTO {table.schema}.{table.name} SELECT * FROM {BUILD_SCHEMA}.{table.name}"
        )
    conn.execute(
        sa.text(
            "UPDATE registry.syncs SET status = 'published', finished_at = :finished WHERE sync_id = :sync"
        ),
        {"finished": finished_at, "sync": sync_id},
    )
    after_publish(conn, sync_id)


def publish(conn: sa.Connection, ref: SyncRef, problems: Sequence[str] = ()) -> None:
    """Audit the build and swap it in, inside the caller's one transaction.

    ``problems`` are the caller's own findings (the registry's expectations); with
    them or the audit's, ``SyncFailed`` is raised before anything is swapped, and
    the caller's transaction rolls back.
    """
    found = [*problems, *audit(conn, ref)]
    if found:
        raise SyncFailed("audit failed: " + "; ".join(found))
    swap_in(conn, ref.sync_id, now())
