"""Department workbooks a clerk can act on: the alerts on a department's list, where to find
each child, what the alert rests on, and four columns to fill in and hand back.

``<out>/<department_code>/<部门>_困境儿童预警_<as-of>.xlsx``; ``county_government`` gets one
workbook per county holding that county's children only. Each opens on a 说明 sheet
(as-of date, sync, what the lists are, the PIPL notice, how to fill in and return,
counts per sheet, and the workbook's mark that ``reports.returns`` reads back), then
one sheet per alert code.

An alert is on the lists while it is open and its ``department_status`` (set by
``policy.history`` from the returns) keeps it there. What a department may read is
``reports.access``'s: outside health and civil affairs no restricted record is named,
neither in the evidence nor among the records that say where the child is.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from policy.history import ANSWERS, ON_LIST, OPEN, RECHECK
from reports import access
from reports.config import county_name, settings
from reports.display import as_dates, cell_rows, county_labels, sex_labels, sort_by_place
from reports.returns import UNKNOWN_COUNTY, latest_answers, marker
from reports.staff import attach_supervisors
from reports.texts import AlertText
from reports.xlsx import SheetColumn, add_sheet, fitted_columns, new_workbook, save, sheet_title

log = logging.getLogger(__name__)

_PLACE = ["county_code", "township", "village"]
_PERSON = ["name", "sex", "birth_date", "id_number"]
_FINDING = ["township", "village", "guardian_name", "guardian_phone"]
COUNTY_DEPARTMENT = "county_government"
# A line break YAML folded into a space between two Chinese characters.
_CJK_BREAK = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")


@dataclass(frozen=True)
class Book:
    """One workbook: whose, which alert codes, which rows."""

    department: str  # department code
    label: str  # the department's (or county government's) Chinese name
    county_code: str | None  # county_government's workbooks only
    codes: list[str]
    rows: pd.DataFrame


def write_department_workbooks(
    out_dir: Path,
    alerts: pd.DataFrame,
    children: pd.DataFrame,
    categories: pd.DataFrame,
    texts: Mapping[str, AlertText],
    departments: Mapping[str, str],
    sync_dates: Mapping[int, date],
    staff: pd.DataFrame | None,
    *,
    sync_id: int | None = None,
    records: pd.DataFrame | None = None,
    feedback: pd.DataFrame | None = None,
) -> list[Path]:
    """Write every department's workbooks (county government: one per county) into ``out_dir``.

    ``alerts`` is registry.gap_alerts (``evidence`` read for open alerts at least);
    ``children`` and ``categories`` registry.children and registry.child_categories;
    ``sync_dates`` maps a sync id to its as-of date; ``sync_id`` the exported sync
    (default: the latest in ``sync_dates``); ``staff`` the staged roster or None;
    ``records`` the listed children's linked records (child_id, source_system,
    source_file, source_row and the staged township, village, guardian_name,
    guardian_phone); ``feedback`` registry.alert_feedback. A department answering for
    a code with no alert on its list still gets the sheet, empty, so "nothing to do"
    is visible rather than a missing sheet.
    """
    sync_id = max(sync_dates) if sync_id is None else sync_id
    rows = _alert_rows(alerts, children, categories, texts, departments, sync_dates, staff, records, feedback)
    answering = {d for t in texts.values() for d in t.departments} | set(rows["department"])
    _check_known(answering, departments)
    paths = []
    for book in _books(rows, answering, texts, departments):
        path = Path(out_dir) / book.department / _file_name(book.label, sync_dates[sync_id])
        paths.append(
            _write_workbook(path, book, texts, departments, sync_id, sync_dates[sync_id], staff is not None)
        )
    return paths


def _books(
    rows: pd.DataFrame, answering: set[str], texts: Mapping[str, AlertText], departments: Mapping[str, str]
) -> list[Book]:
    """The workbooks: one per department, and one per county for the county governments."""
    books = []
    for department in sorted(answering):
        mine = access.visible_rows(rows[rows["department"] == department], department)
        raised = set(mine["alert"])
        codes = [c for c, t in texts.items() if department in t.departments or c in raised]
        if department != COUNTY_DEPARTMENT:
            books.append(Book(department, departments[department], None, codes, mine))
            continue
        county = mine["county_code"].fillna(UNKNOWN_COUNTY)
        for code in sorted(set(settings()["counties"]) | set(county)):
            name = county_name(code) if code != UNKNOWN_COUNTY else settings()["report"]["unknown_county"]
            label = settings()["workbook"]["county_department"].format(county=name)
            books.append(Book(department, label, code, codes, mine[county.eq(code).to_numpy()]))
    return books


def _file_name(label: str, as_of: date) -> str:
    return settings()["workbook"]["file_name"].format(department=label, as_of=as_of.isoformat())


def _listed(alerts: pd.DataFrame) -> pd.DataFrame:
    """Open alerts whose department answer keeps them on the lists (or that have none)."""
    status = (
        alerts["department_status"] if "department_status" in alerts else pd.Series(None, index=alerts.index)
    )
    return alerts[alerts["status"].eq(OPEN) & (status.isna() | status.isin(ON_LIST))]


def _alert_rows(
    alerts: pd.DataFrame,
    children: pd.DataFrame,
    categories: pd.DataFrame,
    texts: Mapping[str, AlertText],
    departments: Mapping[str, str],
    sync_dates: Mapping[int, date],
    staff: pd.DataFrame | None,
    records: pd.DataFrame | None,
    feedback: pd.DataFrame | None,
) -> pd.DataFrame:
    """One row per listed alert and responsible department, with every display column.

    Columns that differ by who reads them come in two forms, ``*_public`` for a
    department outside health and civil affairs; ``_for`` picks one per row.
    """
    listed = _listed(alerts)
    unknown = sorted(set(listed["alert"]) - set(texts))
    if unknown:
        raise ValueError(f"no AlertText for alert codes {unknown}")
    rows = listed.assign(department=listed["departments"].fillna("").str.split(",")).explode("department")
    rows["department"] = rows["department"].str.strip()
    rows = rows[rows["department"] != ""]
    _check_known(set(rows["department"]), departments)

    people = children.set_index("child_id")
    missing = ~rows["child_id"].isin(people.index)
    if missing.any():
        raise ValueError(f"{int(missing.sum())} listed alerts name a child_id absent from children")
    rows = rows.join(people[_PERSON], on="child_id")
    for col in _PLACE:  # where the alert is to be acted on; the child's record fills gaps
        rows[col] = rows[col].fillna(rows["child_id"].map(people[col]))

    raised = rows["first_raised"].map(dict(sync_dates))
    if raised.isna().any():
        absent = sorted(set(rows.loc[raised.isna(), "first_raised"]))
        raise ValueError(f"sync_dates lacks the as-of date of syncs {absent}")
    rows["first_raised"] = as_dates(raised)
    rows["birth_date"] = as_dates(rows["birth_date"])
    rows["county"] = county_labels(rows["county_code"])
    rows["sex"] = sex_labels(rows["sex"])
    rows["categories"] = rows["child_id"].map(_category_labels(categories))
    rows["follow_up"] = _follow_up(rows, feedback, departments)
    rows = rows.reset_index(drop=True)
    privileged = rows["department"].map(access.is_privileged).astype(bool).to_numpy()
    found = _where_to_find(people, records, set(rows["child_id"]))
    for col in [*_FINDING, "found_via", "known_to"]:
        every, public = (rows["child_id"].map(found[f"{col}{v}"]) for v in ("", "_public"))
        rows[col] = np.where(privileged, every, public)
    evidence = rows["evidence"] if "evidence" in rows else pd.Series(None, index=rows.index)
    rows["evidence"] = np.where(privileged, _evidence_texts(evidence, False), _evidence_texts(evidence, True))
    rows[["answer", "answered_on", "handler", "note"]] = None
    if staff is not None:
        rows = attach_supervisors(rows, staff)
    return sort_by_place(rows)


def _category_labels(categories: pd.DataFrame) -> pd.Series:
    """child_id -> its categories in Chinese, in the policy's order, joined by 、."""
    names = settings()["categories"]
    cats = categories.loc[categories["category"].isin(names), ["child_id", "category"]]
    children = pd.Index(cats["child_id"].unique())
    joined = np.full(len(children), "", dtype=object)
    for code, name in names.items():  # the policy's order
        held = children.isin(cats.loc[cats["category"] == code, "child_id"])
        joined = joined + np.where(held, name + "、", "").astype(object)
    return pd.Series([s[:-1] for s in joined], index=children, dtype=object)


