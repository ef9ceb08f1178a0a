"""Which sources of this sync arrived whole (registry.md): the facts the rules stage
hands to ``policy.completeness.judge``, and the verdicts written on the sync's record."""

from __future__ import annotations

import json

import sqlalchemy as sa

from ingest.config import Mapping, load_mappings
from linkage.link import STAGED_COLUMNS
from policy import RECORD_COLUMNS
from policy.completeness import FileFacts, Verdict, judge
from warehouse.ledger import SyncRef, source_counts, update_sync


def judge_sources(conn: sa.Connection, ref: SyncRef, confirmed: list[str]) -> dict[str, Verdict]:
    """Each source of this sync judged whole or not against its baseline."""
    return judge(source_counts(conn, ref), _files(conn), _history(conn, ref), confirmed)


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
    """Per source, each file with data rows this sync: its rows, the judged fields its
    header names (one row's cells carry every header of its file) and its rows that
    could not be read whole."""
    found = conn.execute(
        sa.text(
            "SELECT source_system, source_file, count(*), min(cells) FILTER (WHERE read_fault IS NULL), "
            "count(read_fault) FROM work.raw_rows GROUP BY source_system, source_file"
        )
    ).all()
    mappings = load_mappings()
    files: dict[str, list[FileFacts]] = {}
    for source, name, rows, cells, faulty in found:
        mapping = mappings.get(source)
        headers = list(json.loads(cells)) if cells else []
        fields = (
            frozenset(mapping.match_headers(headers).values()) & _judged_fields(mapping)
            if mapping
            else frozenset()
        )
        files.setdefault(source, []).append(FileFacts(name, int(rows), fields, int(faulty)))
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


def record_verdicts(
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
