"""Reviewers' decisions read back from the workbooks they drop into
``<inbox>/review_decisions/``, and only those that can be trusted.

A workbook is taken whole or not at all. It is quarantined, with a reason naming
the row and column (never a cell's text), when it cannot be read, is not a review
workbook, holds a decision that is not one of the accepted texts, a decided row
without a reviewer, a row whose signature does not match (edited, sorted in part,
or made up: only the warehouse's key signs), a pair this warehouse never issued and
nobody decided before, or one pair decided both ways — within the workbook, or
against another workbook of the same sync. None of this fails the sync. Excel's
lock files (``~$…``) are not workbooks and are passed over; a workbook whose
content was read by an earlier sync is not read again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from reports.config import settings
from reports.review import headers
from reports.review_sign import SIGNED, verified

# The inbox folder reviewers drop their filled-in review workbooks into.
REVIEW_FOLDER = "review_decisions"
DECISION_COLUMNS = ["pair_id", "record_key_l", "record_key_r", "decision", "reviewer", "row"]
FILE_COLUMNS = ["file", "file_sha256", "read_at", "status", "reason", "decisions"]


class Refused(ValueError):
    """A workbook that cannot be trusted; the message is the reason kept for it."""


@dataclass(frozen=True)
class DroppedDecisions:
    decisions: pd.DataFrame  # DECISION_COLUMNS + file, file_sha256, read_at: accepted workbooks only
    files: pd.DataFrame  # FILE_COLUMNS: every workbook read this sync


def read_review_decisions(path: Path, key: bytes, issued: pd.DataFrame) -> pd.DataFrame:
    """The decided rows of one review workbook (``DECISION_COLUMNS``), or ``Refused``.

    ``issued``: pair_id, record_key_l, record_key_r of the pairs a decision may name
    (issued in review_pairs, or decided before).
    """
    cfg = settings()["review"]
    accepted = {k.casefold(): v for k, v in cfg["decisions"].items()}
    names = headers()
    known = {
        (p, a, b)
        for p, a, b in zip(issued["pair_id"], issued["record_key_l"], issued["record_key_r"], strict=True)
    }
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if cfg["sheet"] not in wb.sheetnames:
            raise Refused(f"not a review workbook: no sheet {cfg['sheet']}")
        fallback = _workbook_reviewer(wb)
        rows = wb[cfg["sheet"]].iter_rows(values_only=True)
        position = _positions(next(rows, ()), names)
        found = []
        for n, row in enumerate(rows, start=2):
            cells = {c: row[i] if i < len(row) else None for c, i in position.items()}
            text = _text(cells["decision"])
            if not text:
                continue
            where = f"row {n}, column {names['decision']}"
            if text.casefold() not in accepted:
                raise Refused(f"{where}: not a decision; write one of {', '.join(cfg['decisions'])}")
            if not verified(key, [cells[c] for c in SIGNED], cells["signature"]):
                raise Refused(
                    f"row {n}: signature does not match the row (edited, sorted in part, or not issued here)"
                )
            if (
                _text(cells["pair_id"]),
                _text(cells["record_key_l"]),
                _text(cells["record_key_r"]),
            ) not in known:
                raise Refused(f"row {n}: a pair this warehouse did not issue for review")
            reviewer = _text(cells["reviewer"]) or fallback
            if not reviewer:
                raise Refused(f"row {n}, column {names['reviewer']}: no reviewer")
            keys = [_text(cells[c]) for c in ("pair_id", "record_key_l", "record_key_r")]
            found.append((*keys, accepted[text.casefold()], reviewer, n))
    finally:
        wb.close()
    return _one_per_pair(pd.DataFrame(found, columns=DECISION_COLUMNS))


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _workbook_reviewer(wb) -> str:
    """The reviewer written once on the instructions sheet, if any."""
    cfg = settings()["review"]
    if cfg["instructions_sheet"] not in wb.sheetnames:
        return ""
    for row in wb[cfg["instructions_sheet"]].iter_rows(values_only=True, max_col=2):
        if row and _text(row[0]) == cfg["reviewer_label"]:
            return _text(row[1] if len(row) > 1 else None)
    return ""


def _positions(header_row: tuple, names: dict[str, str]) -> dict[str, int]:
    """Where each needed column is, by its header (a clerk may move columns)."""
    index = {str(h).strip(): i for i, h in enumerate(header_row) if h is not None}
    missing = [h for h in names.values() if h not in index]
    if missing:
        raise Refused(f"not a review workbook, columns missing: {missing}")
    return {c: index[h] for c, h in names.items()}


def _one_per_pair(decisions: pd.DataFrame) -> pd.DataFrame:
    """One decision per pair; the same pair decided both ways is refused, naming the rows."""
    per_pair = decisions.groupby("pair_id")["decision"].nunique()
    conflicting = decisions[decisions["pair_id"].isin(per_pair[per_pair > 1].index)]
    if len(conflicting):
        raise Refused(f"rows {sorted(conflicting['row'])}: one pair decided both ways")
    return decisions.drop_duplicates("pair_id", keep="last").reset_index(drop=True)


def _workbooks(folder: Path | None) -> Iterable[Path]:
    """Files a reviewer dropped, in name order; Excel's lock files and hidden files are no workbooks."""
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(("~$", ".")))


