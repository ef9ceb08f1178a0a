"""The published registry → department workbooks, coverage report and review queue
(with the waterfall pages of its pairs)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from pipelines.memory import release_memory
from pipelines.steps.explaining import review_pages_step
from policy import load_rules
from reports import (
    READ_COLUMNS,
    CoverageInputs,
    alert_texts,
    write_coverage_report,
    write_department_workbooks,
    write_review_workbook,
)
from warehouse import tables as T
from warehouse.io import read_frame
from warehouse.ledger import SyncFailed, SyncRef

READ_TABLES = (T.CHILDREN, T.CHILD_CATEGORIES, T.ENTITLEMENTS, T.GAP_ALERTS, T.CHILD_RECORDS, T.REVIEW_PAIRS)


def export_step(engine: sa.Engine, ref: SyncRef, exports: Path) -> list[Path]:
    """Write the department workbooks, the coverage report and the review queue of the
    published sync ``ref`` into ``exports/<as-of>/``."""
    release_memory()
    with engine.connect() as conn:
        syncs = read_frame(conn, T.SYNCS)
        this = syncs.loc[(syncs["sync_id"] == ref.sync_id) & (syncs["status"] == "published")]
        if this.empty:
            raise SyncFailed(f"sync {ref.sync_id} was not published: nothing to export")
        frames = {t.name: read_frame(conn, t, columns=READ_COLUMNS.get(t.name)) for t in READ_TABLES}
        staff = read_frame(conn, T.STAFF)
        expectations = read_frame(conn, T.EXPECTATION_RESULTS, "sync_id = :s", {"s": ref.sync_id})
        id_status = pd.read_sql(
            sa.text(
                "SELECT source_system, id_status, count(*) AS rows FROM work.staged_records GROUP BY 1, 2"
            ),
            conn,
        )
        # Only the records the queue shows, not the whole city.
        in_queue = read_frame(
            conn,
            T.STAGED_RECORDS,
            "record_id IN (SELECT record_id_l FROM registry.review_pairs"
            " UNION SELECT record_id_r FROM registry.review_pairs)",
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
        source_counts=json.loads(this.iloc[0]["sources"] or "{}"),
        id_status=id_status,
        expectations=expectations,
        review_queue=len(frames["review_pairs"]),
        texts=texts,
        benefit_names={code: b.name for code, b in rules.benefits.items()},
        staff=staff,
    )
    # Splink's waterfall of every queued pair, pages that open offline (issue 15).
    paths += review_pages_step(engine, ref, exports)
    paths.append(write_coverage_report(out / "coverage_report.html", report))
    paths.append(write_review_workbook(out / "review_queue.xlsx", frames["review_pairs"], in_queue))
    return paths
