"""The published registry → department workbooks, coverage report and review queue
(with the waterfall pages of its pairs)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from pipelines.memory import release_memory
from pipelines.steps.explaining import review_pages_step
from policy import load_rules
from reports import (
    READ_COLUMNS,
    CoverageInputs,
    ReviewInputs,
    alert_texts,
    write_coverage_report,
    write_department_workbooks,
    write_review_workbook,
)
from reports.coverage import history_rows
from reports.returns import returns_summary
from warehouse import tables as T
from warehouse.io import insert_frame, read_frame
from warehouse.ledger import SyncFailed, SyncRef
from warehouse.permissions import private_dir, protect
from warehouse.restricted import read_whole, whole, with_restricted
from warehouse.retention import DEFAULT_MONTHS, prune
from warehouse.review_key import review_key

READ_TABLES = (T.CHILDREN, T.CHILD_CATEGORIES, T.ENTITLEMENTS, T.GAP_ALERTS, T.ALERT_FEEDBACK)
# Read with their restricted twins' rows: the exports decide per department what each sees.
WHOLE_TABLES = (T.CHILD_RECORDS, T.REVIEW_PAIRS)
# The linked records of the children with an open alert, with the staged fields that
# say where to find them: the workbooks name the record that holds what the golden
# record lacks.
_FINDING_SQL = f"""
SELECT r.child_id, r.source_system, r.source_file, r.source_row,
       s.township, s.village, s.guardian_name, s.guardian_phone
FROM {whole(T.CHILD_RECORDS)} r JOIN work.staged_records s ON s.record_id = r.record_id
WHERE r.child_id IN (SELECT child_id FROM registry.gap_alerts WHERE status = 'open')
"""


def export_step(
    engine: sa.Engine, ref: SyncRef, exports: Path, retention_months: int = DEFAULT_MONTHS
) -> list[Path]:
    """Write the department workbooks, the coverage report and the review queue (in its own
    folder) of the published sync ``ref`` into a fresh ``exports/<as-of>/``, readable by
    their owner only; then prune what is older than the retention period."""
    release_memory()
    with engine.connect() as conn:
        syncs = read_frame(conn, T.SYNCS)
        this = syncs.loc[(syncs["sync_id"] == ref.sync_id) & (syncs["status"] == "published")]
        if this.empty:
            raise SyncFailed(f"sync {ref.sync_id} was not published: nothing to export")
        frames = {t.name: read_frame(conn, t, columns=READ_COLUMNS.get(t.name)) for t in READ_TABLES}
        frames |= {t.name: read_whole(conn, t, columns=READ_COLUMNS.get(t.name)) for t in WHOLE_TABLES}
        # The open alerts' evidence joins them before the restricted facts are put back,
        # so health and civil affairs see the whole evidence and others what access allows.
        evidence = read_frame(conn, T.GAP_ALERTS, "status = 'open'", columns=["alert_id", "evidence"])
        frames["gap_alerts"], frames["child_categories"] = with_restricted(
            conn, frames["gap_alerts"].merge(evidence, on="alert_id", how="left"), frames["child_categories"]
        )
        staff = read_frame(conn, T.STAFF)
        records = pd.read_sql(sa.text(_FINDING_SQL), conn)
        expectations = read_frame(conn, T.EXPECTATION_RESULTS, "sync_id = :s", {"s": ref.sync_id})
        id_status = pd.read_sql(
            sa.text(
                "SELECT source_system, id_status, count(*) AS rows FROM work.staged_records GROUP BY 1, 2"
            ),
            conn,
        )
    review = _review_inputs(engine, ref, frames["review_pairs"])
    rules = load_rules(ref.as_of)
    texts = alert_texts(rules)
    out = Path(exports) / ref.as_of.isoformat()
    if out.is_dir():  # a re-run replaces the folder: no file of an earlier run (or an erased child) stays
        shutil.rmtree(out)
    private_dir(private_dir(Path(exports)) / out.name)
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
        sync_id=ref.sync_id,
        records=records,
        feedback=frames["alert_feedback"],
    )
    report = CoverageInputs(
        as_of=ref.as_of,
        sync_id=ref.sync_id,
        children=frames["children"],
        categories=frames["child_categories"],
        entitlements=frames["entitlements"],
        alerts=frames["gap_alerts"],
        child_records=frames["child_records"],
        source_counts=json.loads(this.iloc[0]["sources"] or "{}"),
        id_status=id_status,
        expectations=expectations,
        review_queue=len(frames["review_pairs"]),
        texts=texts,
        benefit_names={code: b.name for code, b in rules.benefits.items()},
        staff=staff,
        returns=returns_summary(frames["gap_alerts"], frames["alert_feedback"], sync_dates),
        departments=dict(rules.departments),
        completeness=json.loads(this.iloc[0]["completeness"] or "{}"),
    )
    report = replace(report, history=_keep_history(engine, report), published=_published(syncs))
    # Splink's waterfall of every queued pair, pages that open offline (issue 15).
    paths += review_pages_step(engine, ref, exports)
    paths.append(write_coverage_report(out / "coverage_report.html", report))
    review_folder = private_dir(out / "review")  # apart from every department's folder
    paths.append(write_review_workbook(review_folder / "review_queue.xlsx", review))
    protect(out)
    protect(Path(exports) / "data_docs")
    prune(engine, ref, Path(exports), retention_months)
    return paths


# The records of the pairs in the queue, and every record of the children they belong to.
_PAIRS, _RECORDS = whole(T.REVIEW_PAIRS), whole(T.CHILD_RECORDS)
_QUEUED = f"SELECT record_id_l FROM {_PAIRS} p UNION SELECT record_id_r FROM {_PAIRS} q"
_MATES = (
    f"SELECT record_id FROM {_RECORDS} m WHERE child_id IN "
    f"(SELECT child_id FROM {_RECORDS} c WHERE record_id IN ({_QUEUED}))"
)


def _review_inputs(engine: sa.Engine, ref: SyncRef, pairs: pd.DataFrame) -> ReviewInputs:
    """What the review workbook shows: only the records of the queue and of the children
    they are in, not the whole city."""
    with engine.begin() as conn:
        key = review_key(conn)
        records = read_frame(conn, T.STAGED_RECORDS, f"record_id IN ({_QUEUED}) OR record_id IN ({_MATES})")
        members = read_whole(
            conn, T.CHILD_RECORDS, f"record_id IN ({_MATES})", columns=["record_id", "child_id"]
        )
    return ReviewInputs(pairs, records, members, key, ref.as_of, ref.sync_id)


def _published(syncs: pd.DataFrame) -> dict[int, date]:
    done = syncs[syncs["status"] == "published"]
    return {int(s): pd.Timestamp(d).date() for s, d in zip(done["sync_id"], done["as_of"], strict=True)}


def _keep_history(engine: sa.Engine, report: CoverageInputs) -> pd.DataFrame:
    """Record this sync's coverage counts (replacing any of an earlier export of it) and return
    every sync's: the report's trends."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(f"DELETE FROM {T.COVERAGE_HISTORY.qualified_name} WHERE sync_id = :s"),
            {"s": report.sync_id},
        )
        insert_frame(conn, T.COVERAGE_HISTORY, history_rows(report))
    with engine.connect() as conn:
        return read_frame(conn, T.COVERAGE_HISTORY)
