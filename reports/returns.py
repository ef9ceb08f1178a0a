"""Department workbooks handed back: their answers read, checked and counted.

A returned workbook may have been sorted, filtered, had columns hidden or moved,
values typed instead of picked, sheets added, or been saved by WPS: a row is found
by its 预警编号 and columns by their headers, never by position. What cannot be
used is quarantined with its reason, never failing the sync: a file that does not
open, an Excel lock file, a workbook this registry did not write, a row whose
预警编号 is no alert or one never sent to the workbook's department (or county),
an answer that is not one of the four. The same bytes dropped twice count once.

Which alerts a department was sent is ``sent_alerts``: its own alerts, and outside
health and civil affairs only the rows ``access.shareable`` lets it read — so a
forged 预警编号 cannot even confirm that a withheld alert exists.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from policy.history import ANSWERS, DISPUTED, DONE, HELD, IN_PROGRESS, NOT_SAME_CHILD, RECHECK
from reports import access
from reports.config import settings
from values.cells import cell_text, normalise_label
from values.dates import parse_date
from warehouse.tables import ALERT_FEEDBACK

log = logging.getLogger(__name__)

FEEDBACK_FOLDER = "feedback"
UNKNOWN_COUNTY = "000000"  # the county mark of county_government's workbook for alerts without one
SOURCE = "department_returns"  # quarantine.source_system of what a return could not give
# The workbook's identity, in its 说明 sheet and its document properties.
_MARKER = re.compile(r"childreg:(?P<department>[a-z_]+)(?:/(?P<county>[0-9]{6}))?:sync(?P<sync>[0-9]+)")
_HEADER_ROWS = 10  # rows searched for the header of an alert sheet
FEEDBACK_COLUMNS = [c for c in ALERT_FEEDBACK.column_names if c != "sync_id"]


def marker(department: str, county_code: str | None, sync_id: int) -> str:
    """The identity written into a department workbook, read back by ``read_returns``."""
    county = f"/{county_code}" if county_code else ""
    return f"childreg:{department}{county}:sync{sync_id}"


@dataclass(frozen=True)
class Returns:
    answers: pd.DataFrame  # alert_feedback rows without sync_id
    quarantine: pd.DataFrame  # source_file, source_sheet, source_row, reason, raw_row
    files_read: int


def sent_alerts(alerts: pd.DataFrame) -> pd.DataFrame:
    """(alert_id, department, county_code) of every alert a department's workbook may hold."""
    rows = alerts.assign(department=alerts["departments"].fillna("").str.split(",")).explode("department")
    rows["department"] = rows["department"].str.strip()
    rows = rows[rows["department"].ne("")]
    privileged = rows["department"].map(access.is_privileged).astype(bool)
    rows = rows[privileged | access.shareable(rows)]
    rows = rows.assign(county_code=rows["county_code"].fillna(UNKNOWN_COUNTY))
    return rows[["alert_id", "department", "county_code"]].reset_index(drop=True)


def read_returns(inbox: Path | None, sent: pd.DataFrame, known_hashes: set[str]) -> Returns:
    """Every answer in the workbooks under ``<inbox>/feedback/`` not read before.

    ``sent`` is ``sent_alerts`` of the published registry; ``known_hashes`` the
    sha256 of files already read by an earlier sync (alert_feedback, and this
    source's quarantine), which are skipped.
    """
    folder = Path(inbox or ".") / FEEDBACK_FOLDER
    answers: list[dict] = []
    quarantine: list[dict] = []
    first_of: dict[str, str] = {}
    read = 0
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if inbox and folder.is_dir() else []
    for path in files:
        name = path.relative_to(folder).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in known_hashes:
            continue
        if digest in first_of:
            quarantine.append(_entry(name, digest, f"same content as {first_of[digest]}: counted once"))
            continue
        first_of[digest] = name
        read += 1
        try:
            found, refused = _read_file(path, name, digest, sent)
        except _Refused as exc:
            quarantine.append(_entry(name, digest, str(exc)))
            continue
        answers += found
        quarantine += refused
    log.info("department returns: %d files, %d answers, %d quarantined", read, len(answers), len(quarantine))
    return Returns(
        pd.DataFrame(answers, columns=FEEDBACK_COLUMNS),
        pd.DataFrame(quarantine, columns=["source_file", "source_sheet", "source_row", "reason", "raw_row"]),
        read,
    )


