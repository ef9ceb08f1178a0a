"""Erasing a child on request (``childreg erase``; registry.md, Access → Erasure).

The child's rows leave every table — registry, its build copy, work and restricted —
in one transaction; ``registry.erasures`` records when, why and at which sync, never
who. What stays is a suppression entry per identity the child's records carried
(``warehouse.suppress``: keyed hashes, no readable value), so next month's extracts do
not bring the child back.

The hashes' key is made once per warehouse: on DuckDB a ``<file>.key`` beside the
database (0600), so a copied database file alone cannot be searched for a number; on
PostgreSQL ``restricted.hash_key``, which the reader role cannot read.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from warehouse import tables as T
from warehouse.engine import duckdb_file
from warehouse.io import insert_frame, read_frame
from warehouse.ledger import now
from warehouse.permissions import OWNER_FILE
from warehouse.restricted import TWINS, read_whole, whole
from warehouse.schema import BUILD_SCHEMA
from warehouse.suppress import Suppressions, identity_digests


class EraseRefused(RuntimeError):
    """The erasure cannot run; the message names no person."""


@dataclass(frozen=True)
class Erased:
    child_id: str
    rows_removed: int
    suppression_entries: int


def _key_file(conn: sa.Connection) -> Path | None:
    return None if (path := duckdb_file(str(conn.engine.url))) is None else Path(f"{path}.key")


def hash_key(conn: sa.Connection, create: bool = False) -> bytes | None:
    """The warehouse's HMAC key; made (once) when ``create`` and missing."""
    path = _key_file(conn)
    if path is not None:
        if path.exists():
            return bytes.fromhex(path.read_text().strip())
        if not create:
            return None
        key = secrets.token_bytes(32)
        with open(path, "x") as out:  # never overwrite a key: its hashes would stop matching
            path.chmod(OWNER_FILE)
            out.write(key.hex())
        return key
    stored = conn.execute(sa.text("SELECT key FROM restricted.hash_key LIMIT 1")).scalar()
    if stored is not None or not create:
        return None if stored is None else bytes.fromhex(stored)
    key = secrets.token_bytes(32)
    insert_frame(conn, T.HASH_KEY, pd.DataFrame([{"key": key.hex(), "created_at": now()}]))
    return key


def load_suppressions(conn: sa.Connection) -> Suppressions:
    """The entries a sync drops rows by (none, and no key made, before the first erasure)."""
    digests = conn.execute(sa.text("SELECT digest FROM restricted.suppressions")).scalars().all()
    if not digests:
        return Suppressions()
    return Suppressions(hash_key(conn), frozenset(digests))


def _current_id(conn: sa.Connection, child_id: str) -> str | None:
    """The child's id now, following merges recorded in the lineage."""
    for _ in range(20):
        found = conn.execute(
            sa.text("SELECT child_id FROM registry.children WHERE child_id = :c"), {"c": child_id}
        ).scalar()
        if found is not None:
            return found
        child_id = conn.execute(
            sa.text(
                "SELECT new_child_id FROM registry.child_id_lineage WHERE old_child_id = :c "
                "AND event = 'merged' ORDER BY sync_id DESC LIMIT 1"
            ),
            {"c": child_id},
        ).scalar()
        if child_id is None:
            return None
    return None


def _digests(conn: sa.Connection, child_id: str, key: bytes) -> set[tuple[str, str]]:
    """(digest, kind) of every identity the child's golden record and rows carry."""
    golden = read_frame(
        conn,
        T.CHILDREN,
        "child_id = :c",
        {"c": child_id},
        columns=["name", "birth_date", "id_number", "county_code"],
    )
    golden["name_norm"] = golden["name"].str.replace("·", "", regex=False)
    staged = read_frame(
        conn,
        T.STAGED_RECORDS,
        f"record_id IN (SELECT record_id FROM {whole(T.CHILD_RECORDS)} r WHERE child_id = :c)",
        {"c": child_id},
        columns=["name_norm", "birth_date", "id_number", "county_code"],
    )
    keys = read_whole(conn, T.CHILD_RECORDS, "child_id = :c", {"c": child_id}, columns=["record_key"])
    people = pd.concat([golden.drop(columns="name"), staged, keys], ignore_index=True)
    return {(d, kind) for kind, digests in identity_digests(people, key).items() for d in digests.dropna()}


