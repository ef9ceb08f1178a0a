"""The commands beside a sync: scoring against a synthetic city's truth, erasing a child,
migrating a PostgreSQL warehouse. Their output names no value of a child."""

from __future__ import annotations

import sys
from pathlib import Path


def evaluate(truth: Path, warehouse: str | None) -> dict:
    """Score the published registry (and the sync's staged rows) against ``truth/``."""
    from linkage.evaluate import linkage_scores, policy_scores, read_truth
    from warehouse import tables as T
    from warehouse.engine import make_engine
    from warehouse.io import read_frame
    from warehouse.restricted import read_whole, with_restricted

    with make_engine(warehouse).connect() as conn:
        staged = read_frame(conn, T.STAGED_RECORDS)
        child_records = read_whole(conn, T.CHILD_RECORDS)
        categories = read_frame(conn, T.CHILD_CATEGORIES)
        alerts = read_frame(conn, T.GAP_ALERTS)
        alerts, categories = with_restricted(conn, alerts, categories)  # hiv, serious_illness
    facts = read_truth(truth)
    return {
        "linkage": linkage_scores(facts, child_records, staged),
        "policy": policy_scores(facts, child_records, categories, alerts),
    }


def erase(child_id: str, reason: str, warehouse: str | None) -> int:
    """Erase one child (registry.md, Access); the output names no value of the child."""
    from warehouse.engine import ensure_schema, make_engine
    from warehouse.erase import EraseRefused, erase_child

    engine = make_engine(warehouse)
    ensure_schema(engine)
    try:
        done = erase_child(engine, child_id, reason)
    except EraseRefused as exc:
        print(f"childreg: nothing erased: {exc}", file=sys.stderr)
        return 1
    print(
        f"childreg: child {done.child_id} erased ({done.rows_removed} rows removed, "
        f"{done.suppression_entries} suppression entries); export folders written before now "
        "still hold the child until the next sync of their date rewrites them or retention prunes them"
    )
    return 0


def migrate(warehouse: str | None) -> int:
    """Bring a PostgreSQL warehouse to the code's schema, roles' grants included; run as the owner."""
    from warehouse.engine import is_duckdb, make_engine
    from warehouse.engine import migrate as upgrade

    engine = make_engine(warehouse)
    if is_duckdb(engine):
        print("childreg: a DuckDB warehouse is created by the sync itself; nothing to migrate")
        return 0
    before, head = upgrade(engine)
    print(f"childreg: warehouse schema at revision {head}" + ("" if before == head else f" (was {before})"))
    return 0


def explain_child(child_id: str, warehouse: str | None, out: Path | None) -> int:
    """Write the waterfall page of a child's links; returns the exit status."""
    from pipelines.steps.explaining import explain_child_step
    from warehouse.engine import make_engine
    from warehouse.ledger import SyncFailed

    path = out or Path("var/explain") / f"child-{child_id}.html"
    try:
        explain_child_step(make_engine(warehouse), child_id, path)
    except (ValueError, SyncFailed) as error:
        print(f"childreg: {error}", file=sys.stderr)
        return 2
    print(f"childreg: how child {child_id}'s records link: {path}")
    return 0
