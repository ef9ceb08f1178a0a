"""The build's children → categories, entitlements and gap alerts (with their history),
and the departments' returned workbooks applied to them.

Before the history is merged, each source is judged whole or not (registry.md): the
alerts whose rule reads an incomplete source are neither raised nor closed, and the
judgement is recorded on the sync. Absence alerts with a near-miss record are held,
and their pairs put first in the review queue.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from pipelines.memory import release_memory
from pipelines.steps.completeness import judge_sources, record_verdicts
from pipelines.steps.near_miss import queue_first, undecided_pairs
from policy import CHILD_COLUMNS, RECORD_COLUMNS, apply_policy, load_rules, merge_alert_history
from policy.near_miss import near_misses
from reports.returns import SOURCE, Returns, latest_answers, read_returns, sent_alerts
from values.reference import source_names
from warehouse import tables as T
from warehouse.io import insert_frame, read_frame
from warehouse.ledger import SyncFailed, SyncRef
from warehouse.publish import carry_forward
from warehouse.restricted import with_flags
from warehouse.schema import BUILD_SCHEMA

log = logging.getLogger(__name__)


def policy_step(
    engine: sa.Engine, ref: SyncRef, inbox: Path | None = None, confirmed_drops: Iterable[str] = ()
) -> dict[str, int]:
    """Categories, entitlements and alerts under the rules in force at the as-of date; the
    answers in ``<inbox>/feedback/`` are kept and set each alert's department_status.

    ``confirmed_drops``: sources whose drop the operator confirmed (``--confirm-drop``).
    """
    release_memory()
    confirmed = sorted(set(confirmed_drops))
    unknown = set(confirmed) - set(source_names())
    if unknown:
        raise SyncFailed(f"confirm_drop names no source system: {', '.join(sorted(unknown))}")
    rules = load_rules(ref.as_of)
    # Only the columns the rules read: the staged rows' other columns (names, pinyin,
    # free text) were most of this step's memory and reading time.
    staged_columns = [c for c in RECORD_COLUMNS if c in T.STAGED_RECORDS.column_names]
    with engine.connect() as conn:
        verdicts = judge_sources(conn, ref, confirmed)
        children = read_frame(conn, T.CHILDREN, schema=BUILD_SCHEMA, columns=CHILD_COLUMNS)
        records = read_frame(conn, T.STAGED_RECORDS, columns=staged_columns)
        links = read_frame(conn, T.CHILD_RECORDS, schema=BUILD_SCHEMA, columns=["record_id", "child_id"])
        previous_alerts = with_flags(conn, read_frame(conn, T.GAP_ALERTS))
        pairs = undecided_pairs(conn)
        returns = _returns(conn, inbox, previous_alerts)
        reviewed = _reviewed(conn)
    # A lookup, not a merge: a merge would copy every column of the staged rows.
    records["child_id"] = records["record_id"].map(links.set_index("record_id")["child_id"])
    del links
    result = apply_policy(children, records, ref.as_of, rules)
    incomplete = sorted(s for s, v in verdicts.items() if not v.whole)
    held = near_misses(result.alerts, records, pairs, rules, ref.as_of)
    del records
    answers = returns.answers.assign(sync_id=ref.sync_id)
    alerts = merge_alert_history(
        previous_alerts if len(previous_alerts) else None,
        result.alerts,
        ref.sync_id,
        answers=latest_answers(answers),
        reviewed=reviewed,
        frozen=rules.alerts_reading(set(incomplete)),
        near_miss=set(held["alert_id"]),
        children=set(children["child_id"]),
    )
    if incomplete:
        log.warning("sync %s: sources not arrived whole: %s", ref.sync_id, ", ".join(incomplete))
    with engine.begin() as conn:
        insert_frame(
            conn, T.CHILD_CATEGORIES, result.categories.assign(sync_id=ref.sync_id), schema=BUILD_SCHEMA
        )
        insert_frame(
            conn, T.ENTITLEMENTS, result.entitlements.assign(sync_id=ref.sync_id), schema=BUILD_SCHEMA
        )
        insert_frame(conn, T.GAP_ALERTS, alerts, schema=BUILD_SCHEMA)
        carry_forward(conn, T.ALERT_FEEDBACK)
        insert_frame(conn, T.ALERT_FEEDBACK, answers, schema=BUILD_SCHEMA)
        quarantined = returns.quarantine.assign(source_system=SOURCE, sync_id=ref.sync_id)
        insert_frame(conn, T.QUARANTINE, quarantined, schema=BUILD_SCHEMA)
        queue_first(conn, held, pairs, ref)
        record_verdicts(conn, ref, verdicts, incomplete, confirmed)
    return {
        "categories": len(result.categories),
        "entitlements": len(result.entitlements),
        "open_alerts": int((alerts["status"] == "open").sum()),
        "held_alerts": int((alerts["status"] == "held").sum()),
        "incomplete_sources": len(incomplete),
        "feedback_files": returns.files_read,
        "feedback_answers": len(answers),
        "feedback_quarantined": len(quarantined),
    }


def _returns(conn: sa.Connection, inbox: Path | None, alerts: pd.DataFrame) -> Returns:
    """The answers of the returned workbooks not read before (by their bytes' hash)."""
    feedback = read_frame(conn, T.ALERT_FEEDBACK, columns=["file_sha256"])
    refused = read_frame(conn, T.QUARANTINE, "source_system = :s", {"s": SOURCE}, columns=["raw_row"])
    known = set(feedback["file_sha256"]) | {json.loads(r).get("file_sha256") for r in refused["raw_row"]}
    return read_returns(inbox, sent_alerts(alerts), known)


def _reviewed(conn: sa.Connection) -> pd.Series:
    """child_id → the latest sync whose review decisions name one of the child's records."""
    decided = pd.read_sql(
        sa.text(
            f"SELECT r.child_id, max(d.sync_id) AS sync_id FROM ("
            f"SELECT record_key_l AS record_key, sync_id FROM {BUILD_SCHEMA}.review_decisions UNION ALL "
            f"SELECT record_key_r, sync_id FROM {BUILD_SCHEMA}.review_decisions) d "
            f"JOIN {BUILD_SCHEMA}.child_records r ON r.record_key = d.record_key GROUP BY r.child_id"
        ),
        conn,
    )
    return decided.set_index("child_id")["sync_id"]