def _deletes(child_id: str) -> list[tuple[str, str]]:
    """(table, condition) for every row of the child; ``:c`` is the child id."""
    records = f"SELECT record_id FROM {whole(T.CHILD_RECORDS)} r WHERE child_id = :c"
    keys = f"SELECT record_key FROM {whole(T.CHILD_RECORDS)} r WHERE child_id = :c"
    alerts = "SELECT alert_id FROM registry.gap_alerts WHERE child_id = :c"
    out = [
        ("work.pairs", f"record_id_l IN ({records}) OR record_id_r IN ({records})"),
        ("work.staged_records", f"record_id IN ({records})"),
        (
            "work.raw_rows",
            f"EXISTS (SELECT 1 FROM {whole(T.CHILD_RECORDS)} r WHERE r.child_id = :c AND "
            "r.source_system = work.raw_rows.source_system AND r.source_file = work.raw_rows.source_file "
            "AND r.source_row = work.raw_rows.source_row)",
        ),
        ("restricted.diagnoses", f"record_id IN ({records})"),
        ("restricted.alert_evidence", "child_id = :c"),
        ("restricted.child_categories", "child_id = :c"),
        ("registry.review_pairs", f"record_key_l IN ({keys}) OR record_key_r IN ({keys})"),
        (TWINS[T.REVIEW_PAIRS.name].qualified_name, f"record_key_l IN ({keys}) OR record_key_r IN ({keys})"),
        ("registry.review_decisions", f"record_key_l IN ({keys}) OR record_key_r IN ({keys})"),
        ("registry.child_id_lineage", "old_child_id = :c OR new_child_id = :c"),
    ]
    # Any other registry table keyed by the child or its alerts (alert_feedback …); the
    # child's records and alerts themselves go last, since the conditions above read them.
    last = []
    for table in T.REGISTRY_TABLES:
        names = table.column_names
        if table.name in ("review_pairs", "review_decisions", "child_id_lineage"):
            continue
        if table in (T.CHILD_RECORDS, T.GAP_ALERTS, T.CHILDREN):
            last.append((table.qualified_name, "child_id = :c"))
        elif "child_id" in names:
            out.append((table.qualified_name, "child_id = :c"))
        elif "alert_id" in names:
            out.append((table.qualified_name, f"alert_id IN ({alerts})"))
    return out + last + [(TWINS[T.CHILD_RECORDS.name].qualified_name, "child_id = :c")]


def erase_child(engine: sa.Engine, child_id: str, reason: str) -> Erased:
    """Remove the child from every table, keep its suppression entries, record the erasure."""
    if not reason.strip():
        raise EraseRefused("an erasure needs a reason")
    with engine.begin() as conn:
        if conn.execute(sa.text("SELECT count(*) FROM registry.syncs WHERE status = 'running'")).scalar():
            raise EraseRefused("a sync is running: erase after it has finished")
        current = _current_id(conn, child_id)
        if current is None:
            raise EraseRefused(f"no child {child_id} in the registry")
        key = hash_key(conn, create=True)
        entries = _digests(conn, current, key)
        known = set(conn.execute(sa.text("SELECT digest FROM restricted.suppressions")).scalars())
        at = now()
        fresh = pd.DataFrame(
            [{"digest": d, "kind": k, "erased_at": at} for d, k in sorted(entries) if d not in known]
        )
        insert_frame(conn, T.SUPPRESSIONS, fresh)
        removed = 0
        for table, condition in _deletes(current):
            removed += conn.execute(
                sa.text(f"DELETE FROM {table} WHERE {condition}"), {"c": current}
            ).rowcount
        # The build holds nothing between syncs; emptied whole, it cannot hold the child.
        for table in T.REGISTRY_TABLES:
            conn.exec_driver_sql(f"DELETE FROM {BUILD_SCHEMA}.{table.name}")
        last = conn.execute(sa.text("SELECT max(sync_id) FROM registry.syncs")).scalar()
        insert_frame(conn, T.ERASURES, pd.DataFrame([{"erased_at": at, "reason": reason, "sync_id": last}]))
    if duckdb_file(str(engine.url)) is not None:
        with engine.connect() as conn:  # deleted rows leave the file's blocks at a checkpoint
            conn.exec_driver_sql("CHECKPOINT")
    return Erased(current, removed, len(entries))
