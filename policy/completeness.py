"""Whether each source arrived whole (registry.md): an incomplete source raises and closes nothing.

A source is judged on what this sync counted of it (``registry.syncs.sources``) and
on its files (rows, the fields their headers name), against its *baseline*: the
latest published sync in which it was whole. Judging against a sync where it was
itself broken would let a second broken delivery pass as normal.

Reasons, each with a code and a sentence (counts and file names, never a person's
value):

- ``folder_empty``: no file, or no data row, where the baseline had rows;
- ``file_refused``: a file the reader refused or could not read (``files_refused``,
  ``file_errors``);
- ``rows_unreadable``: rows of a file the reader could not read whole (undecodable
  bytes, an over-long line: quarantined, the rest staged) — that child's facts are
  missing, so the source cannot say "none";
- ``blocked``: an extract-level expectation blocked the extract;
- ``file_without_rows``: more files without a data row than in the baseline (a
  header and nothing under it);
- ``column_missing``: a file lacks a field that every file of the baseline carried;
- ``rows_dropped``: fewer rows read than ``min_row_share`` of the baseline's;
- ``rows_quarantined``: as many rows read, but fewer staged than ``min_row_share`` of
  the baseline's (the rest quarantined: a file whose cells no longer parse).

The operator may confirm an expected drop for a source: the reasons
``CONFIRMABLE`` names then no longer make it incomplete. A refused or blocked
file is never confirmed away: the file itself is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SETTINGS = Path(__file__).with_name("completeness.yaml")


@cache
def settings() -> dict[str, Any]:
    """``policy/completeness.yaml``: the row share and the reasons a confirmation lifts."""
    return yaml.safe_load(SETTINGS.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class FileFacts:
    """One file of a source as read this sync: its data rows and the fields its header names."""

    name: str
    rows: int
    fields: frozenset[str]
    unreadable: int = 0  # rows the reader could not read whole (undecodable bytes, an over-long line)


@dataclass
class Verdict:
    """One source's judgement, as recorded in ``registry.syncs.completeness``."""

    source: str
    reasons: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    confirmed: bool = False
    baseline_sync: int | None = None

    @property
    def whole(self) -> bool:
        return not [r for r in self.reasons if not r["confirmed"]]

    def record(self) -> dict[str, Any]:
        return {
            "whole": self.whole,
            **self.figures,
            "baseline_sync": self.baseline_sync,
            "confirmed": self.confirmed,
            "reasons": self.reasons,
        }


def figures(counts: Mapping[str, Any], files: Iterable[FileFacts]) -> dict[str, Any]:
    """What is judged and kept for the next sync: files, files with rows, rows read, and
    the fields every file with rows carries."""
    with_rows = [f for f in files if f.rows > 0]
    common = frozenset.intersection(*(f.fields for f in with_rows)) if with_rows else frozenset()
    return {
        "files": int(counts.get("files", 0) or 0),
        "files_with_rows": len(with_rows),
        "rows_read": int(counts.get("rows_read", 0) or 0),
        "rows_staged": int(counts.get("rows_staged", 0) or 0),
        "fields": sorted(common),
    }


def baselines(history: list[tuple[int, dict[str, Any]]]) -> dict[str, tuple[int, dict[str, Any]]]:
    """Per source, the latest published sync where it was whole: (sync_id, figures).

    ``history``: published syncs as (sync_id, {source: record}), where a record is a
    ``Verdict.record()`` or, for a sync judged before completeness was recorded, the
    ``sources`` counts (then taken as whole).
    """
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    for sync_id, sources in sorted(history, key=lambda item: item[0]):
        for source, record in sources.items():
            if record.get("whole", True):
                found[source] = (sync_id, record)
    return found


def judge(
    counts: Mapping[str, Mapping[str, Any]],
    files: Mapping[str, list[FileFacts]],
    history: list[tuple[int, dict[str, Any]]],
    confirmed: Iterable[str] = (),
) -> dict[str, Verdict]:
    """Each source of this sync (or of its baselines) judged whole or not, with the reasons."""
    confirmed = set(confirmed)
    base = baselines(history)
    verdicts = {}
    for source in sorted(set(counts) | set(base)):
        current = counts.get(source, {})
        now = figures(current, files.get(source, []))
        baseline_sync, before = base.get(source, (None, {}))
        verdict = Verdict(source, figures=now, confirmed=source in confirmed, baseline_sync=baseline_sync)
        for code, detail in _faults(current, now, files.get(source, []), before, baseline_sync):
            verdict.reasons.append(
                {
                    "code": code,
                    "detail": detail,
                    "confirmed": verdict.confirmed and code in settings()["confirmable"],
                }
            )
        verdicts[source] = verdict
    return verdicts


def _faults(
    counts: Mapping[str, Any],
    now: dict[str, Any],
    files: list[FileFacts],
    before: Mapping[str, Any],
    baseline_sync: int | None,
) -> list[tuple[str, str]]:
    faults = []
    rows_before = int(before.get("rows_read", 0) or 0)
    emptied = now["rows_read"] == 0
    if emptied and rows_before > 0:
        what = "no file" if now["files"] == 0 else f"{now['files']} file(s) without a data row"
        faults.append(("folder_empty", f"{what}; {rows_before} rows in sync {baseline_sync}"))
    refused = [_refusal(item) for item in counts.get("files_refused") or []]
    refused += [str(error) for error in counts.get("file_errors") or []]
    if refused:
        faults.append(("file_refused", f"{len(refused)} file(s) refused: " + "; ".join(refused)))
    if counts.get("blocked"):
        faults.append(("blocked", str(counts["blocked"])))
    unreadable = [f"{f.name}: {f.unreadable}" for f in files if f.unreadable]
    if unreadable:
        faults.append(("rows_unreadable", "rows not read whole (quarantined): " + "; ".join(unreadable)))
    without = now["files"] - now["files_with_rows"]
    without_before = int(before.get("files", 0) or 0) - int(before.get("files_with_rows", 0) or 0)
    if not emptied and without > max(without_before, 0):
        faults.append(("file_without_rows", f"{without} of {now['files']} files without a data row"))
    required = set(before.get("fields") or [])
    lacking = [(f.name, sorted(required - f.fields)) for f in files if f.rows and required - f.fields]
    if lacking:
        faults.append(
            (
                "column_missing",
                "; ".join(f"{name} lacks {', '.join(fields)}" for name, fields in lacking),
            )
        )
    share = float(settings()["min_row_share"])
    dropped = now["rows_read"] < share * rows_before
    if not emptied and dropped:
        faults.append(
            (
                "rows_dropped",
                f"{now['rows_read']} rows read, below {share:.0%} of the {rows_before} of sync {baseline_sync}",
            )
        )
    staged_before = int(before.get("rows_staged", 0) or 0)
    if not emptied and not dropped and now["rows_staged"] < share * staged_before:
        faults.append(
            (
                "rows_quarantined",
                f"{now['rows_staged']} rows staged, below {share:.0%} of the {staged_before} of sync "
                f"{baseline_sync}; the rest quarantined",
            )
        )
    return faults


def _refusal(item: object) -> str:
    if isinstance(item, Mapping):
        return f"{item.get('file')}: {item.get('reason')}"
    return str(item)
