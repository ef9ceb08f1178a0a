"""The stages of a sync as plain functions over the warehouse.

Each Dagster asset calls one of these and nothing more; tests and benchmarks call
them directly. A stage reads its input tables, calls the pure logic of ``ingest``,
``linkage``, ``policy`` and ``warehouse.exports``, and writes its output tables:
``work.*`` for intermediate stages, ``registry_build.*`` for what will be published.
Nothing reaches ``registry.*`` before ``publish``.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from warehouse import tables as T
from warehouse.io import insert_frame, read_frame, replace_frame
from warehouse.publish import carry_forward, clear_build, swap_in
from warehouse.schema import BUILD_SCHEMA

log = logging.getLogger(__name__)


class SyncFailed(RuntimeError):
    """A sync that must publish nothing; the message never holds personal data."""


@dataclass(frozen=True)
class SyncRef:
    sync_id: int
    as_of: date


def _release_memory() -> None:
    """Hand the memory of the last stage's frames back to the system.

    pandas frees a stage's frames, but glibc keeps the freed pages in the process's
    heap; with every stage in one process (Dagster in-process, the benchmarks) a
    million-child sync carried gigabytes of finished stages into the next.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to hand back this way
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------- sync bookkeeping


def begin_sync(engine: sa.Engine, as_of: date) -> SyncRef:
    """Open a sync: the next number, status running. A sync left running by a killed
    process is marked failed, so at most one sync is ever running."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE registry.syncs SET status = 'failed', message = 'abandoned' WHERE status = 'running'"
            )
        )
        last = conn.execute(sa.text("SELECT max(sync_id) FROM registry.syncs")).scalar()
        ref = SyncRef(int(last or 0) + 1, as_of)
        insert_frame(
            conn,
            T.SYNCS,
            pd.DataFrame(
                [{"sync_id": ref.sync_id, "as_of": as_of, "started_at": _now(), "status": "running"}]
            ),
        )
    return ref


def current_sync(conn: sa.Connection) -> SyncRef:
    row = conn.execute(
        sa.text(
            "SELECT sync_id, as_of FROM registry.syncs WHERE status = 'running' ORDER BY sync_id DESC LIMIT 1"
        )
    ).first()
    if row is None:
        raise SyncFailed("no sync is running: materialise raw_rows first")
    as_of = row[1] if isinstance(row[1], date) else date.fromisoformat(str(row[1])[:10])
    return SyncRef(int(row[0]), as_of)


def _update_sync(conn: sa.Connection, sync_id: int, **fields: object) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in fields)
    conn.execute(
        sa.text(f"UPDATE registry.syncs SET {sets} WHERE sync_id = :sync_id"), {**fields, "sync_id": sync_id}
    )


def fail_sync(engine: sa.Engine, message: str) -> None:
    """Record why the running sync failed; the published registry stays as it was."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE registry.syncs SET status = 'failed', finished_at = :t, message = :m WHERE status = 'running'"
            ),
            {"t": _now(), "m": message[:2000]},
        )


def _sources(conn: sa.Connection, sync_id: int) -> dict:
    raw = conn.execute(
        sa.text("SELECT sources FROM registry.syncs WHERE sync_id = :s"), {"s": sync_id}
    ).scalar()
    return json.loads(raw) if raw else {}


# ---------------------------------------------------------------- read and stage


def read_step(engine: sa.Engine, inbox: Path, as_of: date) -> SyncRef:
    """Open a sync and read every file of the inbox into ``work.raw_rows``."""
    from ingest.read import read_inbox

    ref = begin_sync(engine, as_of)
    inbox_read = read_inbox(Path(inbox), sync_id=ref.sync_id)
    if inbox_read.raw.empty:
        # Publishing from nothing would empty the registry: refuse, and keep the last good one.
        raise SyncFailed(f"no data row in any extract folder of {inbox}: nothing to sync")
    with engine.begin() as conn:
        replace_frame(conn, T.RAW_ROWS, inbox_read.raw)
        _update_sync(
            conn,
            ref.sync_id,
            sources=json.dumps(inbox_read.counts, ensure_ascii=False),
            missing_sources=",".join(inbox_read.missing),
        )
    log.info("sync %s: read %s rows from %s files", ref.sync_id, len(inbox_read.raw), inbox_read.n_files)
    return ref