# ------------------------------------------------------------------ where to find the child


def _record_label(system: str, file: object, row: object) -> str:
    """A record as a clerk finds it: its source's name, file and row."""
    name = settings()["sources"].get(system, system)
    return settings()["workbook"]["record_label"].format(
        source=name, file=file, row=int(row) if pd.notna(row) else "?"
    )


def _record_labels(records: pd.DataFrame) -> pd.Series:
    columns = [records[c] for c in ("source_system", "source_file", "source_row")]
    return pd.Series(
        [_record_label(*r) for r in zip(*columns, strict=True)], index=records.index, dtype=object
    )


def _where_to_find(people: pd.DataFrame, records: pd.DataFrame | None, children: set[str]) -> pd.DataFrame:
    """Per child: township, village, guardian and phone (the golden record's, else the first
    linked record's that has them), which record supplied them (``found_via``), and every
    record that holds the child (``known_to``) — each also ``*_public``, without the
    restricted sources' records."""
    golden = people.loc[people.index.isin(children), _FINDING]
    out = pd.DataFrame(index=golden.index)
    if records is None or records.empty:
        records = pd.DataFrame(columns=["child_id", "source_system", "source_file", "source_row", *_FINDING])
    records = records[records["child_id"].isin(children)]
    order = {s: i for i, s in enumerate(settings()["sources"])}
    records = records.assign(_order=records["source_system"].map(order).fillna(len(order)))
    records = records.sort_values(["child_id", "_order", "source_file", "source_row"], kind="stable")
    records = records.assign(label=_record_labels(records))
    headers = settings()["workbook"]["columns"]
    template = settings()["workbook"]["found_via_label"]
    for suffix, chosen in (("", records), ("_public", records[access.nameable_records(records)])):
        via: dict[str, dict[str, list[str]]] = {}  # child -> record label -> fields it supplied
        for col in _FINDING:
            values = golden[col].where(golden[col].astype("string").str.strip().ne(""))
            has = chosen[chosen[col].astype("string").str.strip().ne("").fillna(False).astype(bool)]
            first = has.drop_duplicates("child_id").set_index("child_id")
            filled = values.isna() & values.index.isin(first.index)
            supplied = pd.Series(values.index, index=values.index).map(first[col])
            out[f"{col}{suffix}"] = values.where(~filled, supplied)
            for child, label in first.loc[values.index[filled], "label"].items():
                via.setdefault(child, {}).setdefault(label, []).append(headers[col])
        out[f"found_via{suffix}"] = pd.Series(
            {
                child: "；".join(template.format(fields="、".join(f), record=r) for r, f in labels.items())
                for child, labels in via.items()
            },
            dtype=object,
        )
        joined = chosen.groupby("child_id", sort=False)["label"].agg("；".join)
        out[f"known_to{suffix}"] = joined
    return out


