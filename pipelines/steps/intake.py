"""Inbox → ``work.raw_rows`` → ``work.staged_records`` (and the build's quarantine)."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from expectations import blocking_message, validate_staged
from ingest.read import read_inbox
from ingest.stage import fill_raw_rows, stage, stage_staff
from pipelines.memory import release_memory
from warehouse import tables as T
from warehouse.erase import load_suppressions
from warehouse.io import insert_frame, read_frame, replace_frame
from warehouse.ledger import SyncFailed, SyncRef, begin_sync, fail_sync, source_counts, update_sync
from warehouse.publish import carry_forward, clear_build
from warehouse.schema import BUILD_SCHEMA

log = logging.getLogger(__name__)


def read_step(engine: sa.Engine, inbox: Path, as_of: date) -> SyncRef:
    """Open a sync and read every file of the inbox into ``work.raw_rows``."""
    ref = begin_sync(engine, as_of)
    try:
        inbox_read = read_inbox(Path(inbox), sync_id=ref.sync_id)
        if inbox_read.raw.empty:
            # Publishing from nothing would empty the registry: refuse, and keep the last good one.
            raise SyncFailed(f"no data row in any extract folder of {inbox}: nothing to sync")
    except Exception as exc:
        fail_sync(engine, ref, f"read_step: {type(exc).__name__}: {exc}")
        raise
    with engine.begin() as conn:
        replace_frame(conn, T.RAW_ROWS, inbox_read.raw)
        update_sync(
            conn,
            ref,
            sources=json.dumps(inbox_read.counts, ensure_ascii=False),
            missing_sources=",".join(inbox_read.missing),
        )
    log.info("sync %s: read %s rows from %s files", ref.sync_id, len(inbox_read.raw), inbox_read.n_files)
    return ref


def stage_step(engine: sa.Engine, ref: SyncRef, docs_dir: Path | None = None) -> dict[str, dict]:
    """Stage the raw rows; validate each extract; quarantine what cannot be staged.

    An extract whose suite fails an extract-level expectation (a wrong file, a
    missing header) is blocked: its rows go to quarantine with the suite's message,
    and the other extracts go on. With ``docs_dir``, Great Expectations writes its
    Data Docs there (counts and rates only; no person's values).
    """
    release_memory()
    with engine.connect() as conn:
        raw = read_frame(conn, T.RAW_ROWS)
        sources = source_counts(conn, ref)
        erased = load_suppressions(conn)
    staged, quarantine = stage(raw, ref.as_of, ref.sync_id)
    staged, suppressed = erased.drop(staged)  # rows of erased children: counted, never kept
    staff = stage_staff(raw)
    outcomes = []
    # One extract's rows taken at a time: iterating the groupby would first copy
    # every staged row into group order.
    for source, positions in sorted(staged.groupby("source_system").indices.items()):
        rows = staged.iloc[positions]
        result = validate_staged(source, rows, ref.as_of, docs_dir=docs_dir)
        outcomes.extend(result.outcomes)
        if result.blocking:
            message = blocking_message(result)
            log.warning("sync %s: %s", ref.sync_id, message)
            blocked = rows[["source_system", "source_file", "source_sheet", "source_row"]].assign(
                sync_id=ref.sync_id, reason=message, raw_row=None
            )
            quarantine = pd.concat([quarantine, blocked], ignore_index=True)
            staged = staged.loc[staged["source_system"] != source]
            sources.setdefault(source, {})["blocked"] = message
    fill_raw_rows(quarantine, raw)
    counts_staged = staged.groupby("source_system").size()
    counts_quarantined = quarantine.groupby("source_system").size()
    for source, figures in sources.items():
        figures["rows_staged"] = int(counts_staged.get(source, 0))
        figures["rows_quarantined"] = int(counts_quarantined.get(source, 0))
        figures["rows_suppressed"] = suppressed.get(source, 0)
    results = pd.DataFrame([vars(o) for o in outcomes]).assign(sync_id=ref.sync_id)
    with engine.begin() as conn:
        replace_frame(conn, T.STAGED_RECORDS, staged)
        replace_frame(conn, T.STAFF, staff)
        replace_frame(conn, T.EXPECTATION_RESULTS, results)
        clear_build(conn)
        carry_forward(conn, T.QUARANTINE)
        insert_frame(conn, T.QUARANTINE, quarantine, schema=BUILD_SCHEMA)
        update_sync(conn, ref, sources=json.dumps(sources, ensure_ascii=False))
    return sources
