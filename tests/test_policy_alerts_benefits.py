"""Alerts for benefits not paid or paid short (二（二）1–3): each raised, and just outside."""

import pytest
from policy_builders import (
    AS_OF,
    ASSISTANCE,
    DISABILITY,
    EDUCATION,
    HEALTH,
    INSURANCE,
    LEDGER,
    POVERTY,
    Sync,
    alert_row,
    alerts_of,
    entitlement,
    evidence_of,
)

ORPHAN = {"ledger_categories": "orphan"}


def _orphan(sync: Sync, child_id: str = "c1", **ledger: object) -> str:
    sync.child(child_id)
    sync.record(LEDGER, child_id, **{**ORPHAN, **ledger})
    return child_id


# living_allowance_missing — 二（二）1(1)(2)


@pytest.mark.parametrize(("paid", "raised"), [(0.0, True), (None, True), (1.0, False), (1000.0, False)])
def test_living_allowance_missing_for_an_orphan_clause_2_2_1_1(paid, raised: bool) -> None:
    sync = Sync()
    _orphan(sync, living_allowance=paid)
    result = sync.run()
    assert ("living_allowance_missing" in alerts_of(result, "c1")) == raised


def test_living_allowance_missing_names_the_category_and_location_clause_2_2_1_1() -> None:
    sync = Sync()
    sync.child("c1", county_code="510421", township="丙谷", village="新山村")
    sync.record(LEDGER, "c1", ledger_categories="orphan", living_allowance=0.0)
    row = alert_row(sync.run(), "c1", "living_allowance_missing")
    assert row["detail"] == "该儿童为孤儿，未发放基本生活费"
    assert (row["county_code"], row["township"], row["village"]) == ("510421", "丙谷", "新山村")
    assert row["departments"] == "civil_affairs,county_government"
    assert row["alert_id"] == "c1:living_allowance_missing"
    assert not row["restricted"]
    assert {"field": "living_allowance", "value": 0} in [
        {k: e[k] for k in ("field", "value")} for e in evidence_of(row["evidence"])
    ]


def test_living_allowance_missing_for_an_hiv_child_not_on_the_ledger_is_restricted_clause_2_2_1_2() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(HEALTH, "c1", diagnosis_code="B20")
    row = alert_row(sync.run(), "c1", "living_allowance_missing")
    assert row["restricted"]
    assert row["detail"] == "该儿童为艾滋病病毒感染儿童，未发放基本生活费"


def test_an_orphan_also_hiv_infected_is_named_an_orphan_and_not_restricted_clause_2_2_1_2() -> None:
    sync = Sync()
    _orphan(sync, living_allowance=0.0)
    sync.record(HEALTH, "c1", diagnosis_code="B20")
    row = alert_row(sync.run(), "c1", "living_allowance_missing")
    assert not row["restricted"]
    assert row["detail"] == "该儿童为孤儿，未发放基本生活费"
    assert HEALTH not in {e["system"] for e in evidence_of(row["evidence"])}


def test_living_allowance_not_raised_for_a_child_in_neither_category_clause_2_2_1_1() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(LEDGER, "c1", ledger_categories="poor", living_allowance=0.0)
    assert "living_allowance_missing" not in alerts_of(sync.run(), "c1")


# disability_allowance_missing / _underpaid — 二（二）1(3)


@pytest.mark.parametrize(
    ("assistance", "paid", "alert"),
    [
        ("rural_dibao", 199.0, "disability_allowance_underpaid"),  # one yuan short
        ("urban_dibao", 200.0, None),
        ("tekun", 150.0, "disability_allowance_underpaid"),
        ("low_income", 99.0, "disability_allowance_underpaid"),
        ("low_income", 100.0, None),
        (None, 49.0, "disability_allowance_underpaid"),  # any other family: 50
        (None, 50.0, None),
        (None, 0.0, "disability_allowance_missing"),
        ("rural_dibao", None, "disability_allowance_missing"),
    ],
)
def test_disability_allowance_by_household_type_clause_2_2_1_3(assistance, paid, alert) -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(DISABILITY, "c1", disability_category=5, disability_grade=1, disability_allowance=paid)
    if assistance:
        sync.record(ASSISTANCE, "c1", assistance_type=assistance, relationship="son", household_id="a:1")
    found = alerts_of(sync.run(), "c1") & {"disability_allowance_missing", "disability_allowance_underpaid"}
    assert found == ({alert} if alert else set())


def test_a_poverty_household_child_is_due_50_clause_2_2_1_3() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(DISABILITY, "c1", disability_category=4, disability_grade=2, disability_allowance=50.0)
    sync.record(
        POVERTY, "c1", relationship="son", household_id="p:1", poverty_household_type="registered_poor"
    )
    result = sync.run()
    assert entitlement(result, "c1", "disability_allowance")[["expected_amount", "status"]].tolist() == [
        50.0,
        "received",
    ]
    assert not alerts_of(result, "c1") & {"disability_allowance_missing", "disability_allowance_underpaid"}