def dropped_decisions(
    inbox: Path | None, key: bytes, issued: pd.DataFrame, seen: set[str]
) -> DroppedDecisions:
    """Decisions of the workbooks in ``inbox/review_decisions/`` not accepted before
    (``seen``: sha256 of workbooks earlier syncs accepted), each workbook accepted or
    quarantined with its reason. A quarantined workbook is read again by the next
    sync: the clash that refused it may be gone."""
    folder = Path(inbox) / REVIEW_FOLDER if inbox is not None else None
    now = datetime.now(UTC).replace(tzinfo=None)
    files, taken = [], {}
    for path in _workbooks(folder):
        name = path.relative_to(folder).as_posix()
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as error:
            files.append([name, None, now, "quarantined", f"unreadable: {type(error).__name__}", 0])
            continue
        if digest in seen:
            continue
        seen = seen | {digest}
        try:
            if path.suffix.casefold() != ".xlsx":
                raise Refused("not an .xlsx workbook")
            taken[name] = read_review_decisions(path, key, issued).assign(file=name, file_sha256=digest)
            files.append([name, digest, now, "accepted", None, len(taken[name])])
        except Refused as refused:
            files.append([name, digest, now, "quarantined", str(refused), 0])
        except Exception as error:  # noqa: BLE001 - any unreadable file is quarantined, never the sync failed
            files.append([name, digest, now, "quarantined", f"unreadable: {type(error).__name__}", 0])
    files_frame = pd.DataFrame(files, columns=FILE_COLUMNS)
    clashes = _clashes(taken)
    for name, reason in clashes.items():
        del taken[name]
        files_frame.loc[files_frame["file"] == name, ["status", "reason", "decisions"]] = [
            "quarantined",
            reason,
            0,
        ]
    columns = [*DECISION_COLUMNS, "file", "file_sha256"]
    decisions = pd.concat(list(taken.values()), ignore_index=True) if taken else pd.DataFrame(columns=columns)
    return DroppedDecisions(decisions.assign(read_at=now), files_frame)


def _clashes(taken: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Workbooks of this sync that decide a pair otherwise than another one does: all
    of them are quarantined, since which is right is for the reviewers to settle."""
    if len(taken) < 2:
        return {}
    both = pd.concat(list(taken.values()), ignore_index=True)
    per_pair = both.groupby("pair_id")["decision"].nunique()
    clash = both.loc[both["pair_id"].isin(per_pair[per_pair > 1].index)]
    reasons = {}
    for name, rows in clash.groupby("file"):
        others = sorted(set(clash.loc[clash["pair_id"].isin(rows["pair_id"]), "file"]) - {name})
        reasons[name] = f"rows {sorted(rows['row'].tolist())}: decided otherwise in {', '.join(others)}"
    return reasons
