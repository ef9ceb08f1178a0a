"""The build's children → categories, entitlements and gap alerts (with their history).

Before the history is merged, each source is judged whole or not (registry.md): the
alerts whose rule reads an incomplete source are neither raised nor closed, and the
judgement is recorded on the sync. Absence alerts with a near-miss record are held,
and their pairs put first in the review queue.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa

from ingest.config import Mapping, load_mappings
from linkage.config import load_config
from linkage.link import STAGED_COLUMNS, pair_id
from pipelines.memory import release_memory
from policy import CHILD_COLUMNS, RECORD_COLUMNS, apply_policy, load_rules, merge_alert_history
from policy.completeness import FileFacts, Verdict, judge
from policy.near_miss import near_misses
from values.reference import source_names
from warehouse import tables as T
from warehouse.io import insert_frame, read_frame, replace_frame
from warehouse.ledger import SyncFailed, SyncRef, source_counts, update_sync
from warehouse.schema import BUILD_SCHEMA

log = logging.getLogger(__name__)


def policy_step(engine: sa.Engine, ref: SyncRef, confirmed_drops: Iterable[str] = ()) -> dict[str, int]:
    """Categories, entitlements and alerts under the rules in force at the as-of date.

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
        verdicts = judge(source_counts(conn, ref), _files(conn), _history(conn, ref), confirmed)
        children = read_frame(conn, T.CHILDREN, schema=BUILD_SCHEMA, columns=CHILD_COLUMNS)
        records = read_frame(conn, T.STAGED_RECORDS, columns=staged_columns)
        links = read_frame(conn, T.CHILD_RECORDS, schema=BUILD_SCHEMA, columns=["record_id", "child_id"])
        previous_alerts = read_frame(conn, T.GAP_ALERTS)
        pairs = _undecided_pairs(conn)
    # A lookup, not a merge: a merge would copy every column of the staged rows.
    records["child_id"] = records["record_id"].map(links.set_index("record_id")["child_id"])
    del links
    result = apply_policy(children, records, ref.as_of, rules)
    incomplete = sorted(s for s, v in verdicts.items() if not v.whole)
    frozen = rules.alerts_reading(set(incomplete))
    held = near_misses(result.alerts, records, pairs, rules, ref.as_of)
    del records
    alerts = merge_alert_history(
        previous_alerts if len(previous_alerts) else None,
        result.alerts,
        ref.sync_id,
        frozen=frozen,
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
        _queue_first(conn, held, pairs, ref)
        _record(conn, ref, verdicts, incomplete, confirmed)
    return {
        "categories": len(result.categories),
        "entitlements": len(result.entitlements),
        "open_alerts": int((alerts["status"] == "open").sum()),
        "held_alerts": int((alerts["status"] == "held").sum()),
        "incomplete_sources": len(incomplete),
    }


# Parsers whose fields identify a person or a household, or place them: read by linkage
# and the family graph under other names than the staged columns they fill.
_KEYED_PARSERS = frozenset({"address", "identifier"})


def _judged_fields(mapping: Mapping) -> frozenset[str]:
    """The fields of a source whose column a file may not lose: those the rules or the
    linkage read. A column nobody reads (序号, the school's name) may come and go."""
    read = set(RECORD_COLUMNS) | set(STAGED_COLUMNS)
    return frozenset(
        f
        for f, spec in mapping.columns.items()
        if f in read or spec.identifying or spec.parser in _KEYED_PARSERS
    )


def _files(conn: sa.Connection) -> dict[str, list[FileFacts]]:
    """Per source, each file with data rows this sync: its rows and the judged fields its
    header names (one row's cells carry every header of its file)."""
    found = conn.execute(
        sa.text(
            "SELECT source_system, source_file, count(*), min(cells) FROM work.raw_rows "
            "GROUP BY source_system, source_file"
        )
    ).all()
    mappings = load_mappings()
    files: dict[str, list[FileFacts]] = {}
    for source, name, rows, cells in found:
        mapping = mappings.get(source)
        headers = list(json.loads(cells)) if cells else []
        fields = (
            frozenset(mapping.match_headers(headers).values()) & _judged_fields(mapping)
            if mapping
            else frozenset()
        )
        files.setdefault(source, []).append(FileFacts(name, int(rows), fields))
    return files


def _history(conn: sa.Connection, ref: SyncRef) -> list[tuple[int, dict]]:
    """Published syncs before this one: their completeness records (their counts, for a
    sync judged before completeness was recorded)."""
    rows = conn.execute(
        sa.text(
            "SELECT sync_id, completeness, sources FROM registry.syncs "
            "WHERE status = 'published' AND sync_id < :s ORDER BY sync_id"
        ),
        {"s": ref.sync_id},
    ).all()
    return [(int(s), json.loads(judged or counted or "{}")) for s, judged, counted in rows]


def _undecided_pairs(conn: sa.Connection) -> pd.DataFrame:
    """The sync's pairs scored between the review floor and the match threshold that no
    reviewer has decided (a decided pair is a must-link or a cannot-link already)."""
    threshold = load_config().match_threshold
    pairs = read_frame(
        conn,
        T.PAIRS,
        where="match_probability < :t",
        params={"t": threshold},
        columns=["record_id_l", "record_id_r", "record_key_l", "record_key_r", "match_probability", "levels"],
    )
    decided = read_frame(conn, T.REVIEW_DECISIONS, schema=BUILD_SCHEMA, columns=["pair_id"])["pair_id"]
    pairs["pair_id"] = [
        pair_id(a, b) for a, b in zip(pairs["record_key_l"], pairs["record_key_r"], strict=True)
    ]
    return pairs.loc[~pairs["pair_id"].isin(set(decided))].reset_index(drop=True)


def _queue_first(conn: sa.Connection, held: pd.DataFrame, pairs: pd.DataFrame, ref: SyncRef) -> None:
    """Mark each near-miss pair with the alerts it holds and put it first in the review
    queue (added when the queue's cap had left it out)."""
    if held.empty:
        return
    holds = held.groupby("pair_id")["alert_id"].agg(lambda ids: ",".join(sorted(ids)))
    queue = read_frame(conn, T.REVIEW_PAIRS, schema=BUILD_SCHEMA)
    missing = pairs.loc[pairs["pair_id"].isin(holds.index) & ~pairs["pair_id"].isin(queue["pair_id"])]
    added = missing.drop_duplicates("pair_id").assign(decision=None, sync_id=ref.sync_id)
    queue = pd.concat([q for q in (queue, added) if len(q)], ignore_index=True)
    queue["holds_alert"] = queue["pair_id"].map(holds)
    first = queue["holds_alert"].notna()
    queue = pd.concat([queue[first], queue[~first]], ignore_index=True)
    replace_frame(conn, T.REVIEW_PAIRS, queue[T.REVIEW_PAIRS.column_names], schema=BUILD_SCHEMA)


def _record(
    conn: sa.Connection,
    ref: SyncRef,
    verdicts: dict[str, Verdict],
    incomplete: list[str],
    confirmed: list[str],
) -> None:
    update_sync(
        conn,
        ref,
        completeness=json.dumps({s: v.record() for s, v in verdicts.items()}, ensure_ascii=False),
        incomplete_sources=",".join(incomplete),
        confirmed_drops=",".join(confirmed),
    )
