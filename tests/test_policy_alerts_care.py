"""Alerts for registration, schooling and supervision (二（二）1, 二（二）3(3), 三, 二（一）)."""

from datetime import date

import pytest
from policy_builders import (
    AS_OF,
    ASSISTANCE,
    EDUCATION,
    HEALTH,
    LEDGER,
    POVERTY,
    Sync,
    alert_row,
    alerts_of,
    evidence_of,
    years_before,
)

from policy.ruleset import ALERT_CODES

AWAY_PARENTS = {"father_status": "away", "mother_status": "away"}


# orphan_unregistered — 二（二）1(1)


@pytest.mark.parametrize(("labels", "raised"), [("poor", True), (None, True), ("orphan", False)])
def test_orphan_unregistered_clause_2_2_1_1(labels, raised: bool) -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(LEDGER, "c1", ledger_categories=labels, father_status="dead", mother_status="dead")
    result = sync.run()
    assert ("orphan_unregistered" in alerts_of(result, "c1")) == raised
    if raised:
        assert (
            alert_row(result, "c1", "orphan_unregistered")["detail"]
            == "该儿童父母双方死亡或失踪，未登记为孤儿"
        )


# hardship_unregistered — 二（二）1(4)


def test_hardship_unregistered_when_inferred_only_clause_2_2_1_4() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(LEDGER, "c1", father_status="prison", mother_status="ill")
    row = alert_row(sync.run(), "c1", "hardship_unregistered")
    assert {e["value"] for e in evidence_of(row["evidence"])} == {"prison", "ill"}
    assert row["departments"] == "civil_affairs"


@pytest.mark.parametrize(
    ("system", "fields"),
    [
        (LEDGER, {"ledger_categories": "unsupported"}),
        (ASSISTANCE, {"assistance_type": "tekun", "household_id": "a:1"}),
    ],
)
def test_hardship_registered_raises_nothing_clause_2_2_1_4(system: str, fields: dict) -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(LEDGER, "c1", father_status="prison", mother_status="ill")
    sync.record(system, "c1", **fields)
    assert "hardship_unregistered" not in alerts_of(sync.run(), "c1")


def test_no_hardship_alert_for_an_orphan_clause_2_2_1_4() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(LEDGER, "c1", ledger_categories="orphan", father_status="dead", mother_status="prison")
    assert "hardship_unregistered" not in alerts_of(sync.run(), "c1")


# not_in_school / dropout — 二（二）3(3)


@pytest.mark.parametrize(
    ("born", "raised"),
    [
        (date(2019, 8, 31), True),  # 6 on 31 August 2025, the school year in force
        (date(2019, 9, 1), False),  # 5 on that day: next year's entrant
        (years_before(AS_OF, 16, days=1), True),  # 15, the day before the 16th birthday
        (years_before(AS_OF, 16), False),  # 16 today
    ],
)
def test_not_in_school_at_compulsory_school_age_clause_2_2_3_3(born: date, raised: bool) -> None:
    sync = Sync()
    sync.child("c1", None, birth_date=born)
    assert ("not_in_school" in alerts_of(sync.run(), "c1")) == raised


def test_the_school_year_turns_on_1_september_clause_2_2_3_3() -> None:
    """Born 1 September 2019: 5 on 31 August 2025, 6 on 31 August 2026."""
    for as_of, raised in ((date(2026, 8, 31), False), (date(2026, 9, 1), True)):
        sync = Sync(as_of)
        sync.child("c1", None, birth_date=date(2019, 9, 1))
        assert ("not_in_school" in alerts_of(sync.run(), "c1")) == raised


@pytest.mark.parametrize("stage", ["preschool", "primary", "senior", "special"])
def test_an_enrolled_row_at_any_stage_counts_clause_2_2_3_3(stage: str) -> None:
    sync = Sync()
    sync.child("c1", 9)
    sync.record(EDUCATION, "c1", school_stage=stage, grade=1, enrolment_status="enrolled")
    assert not alerts_of(sync.run(), "c1") & {"not_in_school", "dropout"}