def stage_step(engine: sa.Engine, docs_dir: Path | None = None) -> dict[str, dict]:
    """Stage the raw rows; validate each extract; quarantine what cannot be staged.

    An extract whose suite fails an extract-level expectation (a wrong file, a
    missing header) is blocked: its rows go to quarantine with the suite's message,
    and the other extracts go on. With ``docs_dir``, Great Expectations writes its
    Data Docs there (counts and rates only; no person's values).
    """
    _release_memory()
    from expectations import blocking_message, validate_staged
    from ingest.stage import stage, stage_staff

    with engine.connect() as conn:
        ref = current_sync(conn)
        raw = read_frame(conn, T.RAW_ROWS)
        sources = _sources(conn, ref.sync_id)
    staged, quarantine = stage(raw, ref.as_of, ref.sync_id)
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
    _fill_raw_rows(quarantine, raw)
    counts_staged = staged.groupby("source_system").size()
    counts_quarantined = quarantine.groupby("source_system").size()
    for source, figures in sources.items():
        figures["rows_staged"] = int(counts_staged.get(source, 0))
        figures["rows_quarantined"] = int(counts_quarantined.get(source, 0))
    results = pd.DataFrame([vars(o) for o in outcomes]).assign(sync_id=ref.sync_id)
    with engine.begin() as conn:
        replace_frame(conn, T.STAGED_RECORDS, staged)
        replace_frame(conn, T.STAFF, staff)
        replace_frame(conn, T.EXPECTATION_RESULTS, results)
        clear_build(conn)
        carry_forward(conn, T.QUARANTINE)
        insert_frame(conn, T.QUARANTINE, quarantine, schema=BUILD_SCHEMA)
        _update_sync(conn, ref.sync_id, sources=json.dumps(sources, ensure_ascii=False))
    return sources


def _fill_raw_rows(quarantine: pd.DataFrame, raw: pd.DataFrame) -> None:
    """Quarantined rows keep the row as read, so nothing is lost with them."""
    key = ["source_system", "source_file", "source_row"]
    missing = quarantine["raw_row"].isna()
    if missing.any():
        # Indexing only the files that have quarantined rows: a city's raw rows are millions.
        files = raw.loc[raw["source_file"].isin(quarantine.loc[missing, "source_file"]), [*key, "cells"]]
        cells = files.set_index(key)["cells"]
        index = pd.MultiIndex.from_frame(quarantine.loc[missing, key])
        quarantine.loc[missing, "raw_row"] = cells.reindex(index).to_numpy()


# ---------------------------------------------------------------- linkage


REVIEW_FOLDER = "review_decisions"


def _last_sync_published(conn: sa.Connection, ref: SyncRef) -> bool:
    """Whether ``work.pairs`` still holds the last published sync's pairs: true when the
    sync before this one published (a failed sync may have overwritten them)."""
    status = conn.execute(
        sa.text("SELECT status FROM registry.syncs WHERE sync_id < :s ORDER BY sync_id DESC LIMIT 1"),
        {"s": ref.sync_id},
    ).scalar()
    return status == "published"


def dropped_decisions(inbox: Path, sync_id: int) -> pd.DataFrame:
    """Reviewers' decisions from filled-in review workbooks dropped into
    ``inbox/review_decisions/``; rows whose pair was edited after export are ignored."""
    from warehouse.exports import read_review_decisions

    frames = [read_review_decisions(p) for p in sorted((Path(inbox) / REVIEW_FOLDER).glob("*.xlsx"))]
    decided = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["pair_id", "validated"])
    )
    decided = decided.loc[decided["validated"].astype(bool)].drop(columns="validated")
    return decided.drop_duplicates("pair_id", keep="last").assign(sync_id=sync_id)


