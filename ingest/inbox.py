"""Read and stage a whole inbox in one call, for the command line, tests and
benchmarks. The pipeline calls ``read_inbox`` and ``stage`` as separate steps
(raw rows are stored in between); this only chains them and adds up the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from ingest.config import load_mappings
from ingest.read import FileRead, read_inbox
from ingest.stage import stage, stage_staff


@dataclass
class InboxResult:
    """A read and staged inbox: every raw row, the staged and quarantined rows,
    the staff roster, and per-source counts (files, missing, rows_read,
    rows_layout, rows_staged, rows_quarantined)."""

    raw: pd.DataFrame
    staged: pd.DataFrame
    quarantine: pd.DataFrame
    staff: pd.DataFrame
    files: list[FileRead]
    missing: list[str]
    counts: dict[str, dict]


def read_and_stage_inbox(inbox: Path, as_of: date, sync_id: int) -> InboxResult:
    """Read every file of ``inbox`` and stage its rows as of ``as_of``."""
    read = read_inbox(Path(inbox), sync_id)
    staged, quarantine = stage(read.raw, as_of, sync_id)
    staff = stage_staff(read.raw)
    staged_rows = staged.groupby("source_system").size()
    quarantined_rows = quarantine.groupby("source_system").size()
    counts = {}
    for source, figures in read.counts.items():
        is_staff = load_mappings()[source].kind == "staff"
        counts[source] = {
            **figures,
            "rows_staged": len(staff) if is_staff else int(staged_rows.get(source, 0)),
            "rows_quarantined": int(quarantined_rows.get(source, 0)),
        }
    return InboxResult(read.raw, staged, quarantine, staff, read.files, read.missing, counts)
