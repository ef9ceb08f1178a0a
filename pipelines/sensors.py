"""Start a sync when a department drops a new file into the inbox.

A file is new when its *content* has not been seen: the same file dropped twice, or
renamed, does not start a second sync. The cursor holds the hashes seen.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import dagster as dg

from ingest.tabular import TEXT_SUFFIXES, WORKBOOK_SUFFIXES
from pipelines.jobs import sync_job
from pipelines.partitions import partition_of
from pipelines.resources import SyncSettings

# Every kind of file the reader reads, and no other.
FILE_SUFFIXES = WORKBOOK_SUFFIXES | TEXT_SUFFIXES


def inbox_hashes(inbox: Path) -> dict[str, str]:
    """content hash → one path holding it, for every extract file under the inbox."""
    found: dict[str, str] = {}
    for path in sorted(inbox.glob("*/*")):
        if path.is_file() and path.suffix.lower() in FILE_SUFFIXES:
            found.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), str(path))
    return found


@dg.sensor(job=sync_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def new_inbox_file(context: dg.SensorEvaluationContext, settings: SyncSettings):
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    current = inbox_hashes(Path(settings.inbox))
    new = sorted(set(current) - seen)
    if not new:
        return dg.SkipReason("no new file content in the inbox")
    context.update_cursor(json.dumps(sorted(seen | set(current))))
    today = date.today()
    return dg.RunRequest(
        run_key="files-" + hashlib.sha256("".join(new).encode()).hexdigest()[:16],
        partition_key=partition_of(today),
        # The as-of date is fixed when the file arrives, so a re-run computes the same ages.
        run_config={"resources": {"settings": {"config": {"as_of": today.isoformat()}}}},
        tags={"new_files": str(len(new))},
    )