@pytest.mark.parametrize(
    ("system", "fields"),
    [
        (EDUCATION, {"enrolment_status": "dropout"}),
        (EDUCATION, {"enrolment_status": "suspended"}),
        (POVERTY, {"school_status": "dropout", "household_id": "p:1", "relationship": "son"}),
    ],
)
def test_dropout_replaces_not_in_school_clause_2_2_3_3(system: str, fields: dict) -> None:
    sync = Sync()
    sync.child("c1", 12)
    sync.record(system, "c1", **fields)
    result = sync.run()
    assert alerts_of(result, "c1") & {"not_in_school", "dropout"} == {"dropout"}
    assert (
        alert_row(result, "c1", "dropout")["detail"] == "该儿童为义务教育适龄儿童（12周岁），登记为辍学或休学"
    )


def test_a_transferred_row_is_not_in_school_but_not_a_dropout_clause_2_2_3_3() -> None:
    sync = Sync()
    sync.child("c1", 12)
    sync.record(EDUCATION, "c1", enrolment_status="transferred")
    assert alerts_of(sync.run(), "c1") & {"not_in_school", "dropout"} == {"not_in_school"}


def test_an_enrolled_row_outweighs_an_old_dropout_row_clause_2_2_3_3() -> None:
    sync = Sync()
    sync.child("c1", 12)
    sync.record(EDUCATION, "c1", enrolment_status="dropout")
    sync.record(EDUCATION, "c1", school_stage="junior", grade=1, enrolment_status="enrolled")
    assert not alerts_of(sync.run(), "c1") & {"not_in_school", "dropout"}


# left_behind_unregistered — 三（二）


@pytest.mark.parametrize("labels", [None, "poor", "left_behind"])
def test_a_left_behind_child_in_the_ledger_is_not_unregistered_clause_3_2(labels) -> None:
    """policy.md: "inferred left_behind, not in the civil-affairs ledger" — a ledger row
    under any label (or none) is a registration; its care is judged on that row (三（一）)."""
    sync = Sync()
    sync.child("c1")
    sync.record(LEDGER, "c1", ledger_categories=labels, guardian_name="李秀英", **AWAY_PARENTS)
    assert "left_behind_unregistered" not in alerts_of(sync.run(), "c1")


def test_left_behind_unregistered_when_not_in_the_ledger_clause_3_2() -> None:
    sync = Sync()
    sync.child("c1")
    sync.child("c2")
    for child in ("c1", "c2"):
        sync.household(
            POVERTY,
            f"H{child}",
            head={"sex": "M", "work_status": "province"},
            spouse={"sex": "F", "work_status": "out_of_province"},
            son={"child_id": child},
        )
    sync.record(LEDGER, "c2", ledger_categories="poor", guardian_name="李秀英")
    result = sync.run()
    assert "left_behind_unregistered" in alerts_of(result, "c1")
    assert "left_behind_unregistered" not in alerts_of(result, "c2")


@pytest.mark.parametrize(("age", "raised"), [(15, True), (16, False)])
def test_left_behind_unregistered_under_16_from_a_roster_clause_3_2(age: int, raised: bool) -> None:
    sync = Sync()
    sync.child("c1", age)
    sync.household(
        POVERTY,
        "H1",
        head={"sex": "M", "work_status": "province"},
        spouse={"sex": "F", "work_status": "out_of_province"},
        son={"child_id": "c1"},
    )
    assert ("left_behind_unregistered" in alerts_of(sync.run(), "c1")) == raised


# left_behind_unsupervised — 三（一）


@pytest.mark.parametrize(
    ("ledger", "conditions"),
    [
        ({"lives_alone": True, "guardian_name": "李秀英", "guardian_relation": "grandmother"}, "单独居住"),
        ({"lives_alone": False, "guardian_name": None}, "无实际监护人"),
        (
            {"guardian_name": "张军", "guardian_relation": "father", "father_status": "prison"},
            "实际监护人为无法履行监护职责的父母",
        ),
        ({"lives_alone": True, "guardian_name": " "}, "单独居住、无实际监护人"),
    ],
)
def test_left_behind_unsupervised_on_ledger_rows_clause_3_1(ledger: dict, conditions: str) -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(LEDGER, "c1", **{"ledger_categories": "left_behind", "mother_status": "away", **ledger})
    row = alert_row(sync.run(), "c1", "left_behind_unsupervised")
    assert row["detail"] == f"该农村留守儿童{conditions}"
    assert row["departments"] == "county_government,public_security,civil_affairs"
    assert "李秀英" not in row["evidence"] and "张军" not in row["evidence"]