def latest_answers(answers: pd.DataFrame, keys: tuple[str, ...] = ("alert_id",)) -> pd.DataFrame:
    """One answer per key (an alert, by default): the latest 处理日期 (undated ones first),
    then the later sync, file and row."""
    order = answers.assign(_on=pd.to_datetime(answers["answered_on"])).sort_values(
        ["_on", "sync_id", "file", "sheet", "row"], na_position="first", kind="stable"
    )
    return order.drop_duplicates(list(keys), keep="last").drop(columns="_on").reset_index(drop=True)


def children_to_review(alerts: pd.DataFrame) -> pd.Series:
    """Children a department answered 非同一儿童 for, whose alert is held: their records go to
    the review queue first (registry.md). The hold lifts, as 复核, once a review decision
    names one of their records (``policy.history``)."""
    held = alerts["status"].eq(HELD) & alerts["department_status"].eq(NOT_SAME_CHILD)
    return pd.Series(alerts.loc[held, "child_id"].unique(), name="child_id", dtype=object)


class _Refused(Exception):
    """The whole file is quarantined, for the reason given."""


def _entry(name: str, digest: str, reason: str, sheet: str | None = None, row: int | None = None, **cells):
    raw = json.dumps({"file_sha256": digest, **cells}, ensure_ascii=False, default=str)
    return {"source_file": name, "source_sheet": sheet, "source_row": row, "reason": reason, "raw_row": raw}