def test_disability_allowance_underpaid_sentence_clause_2_2_1_3() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(DISABILITY, "c1", disability_category=5, disability_grade=1, disability_allowance=100.0)
    sync.record(ASSISTANCE, "c1", assistance_type="urban_dibao", relationship="son", household_id="a:1")
    row = alert_row(sync.run(), "c1", "disability_allowance_underpaid")
    assert row["detail"] == "该儿童为重残儿童，困境儿童帮扶金每月100元，低于应发的200元"


def test_no_disability_allowance_due_below_grade_two_clause_2_2_1_3() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(DISABILITY, "c1", disability_category=5, disability_grade=3, disability_allowance=0.0)
    assert not alerts_of(sync.run(), "c1") & {
        "disability_allowance_missing",
        "disability_allowance_underpaid",
    }


# medical_insurance_missing, insurance_subsidy_missing — 二（二）2


@pytest.mark.parametrize(
    ("year", "status", "raised"),
    [
        (AS_OF.year, "paid", False),
        (AS_OF.year - 1, "paid", True),
        (AS_OF.year, "unpaid", True),
        (None, None, True),
    ],
)
def test_medical_insurance_missing_for_the_as_of_year_clause_2_2_2(year, status, raised: bool) -> None:
    sync = Sync()
    _orphan(sync, living_allowance=1000.0)
    if year:
        sync.record(
            INSURANCE, "c1", insurance_year=year, insurance_status=status, insurance_subsidy="full_orphan"
        )
    assert ("medical_insurance_missing" in alerts_of(sync.run(), "c1")) == raised


def test_a_child_distressed_only_by_hiv_is_shown_as_distressed_without_health_evidence_clause_2_2_2() -> None:
    """registry.md, Access: other departments see such a child only as 困境儿童."""
    sync = Sync()
    sync.child("c1")
    sync.record(HEALTH, "c1", diagnosis_code="Z21", family_doctor_signed=True)
    sync.record(INSURANCE, "c1", insurance_year=AS_OF.year - 1, insurance_status="paid")
    row = alert_row(sync.run(), "c1", "medical_insurance_missing")
    assert not row["restricted"]
    assert row["detail"] == "该困境儿童无本年度城乡居民基本医疗保险参保缴费记录"
    assert evidence_of(row["evidence"]) == []


def test_medical_insurance_not_raised_for_a_child_not_distressed_clause_2_2_2() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(LEDGER, "c1", ledger_categories="left_behind")
    assert "medical_insurance_missing" not in alerts_of(sync.run(), "c1")


@pytest.mark.parametrize(
    ("subsidy", "raised"),
    [("partial", True), ("none", True), ("full_orphan", False), ("full_dibao", False)],
)
def test_insurance_subsidy_missing_an_orphan_needs_full_subsidy_clause_2_2_2_1(
    subsidy: str, raised: bool
) -> None:
    sync = Sync()
    _orphan(sync, living_allowance=1000.0)
    sync.record(
        INSURANCE, "c1", insurance_year=AS_OF.year, insurance_status="paid", insurance_subsidy=subsidy
    )
    assert ("insurance_subsidy_missing" in alerts_of(sync.run(), "c1")) == raised


@pytest.mark.parametrize(("subsidy", "raised"), [("none", True), ("partial", False), ("full_poverty", False)])
def test_insurance_subsidy_a_severely_disabled_child_needs_any_subsidy_clause_2_2_2_2(
    subsidy: str, raised: bool
) -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(DISABILITY, "c1", disability_category=4, disability_grade=1, disability_allowance=50.0)
    sync.record(
        INSURANCE, "c1", insurance_year=AS_OF.year, insurance_status="paid", insurance_subsidy=subsidy
    )
    assert ("insurance_subsidy_missing" in alerts_of(sync.run(), "c1")) == raised


def test_insurance_subsidy_for_serious_illness_alone_is_restricted_clause_2_2_2_2() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(HEALTH, "c1", diagnosis_code="C91.0", reaches_deductible=True, family_doctor_signed=True)
    sync.record(INSURANCE, "c1", insurance_year=AS_OF.year, insurance_status="paid", insurance_subsidy="none")
    row = alert_row(sync.run(), "c1", "insurance_subsidy_missing")
    assert row["restricted"] and row["detail"] == "该儿童为重病儿童，本年度参保未按规定获得缴费资助"


def test_an_uninsured_child_gets_medical_insurance_missing_not_subsidy_missing_clause_2_2_2() -> None:
    sync = Sync()
    _orphan(sync, living_allowance=1000.0)
    assert alerts_of(sync.run(), "c1") & {"medical_insurance_missing", "insurance_subsidy_missing"} == {
        "medical_insurance_missing"
    }


