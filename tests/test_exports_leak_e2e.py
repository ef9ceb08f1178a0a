"""End to end: a synthetic city with hiv and seriously ill children, a real sync, and what reaches whom.

Outside the health and civil_affairs folders no workbook, and not the coverage report,
holds a diagnosis, a restricted category's name, or any text that tells a restricted
child from the other distressed children; the coverage report holds no name, identity
number or phone number of the city.

The review workbook goes to the data team's reviewers: it names the files records come
from, except a restricted register's, whose file name says what it registers.

Failure messages name workbooks, sheets, columns and rows, never a person's value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from ingest.read import read_inbox
from pipelines.cli import run_sync
from reports.config import settings
from synth import write_city

AS_OF = date(2026, 11, 30)
CHILDREN = 3000
# A few times the default rates, so a small city holds enough restricted children for
# their alerts to reach other departments' sheets next to unrestricted ones.
RATES = {"hiv": 0.01, "serious_illness": 0.02}
RESTRICTED = {"hiv", "serious_illness"}
PRIVILEGED = {"health", "civil_affairs"}  # department folders
REVIEW_BOOK = "review/review_queue.xlsx"  # the review queue has its own folder

RESTRICTED_WORDS = [
    "艾滋",
    "hiv",
    "重病",
    "大病",
    "serious_illness",
    "诊断",
    "确诊",
    "病毒",
    "diagnos",
    "重大疾病",
]
# An ICD-10 code as the health register writes it (B20, Z21, C92.0 …).
DIAGNOSIS_CODE = re.compile(r"(?<![0-9A-Za-z#])[A-Z][0-9]{2}(?:\.[0-9A-Z]{1,4})?(?![0-9A-Za-z])")
REGISTRY_ID = re.compile(r"C[0-9A-F]{11}")  # linkage.ids: a child id, in 预警编号 and 儿童编号
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
LONG_DIGITS = re.compile(r"\d{11,}")  # a phone or an identity number; counts carry separators


@dataclass
class Synced:
    city: Path
    exports: Path
    warehouse: Path


@pytest.fixture(scope="module")
def synced(tmp_path_factory) -> Synced:
    base = tmp_path_factory.mktemp("leak_e2e")
    write_city(base / "city", children=CHILDREN, seed=5, as_of=AS_OF, rates=RATES)
    status = run_sync(base / "city" / "inbox", AS_OF, f"duckdb:///{base}/w.duckdb", base / "exports")
    assert status == 0, "the sync did not publish (its reason is on standard error)"
    return Synced(base / "city", base / "exports" / AS_OF.isoformat(), base / "w.duckdb")


def _query(synced: Synced, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(synced.warehouse), read_only=True) as conn:
        return conn.sql(sql).df()


def _raw_cells(synced: Synced, source: str | None = None) -> list[dict]:
    """The inbox's rows as read (the warehouse keeps no raw rows after publish)."""
    raw = read_inbox(synced.city / "inbox", sync_id=0).raw
    if source:
        raw = raw.loc[raw["source_system"] == source]
    return [c if isinstance(c, dict) else json.loads(c) for c in raw["cells"]]


def _folded_hits(text: str) -> list[str]:
    folded = text.casefold()
    return [w for w in RESTRICTED_WORDS if w.casefold() in folded]


def _privileged(book: str) -> bool:
    return book.split("/")[0] in PRIVILEGED