def _read_file(path: Path, name: str, digest: str, sent: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    if path.name.startswith("~$"):
        raise _Refused("an Excel lock file (left beside a workbook while it is open), not a workbook")
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise _Refused(
            f"not an .xlsx workbook ({path.suffix or 'no suffix'}): save it as .xlsx and drop it again"
        )
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise _Refused(f"cannot be opened as a workbook ({type(exc).__name__})") from None
    try:
        sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
        identity = _identity(sheets, wb.properties)
    except Exception as exc:  # a damaged part inside a well-formed zip
        raise _Refused(f"cannot be read as a workbook ({type(exc).__name__})") from None
    finally:
        wb.close()
    if identity is None:
        raise _Refused(
            "not a department workbook of this registry: its 说明 sheet and properties carry no mark"
        )
    if not any(_header_at(rows) for rows in sheets.values()):
        raise _Refused("no sheet with a 预警编号 and a 核实结果 column: edited beyond recognition")
    department, county = identity
    mine = sent[sent["department"].eq(department)]
    if county:
        mine = mine[mine["county_code"].eq(county)]
    allowed, known = set(mine["alert_id"]), set(sent["alert_id"])
    answers, refused = [], []
    for title, rows in sheets.items():
        for row_number, cells in _answer_rows(rows):
            reason = _refusal(cells, allowed, known, department, county)
            if reason:
                refused.append(_entry(name, digest, reason, title, row_number, **cells))
                continue
            answers.append(
                {
                    "alert_id": cells["alert_id"],
                    "department": department,
                    "answer": cells["answer"],
                    "answered_on": parse_date(cells["answered_on"]),
                    "handler": cell_text(cells["handler"]),
                    "note": cell_text(cells["note"]),
                    "file": name,
                    "file_sha256": digest,
                    "row": row_number,
                    "sheet": title,
                }
            )
    return answers, refused


def _identity(sheets: dict[str, list[tuple]], properties) -> tuple[str, str | None] | None:
    """(department, county code or None) from the workbook's mark."""
    first = settings()["workbook"]["readme_sheet"]
    texts = [
        str(v) for title in ([first] if first in sheets else []) for row in sheets[title] for v in row if v
    ]
    texts += [str(getattr(properties, attr, None) or "") for attr in ("identifier", "keywords")]
    for text in texts:
        found = _MARKER.search(text)
        if found:
            return found["department"], found["county"]
    return None


def _fill_headers() -> dict[str, str]:
    columns = settings()["workbook"]["columns"]
    return {
        key: normalise_label(columns[key]) for key in ("alert_id", "answer", "answered_on", "handler", "note")
    }


def _header_at(rows: list[tuple]) -> tuple[int, dict[str, int]] | None:
    """(row index, column of each fill-in key) of the sheet's header row, if it has one."""
    wanted = _fill_headers()
    for i, row in enumerate(rows[:_HEADER_ROWS]):
        labels = {normalise_label(v): j for j, v in enumerate(row) if v is not None}
        if wanted["alert_id"] in labels and wanted["answer"] in labels:
            return i, {key: labels.get(label) for key, label in wanted.items()}
    return None


def _answer_rows(rows: list[tuple]) -> Iterator[tuple[int, dict]]:
    """(1-based row, cells) of every row below the header with a 预警编号 or an answer."""
    found = _header_at(rows)
    if found is None:
        return
    at, position = found
    for i, row in enumerate(rows[at + 1 :], start=at + 2):
        cells = {key: (row[j] if j is not None and j < len(row) else None) for key, j in position.items()}
        cells["alert_id"] = cell_text(cells["alert_id"])
        answer = normalise_label(cells["answer"]) if cells["answer"] is not None else ""
        cells["answer"] = answer or None
        if cells["answer"] is not None:
            yield i, cells


def _refusal(
    cells: dict, allowed: set[str], known: set[str], department: str, county: str | None
) -> str | None:
    choices = "、".join(ANSWERS)
    if cells["answer"] not in ANSWERS:
        return f"核实结果 is not one of {choices}"
    if not cells["alert_id"]:
        return "核实结果 given on a row without 预警编号"
    if cells["alert_id"] not in known:
        return "预警编号 is no alert this registry sent to any department"
    if cells["alert_id"] not in allowed:
        where = f"{department} (county {county})" if county else department
        return f"预警编号 names an alert never sent to {where}"
    return None


# ------------------------------------------------------------------ coverage report: returns


def returns_summary(
    alerts: pd.DataFrame, feedback: pd.DataFrame, sync_dates: dict[int, date]
) -> pd.DataFrame:
    """Returns per department and county, for the coverage report (counts only).

    ``alerts`` is registry.gap_alerts (alert_id, county_code, first_raised,
    department_status), ``feedback`` registry.alert_feedback, ``sync_dates`` sync id →
    as-of date. One row per (department, county_code) that answered: ``answered``
    (alerts with any answer), ``done``, ``in_progress``, ``disputed``,
    ``not_same_child`` (the department's latest answer), ``rechecks`` (alerts of the
    department now 复核), ``median_days_to_done`` (first raised → 处理日期 of 已办结,
    the reading sync's as-of date when blank).
    """
    columns = ["department", "county_code", "answered", "done", "in_progress", "disputed", "not_same_child"]
    columns += ["rechecks", "median_days_to_done"]
    if feedback.empty:
        return pd.DataFrame(columns=columns)
    rows = latest_answers(feedback, ("alert_id", "department")).merge(
        alerts[["alert_id", "county_code", "first_raised", "department_status"]], on="alert_id"
    )
    dates = pd.Series({int(k): pd.Timestamp(v) for k, v in sync_dates.items()})
    raised = pd.to_datetime(rows["first_raised"].astype("Int64").map(dates))
    reported = pd.to_datetime(rows["answered_on"]).fillna(pd.to_datetime(rows["sync_id"].map(dates)))
    rows["days"] = (reported - raised).dt.days.where(rows["answer"].eq(DONE))
    rows["county_code"] = rows["county_code"].fillna("")
    grouped = rows.groupby(["department", "county_code"])
    out = pd.DataFrame(
        {
            "answered": grouped["alert_id"].nunique(),
            "done": grouped["answer"].agg(lambda s: int(s.eq(DONE).sum())),
            "in_progress": grouped["answer"].agg(lambda s: int(s.eq(IN_PROGRESS).sum())),
            "disputed": grouped["answer"].agg(lambda s: int(s.eq(DISPUTED).sum())),
            "not_same_child": grouped["answer"].agg(lambda s: int(s.eq(NOT_SAME_CHILD).sum())),
            "rechecks": grouped["department_status"].agg(lambda s: int(s.eq(RECHECK).sum())),
            "median_days_to_done": grouped["days"].agg(
                lambda s: float(np.median(s.dropna())) if s.notna().any() else None
            ),
        }
    ).reset_index()
    out["county_code"] = out["county_code"].replace("", None)
    return out[columns]