# ------------------------------------------------------------------ evidence and follow-up


def _evidence_texts(evidence: pd.Series, public: bool) -> pd.Series:
    """Each alert's evidence as the files and rows it rests on; ``public``: only the items
    ``access.nameable_evidence`` lets a department outside health and civil affairs read."""
    cache: dict[object, str | None] = {}
    return evidence.map(lambda e: cache[e] if e in cache else cache.setdefault(e, _evidence_text(e, public)))


def _evidence_text(evidence: object, public: bool) -> str | None:
    if not isinstance(evidence, str) or not evidence.strip():
        return None
    seen, labels = set(), []
    for item in json.loads(evidence):
        key = (item.get("system"), item.get("file"), item.get("row"))
        if key in seen or (public and not access.nameable_evidence(item)):
            continue
        seen.add(key)
        labels.append(_record_label(*key))
    return "；".join(labels) or None


def _follow_up(
    rows: pd.DataFrame, feedback: pd.DataFrame | None, departments: Mapping[str, str]
) -> pd.Series:
    """What a row on the list has been answered: 办理中 since when, or why it is back (复核)."""
    out = pd.Series(None, index=rows.index, dtype=object)
    if feedback is None or feedback.empty or "department_status" not in rows:
        return out
    texts = settings()["workbook"]["follow_up"]
    latest = latest_answers(feedback).set_index("alert_id")
    previous = latest_answers(feedback[feedback["answer"].isin(set(ANSWERS) - set(ON_LIST))]).set_index(
        "alert_id"
    )
    for i, (alert_id, status) in enumerate(zip(rows["alert_id"], rows["department_status"], strict=True)):
        if status == RECHECK and alert_id in previous.index:
            answer = previous.loc[alert_id]
            template = texts[RECHECK][answer["answer"]]
        elif status in texts and alert_id in latest.index:
            answer = latest.loc[alert_id]
            template = texts[status]
        else:
            continue
        on = answer["answered_on"]
        out.iloc[i] = template.format(
            department=departments.get(answer["department"], answer["department"]),
            answered_on=pd.Timestamp(on).date().isoformat() if pd.notna(on) else "",
        )
    return out