def _books(synced: Synced) -> dict[str, dict[str, list[tuple]]]:
    """Every workbook, by its path in the exports (department folder / file): sheet title ->
    rows (header first), as cell values."""
    out = {}
    for path in sorted(synced.exports.rglob("*.xlsx")):
        wb = load_workbook(path, read_only=True)
        try:
            key = path.relative_to(synced.exports).as_posix()
            out[key] = {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
        finally:
            wb.close()
    return out


@pytest.fixture(scope="module")
def books(synced) -> dict[str, dict[str, list[tuple]]]:
    return _books(synced)


@pytest.fixture(scope="module")
def report(synced) -> str:
    return (synced.exports / "coverage_report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def health_terms(synced) -> set[str]:
    """The diagnosis codes and names the health register holds."""
    terms = set()
    for cells in _raw_cells(synced, "health_conditions"):
        for key, value in cells.items():
            if "诊断" in key and value:
                terms.add(str(value).strip())
    return {t for t in terms if t}


def _restricted_children(synced: Synced) -> pd.DataFrame:
    return _query(
        synced,
        """SELECT DISTINCT c.child_id, c.name, c.birth_date, c.id_number
           FROM registry.children c JOIN (SELECT child_id, category FROM registry.child_categories UNION ALL
                 SELECT child_id, category FROM restricted.child_categories) k USING (child_id)
           WHERE k.category IN ('hiv', 'serious_illness')""",
    )


def _person_key(name: object, birth: object, id_number: object) -> tuple:
    if isinstance(birth, datetime | pd.Timestamp):
        birth = birth.date()
    return (str(name or ""), str(birth or ""), str(id_number or ""))


# ------------------------------------------------------------------ the city


def test_the_city_holds_restricted_children(synced):
    truth = pd.read_csv(synced.city / "truth" / "categories.csv", dtype=str)
    counts = truth["category"].value_counts()
    assert counts.get("hiv", 0) >= 10 and counts.get("serious_illness", 0) >= 10
    found = _restricted_children(synced)
    assert len(found) >= 20, "the registry found too few restricted children for the test to mean much"


# ------------------------------------------------------------------ workbooks


def test_department_workbooks_are_those_of_the_departments(books):
    assert {b.split("/")[0] for b in books} >= PRIVILEGED
    assert REVIEW_BOOK in books
    assert len({b for b in books if not _privileged(b)} - {REVIEW_BOOK}) >= 4


def test_no_restricted_word_or_diagnosis_outside_health_and_civil_affairs(books, health_terms):
    assert health_terms, "the health register should hold diagnoses"
    leaks = []
    for book, sheets in books.items():
        if _privileged(book) or book == REVIEW_BOOK:
            continue
        for title, rows in sheets.items():
            leaks += [(book, title, "sheet title", w) for w in _folded_hits(title)]
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row, start=1):
                    if not isinstance(value, str):
                        continue
                    words = _folded_hits(value) + DIAGNOSIS_CODE.findall(value)
                    # the registry's own ids (C + 11 hex digits) may hold "B20" by chance
                    text = REGISTRY_ID.sub("", value)
                    words += ["a diagnosis of the register" for t in health_terms if t in text]
                    leaks += [(book, title, f"row {r} column {c}", w) for w in words]
    assert leaks == []


def test_review_workbook_never_names_a_restricted_condition(books):
    """Not even through the health register's own file name, which the generator's
    file names (…艾滋病病毒感染登记…) carry."""
    sheets = books[REVIEW_BOOK]
    leaks = []
    for title, rows in sheets.items():
        for r, row in enumerate(rows[1:], start=2):
            for c, value in enumerate(row):
                if isinstance(value, str) and _folded_hits(value):
                    leaks.append((title, f"row {r} column {c + 1}"))
    assert leaks == []


def _alert_sheets(sheets: dict[str, list[tuple]]) -> dict[str, list[dict]]:
    """The alert sheets (not the 说明 sheet) as lists of {header: value} rows."""
    summary = settings()["workbook"]["readme_sheet"]
    return {
        title: [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]
        for title, rows in sheets.items()
        if title != summary and rows
    }


def _template(text: object) -> str:
    """A text with its figures blanked: amounts and ages differ between any two children."""
    return re.sub(r"\d+(?:\.\d+)?", "#", str(text or ""))


def test_restricted_childrens_rows_read_like_everyone_elses(synced, books):
    """On every sheet another department reads, a restricted child's row carries the same texts
    (reason, next step) as the rows of other children, and the same columns."""
    restricted = _restricted_children(synced)
    keys = {
        _person_key(n, b, i)
        for n, b, i in restricted[["name", "birth_date", "id_number"]].itertuples(index=False)
    }
    columns = settings()["workbook"]["columns"]
    texts = [columns["detail"], columns["next_step"]]
    seen_restricted = 0
    odd = []
    for book, sheets in books.items():
        if _privileged(book) or book == REVIEW_BOOK:
            continue
        for title, rows in _alert_sheets(sheets).items():
            assert columns["categories"] not in (rows[0] if rows else {}), (book, title)
            flagged = [
                _person_key(r[columns["name"]], r[columns["birth_date"]], r[columns["id_number"]]) in keys
                for r in rows
            ]
            seen_restricted += sum(flagged)
            for header in texts:
                others = {_template(r[header]) for r, f in zip(rows, flagged, strict=True) if not f}
                mine = {_template(r[header]) for r, f in zip(rows, flagged, strict=True) if f}
                if mine and not others:
                    # only restricted children on this sheet: its text must be the sheet's one
                    # sentence, never a per-child one
                    if len(mine) > 1:
                        odd.append((book, title, header, "several texts"))
                elif mine - others:
                    odd.append(
                        (book, title, header, f"{len(mine - others)} texts only restricted rows carry")
                    )
    assert seen_restricted >= 5, "restricted children should appear on other departments' sheets"
    assert odd == []


# Withheld codes (exports.yaml, withhold_restricted) and the unrestricted categories that raise
# them: a restricted child on such a sheet outside health and civil affairs must hold one.
WITHHELD_GROUNDS = {"living_allowance_missing": {"orphan"}, "family_doctor_unsigned": set()}


def test_withheld_codes_carry_no_child_for_a_restricted_reason(synced, books):
    """living_allowance_missing is raised for orphan or hiv: a non-orphan on it would be hiv."""
    assert set(WITHHELD_GROUNDS) == set(settings()["access"]["withhold_restricted"])
    cats = _query(
        synced,
        """SELECT c.name, c.birth_date, c.id_number, list(DISTINCT k.category) AS categories
           FROM registry.children c JOIN (SELECT child_id, category FROM registry.child_categories UNION ALL
                 SELECT child_id, category FROM restricted.child_categories) k USING (child_id) GROUP BY ALL""",
    )
    held = {_person_key(n, b, i): set(k) for n, b, i, k in cats.itertuples(index=False)}
    columns = settings()["workbook"]["columns"]
    titles = _alert_titles(synced)
    found = []
    for book, sheets in books.items():
        if _privileged(book) or book == REVIEW_BOOK:
            continue
        for code, grounds in WITHHELD_GROUNDS.items():
            rows = _alert_sheets(sheets).get(titles[code], [])
            keys = [
                _person_key(r[columns["name"]], r[columns["birth_date"]], r[columns["id_number"]])
                for r in rows
            ]
            n = sum(bool(held.get(k, set()) & RESTRICTED) and not held.get(k, set()) & grounds for k in keys)
            if n:
                found.append((book, code, n))
    assert found == []


def _alert_titles(synced: Synced) -> dict[str, str]:
    from policy import load_rules
    from reports import alert_texts

    return {code: text.title for code, text in alert_texts(load_rules(AS_OF)).items()}


# ------------------------------------------------------------------ coverage report


def test_coverage_report_names_no_restricted_category_or_diagnosis(report, health_terms):
    words = _folded_hits(report) + DIAGNOSIS_CODE.findall(report)
    diagnoses = sum(t in report for t in health_terms)
    assert (words, diagnoses) == ([], 0)


def _allowed_text(synced: Synced) -> list[str]:
    """Place names and the report's own labels: a person's name that is part of one is no leak."""
    kids = pd.read_csv(synced.city / "truth" / "children.csv", dtype=str)
    places = pd.unique(kids[["township", "village"]].stack().dropna())
    labels = json.dumps(settings(), ensure_ascii=False)
    return [*places, labels]


def test_coverage_report_holds_no_name_id_number_or_phone(synced, report):
    kids = pd.read_csv(synced.city / "truth" / "children.csv", dtype=str)
    names = set(kids["name"].dropna())
    ids = set(kids["id_number"].dropna())
    phones = set()
    for cells in _raw_cells(synced):
        for key, value in cells.items():
            if value is None:
                continue
            if "姓名" in key or key == "实际监护人":
                names.add(str(value).strip())
            phones.update(PHONE.findall(str(value)))
    allowed = _allowed_text(synced)
    names = {n for n in names if len(n) >= 2 and not any(n in a for a in allowed)}
    assert len(names) > 1000 and len(ids) > 1000 and len(phones) > 100  # the checks below mean something
    text = re.sub(r"<[^>]+>", " ", report)
    leaks = {
        "names": sum(n in text for n in names),
        "id numbers": sum(i in report or i[:17] in report for i in ids),
        "phones": sum(p in report for p in phones),
        "long digit runs": len(LONG_DIGITS.findall(report)),
    }
    assert leaks == {"names": 0, "id numbers": 0, "phones": 0, "long digit runs": 0}