def link_step(engine: sa.Engine, inbox: Path | None = None, db_api=None) -> dict[str, int]:
    """Link staged child rows into children with stable ids; write the build tables.

    Decisions already applied stay in ``registry.review_decisions``; new ones from the
    inbox join them, so a pair is never asked again.
    """
    _release_memory()
    from linkage.config import load_config
    from linkage.link import STAGED_COLUMNS, link
    from linkage.splink_model import load_model

    config = load_config()
    with engine.connect() as conn:
        ref = current_sync(conn)
        previous = read_frame(conn, T.CHILD_RECORDS, columns=["record_key", "child_id"])
        old_children = read_frame(conn, T.CHILDREN, columns=["child_id", "first_seen_sync"])
        lineage_ids = read_frame(conn, T.CHILD_ID_LINEAGE, columns=["old_child_id"])["old_child_id"]
        decisions = read_frame(conn, T.REVIEW_DECISIONS)
        previous_pairs = read_frame(conn, T.PAIRS) if _last_sync_published(conn, ref) else None
    if inbox is not None:
        new = dropped_decisions(inbox, ref.sync_id)
        decisions = pd.concat(
            [decisions.loc[~decisions["pair_id"].isin(new["pair_id"])], new], ignore_index=True
        )

    def load_staged() -> pd.DataFrame:
        with engine.connect() as conn:
            return read_frame(conn, T.STAGED_RECORDS, columns=STAGED_COLUMNS)

    linked = link(
        load_staged,
        load_model(config.model_file),
        config,
        previous.drop_duplicates("record_key"),
        decisions,
        set(old_children["child_id"]) | set(lineage_ids),
        db_api=db_api,
        previous_pairs=previous_pairs,
    )
    children = linked.children.merge(old_children, on="child_id", how="left")
    children["first_seen_sync"] = (
        pd.to_numeric(children["first_seen_sync"]).fillna(ref.sync_id).astype("int64")
    )
    children["last_seen_sync"] = ref.sync_id
    child_records = linked.records[["record_id", "record_key", "child_id", "match_probability"]]
    with engine.begin() as conn:
        replace_frame(conn, T.PAIRS, linked.pairs)
        carry_forward(conn, T.CHILD_ID_LINEAGE)
        insert_frame(conn, T.REVIEW_DECISIONS, decisions, schema=BUILD_SCHEMA)
        insert_frame(
            conn, T.CHILD_ID_LINEAGE, linked.lineage.assign(sync_id=ref.sync_id), schema=BUILD_SCHEMA
        )
        insert_frame(conn, T.CHILDREN, children, schema=BUILD_SCHEMA)
        insert_frame(conn, T.CHILD_RECORDS, child_records.assign(sync_id=ref.sync_id), schema=BUILD_SCHEMA)
        _fill_source_columns(conn)
        n_adults = _insert_adult_records(conn)
        insert_frame(conn, T.REVIEW_PAIRS, linked.review.assign(sync_id=ref.sync_id), schema=BUILD_SCHEMA)
        _update_sync(conn, ref.sync_id, linkage_mode=linked.mode)
    log.info("sync %s: linkage %s", ref.sync_id, linked.mode)
    return {
        "children": len(children),
        "child_records": len(child_records),
        "adult_records": n_adults,
        "pairs": len(linked.pairs),
        "review_pairs": len(linked.review),
        **{f"seconds_{part}": t for part, t in linked.seconds.items()},
    }


def _fill_source_columns(conn: sa.Connection) -> None:
    """Each child record's file, sheet and row, copied inside the warehouse rather
    than held through linkage for a city's millions of rows."""
    columns = [c.name for c in T.SOURCE_ROW]
    conn.execute(
        sa.text(
            f"UPDATE {BUILD_SCHEMA}.child_records SET "
            + ", ".join(f"{c} = s.{c}" for c in columns)
            + f" FROM work.staged_records s WHERE s.record_id = {BUILD_SCHEMA}.child_records.record_id"
        )
    )


