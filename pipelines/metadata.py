"""What the Dagster UI shows of each stage: figures read from the tables a step just
wrote, and each table's columns as a Dagster table schema from ``warehouse/tables.py``.
Counts only: never a person's value."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from warehouse.ledger import SyncRef, source_counts
from warehouse.schema import BUILD_SCHEMA
from warehouse.tables import Table


def column_schema(table: Table) -> dict[str, dg.TableSchema]:
    """Asset-definition metadata giving ``table``'s columns with their descriptions."""
    columns = [dg.TableColumn(c.name, c.type, description=c.description) for c in table.columns]
    return {"dagster/column_schema": dg.TableSchema(columns=columns)}


def staging_figures(sources: dict[str, dict]) -> dict[str, object]:
    """Rows read, staged and quarantined per source, and the sources that did not arrive whole."""
    figures: dict[str, object] = {
        f"{s}.{k}": v for s, counts in sources.items() for k, v in counts.items() if isinstance(v, int)
    }
    quarantined = sum(c.get("rows_quarantined", 0) for c in sources.values())
    read = sum(c.get("rows_read", 0) for c in sources.values())
    figures["rows_quarantined"] = quarantined
    figures["quarantine_share"] = dg.MetadataValue.float(round(quarantined / read, 4) if read else 0.0)
    blocked = sorted(s for s, c in sources.items() if c.get("blocked"))
    figures["blocked_sources"] = ", ".join(blocked) or "none"
    return figures


def linkage_figures(engine: sa.Engine, ref: SyncRef, step: dict[str, object]) -> dict[str, object]:
    """Children, records, the share of child records joined to another record, the review queue."""
    with engine.connect() as conn:
        joined = conn.execute(
            sa.text(
                f"SELECT count(*) FROM {BUILD_SCHEMA}.child_records WHERE child_id IN "
                f"(SELECT child_id FROM {BUILD_SCHEMA}.child_records GROUP BY child_id HAVING count(*) > 1)"
            )
        ).scalar()
    records = int(step.get("child_records", 0)) or 1
    return {
        **{k: v for k, v in step.items() if isinstance(v, int | float)},
        "match_rate": dg.MetadataValue.float(round(joined / records, 4)),
        "review_queue": int(step.get("review_pairs", 0)),
        "sync_id": ref.sync_id,
    }


def alert_figures(engine: sa.Engine) -> dict[str, object]:
    """Alerts per code and status in the build: open ones go to departments, held ones wait."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(f"SELECT alert, status, count(*) FROM {BUILD_SCHEMA}.gap_alerts GROUP BY 1, 2")
        ).all()
    by_code: dict[str, dict[str, int]] = {}
    for code, status, n in rows:
        by_code.setdefault(code, {})[status] = int(n)
    return {
        "open_alerts": sum(c.get("open", 0) for c in by_code.values()),
        "held_alerts": sum(c.get("held", 0) for c in by_code.values()),
        "alerts_per_code": dg.MetadataValue.json(dict(sorted(by_code.items()))),
    }


def export_links(paths: list[Path], exports: Path) -> dict[str, object]:
    """Paths of what the exports wrote, for the UI to link to."""
    folder = paths[0].parent if paths else exports
    figures: dict[str, object] = {"files": len(paths), "folder": dg.MetadataValue.path(str(folder))}
    for path in paths:
        if path.suffix == ".html":
            figures["coverage_report"] = dg.MetadataValue.path(str(path))
    docs = exports / "data_docs" / "index.html"
    if docs.exists():
        figures["data_docs"] = dg.MetadataValue.path(str(docs))
    figures["workbooks"] = dg.MetadataValue.json(sorted(p.name for p in paths if p.suffix == ".xlsx"))
    return figures


def sources_of(engine: sa.Engine, ref: SyncRef) -> dict[str, dict]:
    """The per-source figures a sync recorded in its ledger row."""
    with engine.connect() as conn:
        return source_counts(conn, ref)
