"""GX suites on staged extracts and on registry.children: what blocks, what warns, what Data Docs show."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from stdnum.cn import ric

from expectations import (
    blocking_message,
    expectation_names,
    suite_names,
    validate_registry,
    validate_staged,
)
from warehouse.tables import CHILDREN, PERSON

AS_OF = date(2026, 6, 1)
SOURCES = [
    "civil_affairs_children",
    "civil_affairs_assistance",
    "poverty_households",
    "disability_certificates",
    "education_students",
    "health_insurance",
    "health_conditions",
]
# The column each source alone fills, with a valid code: what a wrong file lacks.
ESSENTIAL = {
    "civil_affairs_children": {"ledger_categories": "orphan,left_behind"},
    "civil_affairs_assistance": {"assistance_type": "rural_dibao"},
    "poverty_households": {"poverty_household_type": "lifted"},
    "disability_certificates": {"disability_grade": 2, "disability_category": 4},
    "education_students": {"school_stage": "primary"},
    "health_insurance": {"insurance_status": "paid"},
    "health_conditions": {"diagnosis_code": "B20.000"},
}
SURNAMES, GIVEN = "欧阳司马诸葛", "瑾瑜琛璐婕翊"


def _name(i: int) -> str:
    return SURNAMES[i % 6] + GIVEN[i // 6 % 6] + GIVEN[i // 36 % 6]


def _id_number(i: int, born: date) -> str:
    body = f"510411{born:%Y%m%d}{i % 1000:03d}"
    return body + ric.calc_check_digit(body)


def staged_frame(source_system: str, n: int = 200) -> pd.DataFrame:
    """A clean extract as staging would write it: every PERSON column, children aged 3–12."""
    born = [date(2014 + i % 9, 1 + i % 12, 1 + i % 28) for i in range(n)]
    frame = pd.DataFrame({c.name: pd.Series([None] * n, dtype=object) for c in PERSON})
    frame["source_system"] = source_system
    frame["record_id"] = [f"{source_system}:x.xlsx:{i + 3}" for i in range(n)]
    frame["role"] = "child"
    frame["name"] = [_name(i) for i in range(n)]
    frame["birth_date"] = born
    frame["id_number"] = [_id_number(i, b) for i, b in enumerate(born)]
    frame["id_status"] = "valid"
    frame["sex"] = ["M", "F"] * (n // 2)
    frame["county_code"] = ["510402", "510411", "510421", "510422"] * (n // 4)
    frame["guardian_phone"] = [f"139{i:08d}" for i in range(n)]
    for column, value in ESSENTIAL[source_system].items():
        frame[column] = value
    return frame


def children_frame(n: int = 200) -> pd.DataFrame:
    person = staged_frame("civil_affairs_children", n)
    frame = person[[c for c in CHILDREN.column_names if c in person.columns]].copy()
    frame["child_id"] = [f"C{i:07d}" for i in range(n)]
    frame["n_records"] = 2
    frame["sources"] = "civil_affairs_children,education_students"
    frame["first_seen_sync"], frame["last_seen_sync"] = 1, 3
    return frame[CHILDREN.column_names]


def failed(result) -> set[str]:
    return {o.expectation for o in result.failed}


def test_every_extract_and_the_registry_has_a_modest_suite_with_both_severities():
    assert suite_names() == sorted([*SOURCES, "registry"])
    for suite in suite_names():
        names = expectation_names(suite)
        assert 5 <= len(names) <= 10 and len(set(names)) == len(names)
    for source in SOURCES:
        assert {"id_validity_floor", "name_present", "birth_date_plausible", "county_in_city"} <= set(
            expectation_names(source)
        )


@pytest.mark.parametrize("source", SOURCES)
def test_a_clean_extract_passes_every_expectation(source):
    result = validate_staged(source, staged_frame(source), AS_OF)
    assert [o.expectation for o in result.outcomes] == expectation_names(source)
    assert failed(result) == set() and not result.blocking
    assert result.rows == 200


def test_a_wrong_file_blocks_and_the_message_names_source_and_checks():
    # An insurance extract dropped into the disability folder: no grades, no number staged.
    frame = staged_frame("health_insurance")
    frame["id_status"] = "missing"
    frame["id_number"] = None
    result = validate_staged("disability_certificates", frame, AS_OF)
    assert result.blocking
    blocking = {o.expectation for o in result.failed if o.severity == "extract"}
    assert blocking == {"id_validity_floor", "disability_grade_present"}
    message = blocking_message(result)
    assert message.startswith("disability_certificates: blocked")
    assert "id_validity_floor" in message and "disability_grade_present" in message
    assert "0.0% present" in message
    assert not any(name in message for name in frame["name"])


def test_row_problems_fail_only_non_blocking_expectations():
    frame = staged_frame("education_students")
    frame.loc[:11, "birth_date"] = date(1990, 5, 5)  # 6%: education tolerates 5%
    frame.loc[12:16, "name"] = None  # 2.5%
    frame.loc[17:56, "id_status"] = "bad_check_digit"  # 20%: a warning, far above the 30% floor
    result = validate_staged("education_students", frame, AS_OF)
    assert failed(result) == {"birth_date_plausible", "name_present", "id_validity_rate"}
    assert not result.blocking
    assert blocking_message(result) == "education_students: no blocking expectation failed"
    observed = {o.expectation: o.observed for o in result.outcomes}
    assert observed["name_present"].startswith("5 of 200 rows NULL")
    assert observed["birth_date_plausible"].startswith("12 of 200 non-NULL values fail")


def test_birth_date_bounds_follow_the_sync_as_of_date():
    frame = staged_frame("health_insurance")
    frame["birth_date"] = date(2009, 1, 1)
    assert "birth_date_plausible" not in failed(validate_staged("health_insurance", frame, AS_OF))
    later = validate_staged("health_insurance", frame, date(2029, 6, 1))  # now over 19: not a child
    assert "birth_date_plausible" in failed(later)
    earlier = validate_staged("health_insurance", frame, date(2008, 6, 1))  # not born yet
    assert "birth_date_plausible" in failed(earlier)


def test_rosters_accept_adults_but_not_the_impossible():
    frame = staged_frame("poverty_households")
    frame.loc[:99, "birth_date"] = date(1960, 3, 3)
    assert failed(validate_staged("poverty_households", frame, AS_OF)) == set()
    frame.loc[:9, "birth_date"] = date(1890, 1, 1)
    assert failed(validate_staged("poverty_households", frame, AS_OF)) == {"birth_date_plausible"}


def test_registry_suite():
    children = children_frame()
    assert failed(validate_registry(children, AS_OF)) == set()
    children.loc[5, "child_id"] = children.loc[4, "child_id"]
    children.loc[7, "id_number"] = children.loc[6, "id_number"]
    result = validate_registry(children, AS_OF)
    assert failed(result) == {"child_id_unique", "id_number_unique"}
    assert result.blocking and "child_id_unique" in blocking_message(result)


def test_an_empty_extract_says_so_and_does_not_block():
    result = validate_staged("health_conditions", staged_frame("health_conditions").iloc[0:0], AS_OF)
    assert result.missing and not result.blocking
    assert [o.expectation for o in result.outcomes] == expectation_names("health_conditions")
    assert all(o.success and o.observed.startswith("no rows") for o in result.outcomes)


def test_a_frame_without_a_suite_column_is_refused_by_name():
    frame = staged_frame("health_insurance").drop(columns=["insurance_status"])
    with pytest.raises(ValueError, match="insurance_status"):
        validate_staged("health_insurance", frame, AS_OF)


def test_data_docs_are_written_without_names_ids_or_phones(tmp_path: Path):
    staged = staged_frame("civil_affairs_children")
    staged.loc[:9, "name"] = None
    staged.loc[10:19, "birth_date"] = date(1950, 1, 1)
    staged_result = validate_staged("civil_affairs_children", staged, AS_OF, docs_dir=tmp_path)
    children = children_frame()
    children.loc[1:20, "id_number"] = children.loc[0, "id_number"]  # duplicates GX would list
    children.loc[21:40, "name"] = children.loc[0, "name"]
    registry_result = validate_registry(children, AS_OF, docs_dir=tmp_path)
    assert {"name_present", "birth_date_plausible"} <= failed(staged_result)
    assert "id_number_unique" in failed(registry_result)

    index = tmp_path / "index.html"
    assert registry_result.docs_index == index.as_uri()
    pages = [p.name for p in tmp_path.glob("validations/**/*.html")]
    assert any("civil_affairs_children" in p for p in pages) and any("registry" in p for p in pages)
    assert "civil_affairs_children" in index.read_text(encoding="utf-8")

    personal = set(staged["name"].dropna()) | set(staged["id_number"]) | set(staged["guardian_phone"])
    personal |= set(children["id_number"].dropna()) | {"1950-01-01"}
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json"}:
            text = path.read_text(encoding="utf-8")
            assert not [v for v in personal if v in text], path.name