# rehabilitation_missing — 二（二）2(3)


@pytest.mark.parametrize(
    ("age", "category", "autism", "received", "raised"),
    [
        (6, 5, False, False, True),  # intellectual, aged 6
        (7, 5, False, False, False),  # aged 7
        (0, 2, False, None, True),  # hearing, blank status ≠ 已享受
        (4, 4, False, True, False),  # 已享受
        (4, 6, False, False, False),  # psychiatric without autism
        (4, 6, True, False, True),  # autism
        (3, 7, False, False, True),  # multiple
    ],
)
def test_rehabilitation_missing_for_disabled_children_0_to_6_clause_2_2_2_3(
    age: int, category: int, autism: bool, received, raised: bool
) -> None:
    sync = Sync()
    sync.child("c1", age)
    sync.record(
        DISABILITY,
        "c1",
        disability_category=category,
        disability_grade=3,
        autism=autism,
        rehab_received=received,
    )
    assert ("rehabilitation_missing" in alerts_of(sync.run(), "c1")) == raised


# family_doctor_unsigned — 二（二）2


@pytest.mark.parametrize(
    ("signed", "distressed", "raised"), [(False, True, True), (True, True, False), (False, False, False)]
)
def test_family_doctor_unsigned_for_a_distressed_child_clause_2_2_2(
    signed: bool, distressed: bool, raised: bool
) -> None:
    sync = Sync()
    sync.child("c1")
    if distressed:
        sync.record(LEDGER, "c1", **ORPHAN, living_allowance=1000.0)
    sync.record(HEALTH, "c1", diagnosis_code="J45", family_doctor_signed=signed)
    result = sync.run()
    assert ("family_doctor_unsigned" in alerts_of(result, "c1")) == raised
    if raised:
        row = alert_row(result, "c1", "family_doctor_unsigned")
        assert row["restricted"] and row["departments"] == "health"


# boarding_subsidy_missing / _underpaid — 二（二）3(1)


@pytest.mark.parametrize(
    ("stage", "grade", "paid", "alert"),
    [
        ("primary", 3, 999.0, "boarding_subsidy_underpaid"),
        ("primary", 3, 1000.0, None),
        ("junior", 8, 1249.0, "boarding_subsidy_underpaid"),
        ("junior", 8, 1250.0, None),
        ("special", 6, 1000.0, None),  # 特殊教育 grades 1–6: 1000
        ("special", 7, 1000.0, "boarding_subsidy_underpaid"),  # grades 7–9: 1250
        ("special", 10, 0.0, None),  # beyond compulsory education
        ("senior", 1, 0.0, None),
        ("primary", 1, None, "boarding_subsidy_missing"),
        ("junior", 1, 0.0, "boarding_subsidy_missing"),
    ],
)
def test_boarding_subsidy_by_stage_clause_2_2_3_1(stage: str, grade: int, paid, alert) -> None:
    sync = Sync()
    _orphan(sync, living_allowance=1000.0)
    sync.record(
        EDUCATION,
        "c1",
        school_stage=stage,
        grade=grade,
        boarding="boarding",
        enrolment_status="enrolled",
        boarding_subsidy=paid,
    )
    found = alerts_of(sync.run(), "c1") & {"boarding_subsidy_missing", "boarding_subsidy_underpaid"}
    assert found == ({alert} if alert else set())


@pytest.mark.parametrize(
    ("boarding", "status", "distressed"),
    [("day", "enrolled", True), ("boarding", "suspended", True), ("boarding", "enrolled", False)],
)
def test_boarding_subsidy_only_for_distressed_boarders_in_school_clause_2_2_3_1(
    boarding: str, status: str, distressed: bool
) -> None:
    sync = Sync()
    sync.child("c1")
    if distressed:
        sync.record(LEDGER, "c1", **ORPHAN, living_allowance=1000.0)
    sync.record(
        EDUCATION,
        "c1",
        school_stage="primary",
        grade=2,
        boarding=boarding,
        enrolment_status=status,
        boarding_subsidy=0.0,
    )
    assert not alerts_of(sync.run(), "c1") & {"boarding_subsidy_missing", "boarding_subsidy_underpaid"}


# disabled_student_subsidy_missing — 二（二）3(2)


@pytest.mark.parametrize(
    ("stage", "paid", "raised"),
    [("primary", 999.0, True), ("primary", 1000.0, False), ("junior", None, True), ("senior", 0.0, False)],
)
def test_disabled_student_subsidy_for_compulsory_pupils_clause_2_2_3_2(
    stage: str, paid, raised: bool
) -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(DISABILITY, "c1", disability_category=2, disability_grade=4, disabled_student_subsidy=paid)
    sync.record(EDUCATION, "c1", school_stage=stage, grade=2, boarding="day", enrolment_status="enrolled")
    assert ("disabled_student_subsidy_missing" in alerts_of(sync.run(), "c1")) == raised
