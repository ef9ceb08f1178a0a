"""The build's children → categories, entitlements and gap alerts (with their history)."""

from __future__ import annotations

import sqlalchemy as sa

from pipelines.memory import release_memory
from policy import CHILD_COLUMNS, RECORD_COLUMNS, apply_policy, load_rules, merge_alert_history
from warehouse import tables as T
from warehouse.io import insert_frame, read_frame
from warehouse.ledger import SyncRef
from warehouse.schema import BUILD_SCHEMA


def policy_step(engine: sa.Engine, ref: SyncRef) -> dict[str, int]:
    """Categories, entitlements and alerts under the rules in force at the as-of date."""
    release_memory()
    # Only the columns the rules read: the staged rows' other columns (names, pinyin,
    # free text) were most of this step's memory and reading time.
    staged_columns = [c for c in RECORD_COLUMNS if c in T.STAGED_RECORDS.column_names]
    with engine.connect() as conn:
        children = read_frame(conn, T.CHILDREN, schema=BUILD_SCHEMA, columns=CHILD_COLUMNS)
        records = read_frame(conn, T.STAGED_RECORDS, columns=staged_columns)
        links = read_frame(conn, T.CHILD_RECORDS, schema=BUILD_SCHEMA, columns=["record_id", "child_id"])
        previous_alerts = read_frame(conn, T.GAP_ALERTS)
    # A lookup, not a merge: a merge would copy every column of the staged rows.
    records["child_id"] = records["record_id"].map(links.set_index("record_id")["child_id"])
    del links
    result = apply_policy(children, records, ref.as_of, load_rules(ref.as_of))
    alerts = merge_alert_history(
        previous_alerts if len(previous_alerts) else None, result.alerts, ref.sync_id
    )
    with engine.begin() as conn:
        insert_frame(
            conn, T.CHILD_CATEGORIES, result.categories.assign(sync_id=ref.sync_id), schema=BUILD_SCHEMA
        )
        insert_frame(
            conn, T.ENTITLEMENTS, result.entitlements.assign(sync_id=ref.sync_id), schema=BUILD_SCHEMA
        )
        insert_frame(conn, T.GAP_ALERTS, alerts, schema=BUILD_SCHEMA)
    return {
        "categories": len(result.categories),
        "entitlements": len(result.entitlements),
        "open_alerts": int((alerts["status"] == "open").sum()),
    }