def _insert_adult_records(conn: sa.Connection) -> int:
    """Every staged row no child holds is an adult's, or an undetermined roster member's.

    Copied inside the warehouse: these rows never need to pass through Python.
    """
    derived = {
        "household": "household_id",
        "determination": "CASE WHEN role = 'adult' THEN 'adult' ELSE 'undetermined' END",
    }
    columns = T.ADULT_RECORDS.column_names
    select = ", ".join(derived.get(c, f'"{c}"') for c in columns)
    conn.execute(
        sa.text(
            f"INSERT INTO {BUILD_SCHEMA}.adult_records ({', '.join(columns)}) SELECT {select} "
            f"FROM work.staged_records s WHERE NOT EXISTS (SELECT 1 FROM {BUILD_SCHEMA}.child_records c "
            "WHERE c.record_id = s.record_id)"
        )
    )
    return conn.execute(sa.text(f"SELECT count(*) FROM {BUILD_SCHEMA}.adult_records")).scalar()


# ---------------------------------------------------------------- policy


def policy_step(engine: sa.Engine) -> dict[str, int]:
    """Categories, entitlements and alerts under the rules in force at the as-of date."""
    _release_memory()
    from policy import CHILD_COLUMNS, RECORD_COLUMNS, apply_policy, load_rules, merge_alert_history

    # Only the columns the rules read: the staged rows' other columns (names, pinyin,
    # free text) were most of this step's memory and reading time.
    staged_columns = [c for c in RECORD_COLUMNS if c in T.STAGED_RECORDS.column_names]
    with engine.connect() as conn:
        ref = current_sync(conn)
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


# ---------------------------------------------------------------- audit and publish


