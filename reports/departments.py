"""One workbook per department: its open alerts, a sheet per alert code, ready to act on."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from reports import access
from reports.config import settings
from reports.display import as_dates, cell_rows, county_labels, sex_labels, sort_by_place
from reports.staff import attach_supervisors
from reports.texts import AlertText
from reports.xlsx import add_sheet, fitted_columns, new_workbook, save, sheet_title

log = logging.getLogger(__name__)

_PLACE = ["county_code", "township", "village"]
_PERSON = ["name", "sex", "birth_date", "id_number", "guardian_name", "guardian_phone"]


def write_department_workbooks(
    out_dir: Path,
    alerts: pd.DataFrame,
    children: pd.DataFrame,
    categories: pd.DataFrame,
    texts: Mapping[str, AlertText],
    departments: Mapping[str, str],
    sync_dates: Mapping[int, date],
    staff: pd.DataFrame | None,
) -> list[Path]:
    """Write ``<department_code>.xlsx`` for every department answering for an alert code.

    ``alerts`` is registry.gap_alerts (only open rows are exported), ``children`` and
    ``categories`` registry.children and registry.child_categories, ``sync_dates``
    maps a sync id to its as-of date (for 首次发现), ``staff`` the staged roster or None.
    A department answering for a code with no open alert still gets the sheet, empty,
    so "nothing to do" is visible rather than a missing sheet.
    """
    rows = _alert_rows(alerts, children, categories, texts, departments, sync_dates, staff)
    answering = {d for t in texts.values() for d in t.departments} | set(rows["department"])
    _check_known(answering, departments)
    paths = []
    for department in sorted(answering):
        mine = access.visible_rows(rows[rows["department"] == department], department)
        raised = set(mine["alert"])
        codes = [c for c, t in texts.items() if department in t.departments or c in raised]
        path = Path(out_dir) / f"{department}.xlsx"
        paths.append(_write_workbook(path, department, codes, mine, texts, departments, staff is not None))
    return paths


def _alert_rows(
    alerts: pd.DataFrame,
    children: pd.DataFrame,
    categories: pd.DataFrame,
    texts: Mapping[str, AlertText],
    departments: Mapping[str, str],
    sync_dates: Mapping[int, date],
    staff: pd.DataFrame | None,
) -> pd.DataFrame:
    """One row per open alert and responsible department, with every display column."""
    open_ = alerts[alerts["status"] == "open"]
    unknown = sorted(set(open_["alert"]) - set(texts))
    if unknown:
        raise ValueError(f"no AlertText for alert codes {unknown}")
    rows = open_.assign(department=open_["departments"].fillna("").str.split(",")).explode("department")
    rows["department"] = rows["department"].str.strip()
    rows = rows[rows["department"] != ""]
    _check_known(set(rows["department"]), departments)

    people = children.set_index("child_id")
    missing = ~rows["child_id"].isin(people.index)
    if missing.any():
        raise ValueError(f"{int(missing.sum())} open alerts name a child_id absent from children")
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
    rows = rows.reset_index(drop=True)
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


def _check_known(codes: set[str], departments: Mapping[str, str]) -> None:
    unknown = sorted(codes - set(departments))
    if unknown:
        raise ValueError(f"department codes without a name: {unknown}")


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
    department: str,
    codes: list[str],
    rows: pd.DataFrame,
    texts: Mapping[str, AlertText],
    departments: Mapping[str, str],
    with_staff: bool,
) -> Path:
    book = settings()["workbook"]
    keys = _columns_for(department, with_staff)
    wb = new_workbook()
    taken: set[str] = set()
    summary_title = sheet_title(book["summary_sheet"], taken)
    summary = []
    sheets = []
    for code in codes:
        title, next_step = access.texts_for(department, code, texts[code])
        sheet = rows[rows["alert"] == code].assign(next_step=next_step)
        partners = "、".join(departments[d] for d in texts[code].departments if d != department)
        summary.append((title, len(sheet), partners, next_step))
        sheets.append((sheet_title(title, taken), sheet))
    overview = pd.DataFrame(summary, columns=book["summary_headers"], dtype=object)
    headers = dict(zip(overview.columns, overview.columns, strict=True))
    add_sheet(wb, summary_title, fitted_columns(overview, headers), cell_rows(overview, headers))
    shown = {k: book["columns"][k] for k in keys}
    for title, sheet in sheets:
        add_sheet(wb, title, fitted_columns(sheet, shown), cell_rows(sheet, keys))
    log.info("%s: %d sheets, %d alert rows", path.name, len(sheets), len(rows))
    return save(wb, path)