@pytest.mark.parametrize(
    "ledger",
    [
        {"lives_alone": False, "guardian_name": "李秀英", "guardian_relation": "grandmother"},
        {"guardian_name": "张军", "guardian_relation": "father", "father_status": "away"},
    ],
)
def test_a_supervised_left_behind_child_raises_nothing_clause_3_1(ledger: dict) -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(LEDGER, "c1", ledger_categories="left_behind", **ledger)
    assert "left_behind_unsupervised" not in alerts_of(sync.run(), "c1")


def test_a_left_behind_child_missing_from_the_ledger_is_unregistered_not_unsupervised_clause_3_1() -> None:
    sync = Sync()
    sync.child("c1")
    sync.household(
        POVERTY,
        "H1",
        head={"sex": "M", "work_status": "province"},
        spouse={"sex": "F", "work_status": "province"},
        daughter={"child_id": "c1", "lives_alone": True},
    )
    found = alerts_of(sync.run(), "c1")
    assert "left_behind_unregistered" in found and "left_behind_unsupervised" not in found


def test_no_unsupervised_alert_at_16_clause_3_1() -> None:
    sync = Sync()
    sync.child("c1", 16)
    sync.record(LEDGER, "c1", ledger_categories="left_behind", lives_alone=True, guardian_name="李秀英")
    assert "left_behind_unsupervised" not in alerts_of(sync.run(), "c1")


# aged_out — 二（一）, 三


@pytest.mark.parametrize(
    ("label", "shift_days", "raised"),
    [
        ("orphan", 0, True),  # 18th birthday today
        ("orphan", 1, False),  # the day before
        ("left_behind", 0, True),  # 16th birthday today
        ("left_behind", 1, False),
    ],
)
def test_aged_out_at_the_categorys_age_limit_clause_2_1_and_3(
    label: str, shift_days: int, raised: bool
) -> None:
    limit = {"orphan": 18, "left_behind": 16}[label]
    sync = Sync()
    sync.child("c1", None, birth_date=years_before(AS_OF, limit, days=shift_days))
    sync.record(LEDGER, "c1", ledger_categories=label, living_allowance=1000.0)
    result = sync.run()
    assert ("aged_out" in alerts_of(result, "c1")) == raised
    if raised:
        name = {"orphan": "孤儿", "left_behind": "农村留守儿童"}[label]
        assert alert_row(result, "c1", "aged_out")["detail"] == f"该儿童已满{limit}周岁，仍登记为{name}"


def test_aged_out_for_a_registered_hiv_child_alone_is_restricted_clause_2_1() -> None:
    sync = Sync()
    sync.child("c1", 18)
    sync.record(LEDGER, "c1", ledger_categories="hiv")
    assert alert_row(sync.run(), "c1", "aged_out")["restricted"]


def test_aged_out_names_only_unrestricted_labels_when_there_are_some_clause_2_1() -> None:
    sync = Sync()
    sync.child("c1", 18)
    sync.record(LEDGER, "c1", ledger_categories="hiv,poor")
    sync.record(HEALTH, "c1", diagnosis_code="B20")
    row = alert_row(sync.run(), "c1", "aged_out")
    assert not row["restricted"]
    assert row["detail"] == "该儿童已满18周岁，仍登记为贫困家庭儿童"
    assert {e["value"] for e in evidence_of(row["evidence"])} == {"poor"}


def test_every_alert_code_of_policy_md_is_spelled_exactly() -> None:
    """The alert table of policy.md, in its order."""
    assert ALERT_CODES == (
        "living_allowance_missing",
        "disability_allowance_missing",
        "disability_allowance_underpaid",
        "hardship_unregistered",
        "orphan_unregistered",
        "medical_insurance_missing",
        "insurance_subsidy_missing",
        "rehabilitation_missing",
        "family_doctor_unsigned",
        "not_in_school",
        "dropout",
        "boarding_subsidy_missing",
        "boarding_subsidy_underpaid",
        "disabled_student_subsidy_missing",
        "left_behind_unregistered",
        "left_behind_unsupervised",
        "aged_out",
    )