def _check_known(codes: set[str], departments: Mapping[str, str]) -> None:
    unknown = sorted(codes - set(departments))
    if unknown:
        raise ValueError(f"department codes without a name: {unknown}")


# ------------------------------------------------------------------ writing


def _columns_for(department: str, with_staff: bool) -> list[str]:
    book = settings()["workbook"]
    drop = set()
    if not access.is_privileged(department):
        drop |= set(book["privileged_only"])
    if not with_staff:
        drop |= set(book["staff_only"])
    return [key for key in book["columns"] if key not in drop]


def _write_workbook(
    path: Path,
    book: Book,
    texts: Mapping[str, AlertText],
    departments: Mapping[str, str],
    sync_id: int,
    as_of: date,
    with_staff: bool,
) -> Path:
    cfg = settings()["workbook"]
    keys = _columns_for(book.department, with_staff)
    wb = new_workbook()
    mark = marker(book.department, book.county_code, sync_id)
    wb.properties.identifier = mark
    wb.properties.title = path.stem
    taken: set[str] = set()
    readme_title = sheet_title(cfg["readme_sheet"], taken)
    counts, sheets = [], []
    for code in book.codes:
        title, next_step = access.texts_for(book.department, code, texts[code])
        sheet = book.rows[book.rows["alert"] == code].assign(next_step=next_step)
        partners = "、".join(departments[d] for d in texts[code].departments if d != book.department)
        counts.append((title, len(sheet), partners, next_step))
        sheets.append((sheet_title(title, taken), sheet))
    _readme(wb, readme_title, book, sync_id, as_of, mark, counts)
    shown = {k: cfg["columns"][k] for k in keys}
    fill = set(cfg["fill_in"])
    answer_at = get_column_letter(keys.index("answer") + 1)
    for title, sheet in sheets:
        columns = [
            replace(c, fill=cfg["fill_colour"]) if k in fill else c
            for k, c in zip(keys, fitted_columns(sheet, shown), strict=True)
        ]
        ws = add_sheet(wb, title, columns, cell_rows(sheet, keys), wrapped=True)
        ws.data_validations.append(_answer_list(answer_at, len(sheet)))
    log.info("%s: %d sheets, %d alert rows", path.name, len(sheets), len(book.rows))
    return save(wb, path)


def _readme(wb, title: str, book: Book, sync_id: int, as_of: date, mark: str, counts: list[tuple]) -> None:
    """The 说明 sheet: what the workbook is, the notice, how to answer, and counts per sheet."""
    cfg = settings()["workbook"]
    values = {
        "department": book.label,
        "as_of": as_of.isoformat(),
        "sync_id": sync_id,
        "county": county_name(book.county_code) if book.county_code not in (None, UNKNOWN_COUNTY) else "",
        "marker": mark,
    }
    texts = {label: _CJK_BREAK.sub("", text.format(**values)) for label, text in cfg["readme"].items()}
    rows: list[tuple] = [(label, text) for label, text in texts.items() if text]
    rows += [(), tuple(cfg["count_headers"]), *counts]
    widths = cfg["readme_widths"]
    headers = [*cfg["readme_headers"], "", ""]
    add_sheet(
        wb,
        title,
        [SheetColumn(h, w) for h, w in zip(headers, widths, strict=True)],
        rows,
        wrapped=True,
        filtered=False,
    )


def _answer_list(column: str, n_rows: int) -> DataValidation:
    """The 核实结果 drop-down; a typed value is warned about, not refused (returns are read leniently)."""
    choices = ",".join(ANSWERS)
    validation = DataValidation(
        type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=True, errorStyle="warning"
    )
    validation.error = f"请选择：{choices}"
    validation.add(f"{column}2:{column}{max(n_rows, 1) + 1}")
    return validation