def audit(conn: sa.Connection, ref: SyncRef) -> list[str]:
    """What must hold before the build is published; each failure is a sentence."""
    problems = []
    # Staff roster rows are not persons: they feed work.staff, not the three tables.
    raw = conn.execute(
        sa.text("SELECT count(*) FROM work.raw_rows WHERE source_system <> 'civil_affairs_staff'")
    ).scalar()
    placed = sum(
        conn.execute(
            sa.text(f"SELECT count(*) FROM {BUILD_SCHEMA}.{t} WHERE sync_id = :s"), {"s": ref.sync_id}
        ).scalar()
        for t in ("child_records", "adult_records", "quarantine")
    )
    if raw != placed:
        problems.append(
            f"rows read ({raw}) differ from rows placed in child, adult and quarantine tables ({placed})"
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


def publish_step(engine: sa.Engine) -> SyncRef:
    """Audit the build, then swap it in with the sync marked published, in one transaction."""
    from expectations import validate_registry

    with engine.connect() as conn:
        ref = current_sync(conn)
        problems = audit(conn, ref)
        children = read_frame(conn, T.CHILDREN, schema=BUILD_SCHEMA)
    result = validate_registry(children, ref.as_of)
    problems += [
        f"registry check {o.expectation} failed ({o.observed})"
        for o in result.outcomes
        if not o.success and o.severity == "extract"
    ]
    with engine.begin() as conn:
        insert_frame(
            conn,
            T.EXPECTATION_RESULTS,
            pd.DataFrame([vars(o) for o in result.outcomes]).assign(sync_id=ref.sync_id),
        )
    if problems:
        raise SyncFailed("audit failed: " + "; ".join(problems))
    with engine.begin() as conn:
        swap_in(conn, ref.sync_id, _now())
    log.info("sync %s published", ref.sync_id)
    return ref


# ---------------------------------------------------------------- model training


def train_step(engine: sa.Engine, out: Path | None = None, db_api=None) -> Path:
    """Re-estimate the linkage model on the staged records of the latest sync.

    Unlabelled: no truth is read. The JSON is written where ``linkage/config.yaml``
    says (versioned in the repo) unless ``out`` is given.
    """
    from linkage.config import load_config
    from linkage.prepare import linkage_frame
    from linkage.splink_model import save_model, train

    config = load_config()
    with engine.connect() as conn:
        staged = read_frame(conn, T.STAGED_RECORDS)
    candidates = staged.loc[staged["role"].isin(config.roles_linked)].reset_index(drop=True)
    if candidates.empty:
        raise SyncFailed("no staged records to train on: run a sync first")
    model = train(linkage_frame(candidates, everyone=staged), config, db_api=db_api)
    path = out or config.model_file
    save_model(model, path)
    return path


# ---------------------------------------------------------------- exports


def alert_texts(rules) -> dict:
    """What the workbooks print per alert code, from the rules file in force."""
    from warehouse.exports import AlertText

    return {
        code: AlertText(title=a.title, next_step=a.next_step, departments=tuple(a.departments))
        for code, a in rules.alerts.items()
    }


def export_step(engine: sa.Engine, exports: Path) -> list[Path]:
    """Write the department workbooks, the coverage report and the review queue of the
    last published sync into ``exports/<as-of>/``."""
    _release_memory()
    from policy import load_rules
    from warehouse.exports import (
        READ_COLUMNS,
        CoverageInputs,
        write_coverage_report,
        write_department_workbooks,
        write_review_workbook,
    )

    with engine.connect() as conn:
        syncs = read_frame(conn, T.SYNCS)
        published = syncs.loc[syncs["status"] == "published"].sort_values("sync_id")
        if published.empty:
            raise SyncFailed("nothing published yet")
        last = published.iloc[-1]
        ref = SyncRef(int(last["sync_id"]), last["as_of"].date())
        frames = {
            t.name: read_frame(conn, t, columns=READ_COLUMNS.get(t.name))
            for t in (
                T.CHILDREN,
                T.CHILD_CATEGORIES,
                T.ENTITLEMENTS,
                T.GAP_ALERTS,
                T.CHILD_RECORDS,
                T.REVIEW_PAIRS,
            )
        }
        staff = read_frame(conn, T.STAFF)
        expectations = read_frame(conn, T.EXPECTATION_RESULTS, "sync_id = :s", {"s": ref.sync_id})
        id_status = pd.read_sql(
            sa.text(
                "SELECT source_system, id_status, count(*) AS rows FROM work.staged_records GROUP BY 1, 2"
            ),
            conn,
        )
    rules = load_rules(ref.as_of)
    texts = alert_texts(rules)
    out = Path(exports) / ref.as_of.isoformat()
    out.mkdir(parents=True, exist_ok=True)
    sync_dates = {int(s): d.date() for s, d in zip(syncs["sync_id"], syncs["as_of"], strict=True)}
    staff = staff if len(staff) else None
    paths = write_department_workbooks(
        out,
        frames["gap_alerts"],
        frames["children"],
        frames["child_categories"],
        texts,
        dict(rules.departments),
        sync_dates,
        staff,
    )
    report = CoverageInputs(
        as_of=ref.as_of,
        sync_id=ref.sync_id,
        children=frames["children"],
        categories=frames["child_categories"],
        entitlements=frames["entitlements"],
        alerts=frames["gap_alerts"],
        child_records=frames["child_records"],
        source_counts=json.loads(last["sources"] or "{}"),
        id_status=id_status,
        expectations=expectations,
        review_queue=len(frames["review_pairs"]),
        texts=texts,
        benefit_names={code: b.name for code, b in rules.benefits.items()},
        staff=staff,
    )
    paths.append(write_coverage_report(out / "coverage_report.html", report))
    with engine.connect() as conn:
        # Only the records the queue shows, not the whole city.
        in_queue = read_frame(
            conn,
            T.STAGED_RECORDS,
            "record_id IN (SELECT record_id_l FROM registry.review_pairs"
            " UNION SELECT record_id_r FROM registry.review_pairs)",
        )
    paths.append(write_review_workbook(out / "review_queue.xlsx", frames["review_pairs"], in_queue))
    return paths
