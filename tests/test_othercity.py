"""The independent city (benchmarks/othercity): files are written, its truth points at
rows that exist, categories and alerts name only children, and a seed decides all."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from benchmarks.othercity.city import make_city

AS_OF = dt.date(2026, 11, 30)
SOURCES = {
    "civil_affairs_children",
    "civil_affairs_assistance",
    "poverty_households",
    "disability_certificates",
    "education_students",
    "health_insurance",
    "health_conditions",
}
CATEGORIES = {
    "orphan",
    "hiv",
    "serious_illness",
    "severe_disability",
    "extreme_hardship",
    "poor_family",
    "left_behind",
    "distressed",
    "disabled",
}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("othercity") / "a"
    make_city(300, 5, AS_OF, out)
    return out


def _rows(path: Path) -> dict[int, list[str]]:
    """Non-blank rows by 1-based row number, as a spreadsheet shows them."""
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        ws = next(ws for ws in wb.worksheets if ws.title not in ("填表说明", "说明"))
        return {
            i: [str(c) for c in r if c not in (None, "")]
            for i, r in enumerate(ws.iter_rows(values_only=True), 1)
        }
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    sep = "\t" if "\t" in text.splitlines()[0] + text.splitlines()[1] else ","
    lines = text.split("\r\n")
    return {i: [c for c in r if c] for i, r in enumerate(csv.reader(lines, delimiter=sep), 1)}


def test_every_source_has_files(city: Path) -> None:
    folders = {p.name for p in (city / "inbox").iterdir() if any(p.iterdir())}
    assert folders == SOURCES
    assert {p.suffix for p in (city / "inbox").rglob("*.*")} == {".xlsx", ".csv"}


def test_records_point_at_data_rows(city: Path) -> None:
    records = pd.read_csv(city / "truth" / "records.csv", dtype=str, keep_default_na=False)
    assert set(records["source_system"]) == SOURCES
    assert not records.duplicated(["source_system", "source_file", "source_row"]).any()
    for (source, name), part in records.groupby(["source_system", "source_file"]):
        rows = _rows(city / "inbox" / source / name)
        for number in part["source_row"].astype(int):
            assert rows.get(number), f"{source}/{name} row {number} is empty"
        header = min(rows)  # title rows and the header come first
        assert part["source_row"].astype(int).min() > header


def test_categories_and_alerts_only_for_children(city: Path) -> None:
    truth = city / "truth"
    records = pd.read_csv(truth / "records.csv", dtype=str, keep_default_na=False)
    children = set(pd.read_csv(truth / "children.csv", dtype=str)["person_id"])
    assert children == set(records.loc[records["is_child"] == "true", "person_id"])
    categories = pd.read_csv(truth / "categories.csv", dtype=str)
    alerts = pd.read_csv(truth / "alerts.csv", dtype=str)
    assert set(categories["person_id"]) <= children
    assert set(alerts["person_id"]) <= children
    assert set(categories["category"]) <= CATEGORIES
    assert not alerts.duplicated().any()
    # a child gets one of not_in_school and dropout, never both
    school = alerts.loc[alerts["alert"].isin(["not_in_school", "dropout"])]
    assert not school["person_id"].duplicated().any()


def test_same_seed_same_city(tmp_path: Path, city: Path) -> None:
    again = tmp_path / "b"
    make_city(300, 5, AS_OF, again)

    def digest(root: Path) -> dict[str, str]:
        out = {}
        for p in sorted(root.rglob("*.csv")):
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
        return out

    assert digest(city) == digest(again)
    for name in ("records", "categories", "alerts", "children"):
        assert (city / "truth" / f"{name}.csv").read_text() == (again / "truth" / f"{name}.csv").read_text()
