"""Categories of policy.md (二（一）, 三): a case that holds and one just outside, per rule."""

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
    categories_of,
    evidence_of,
    years_before,
)

ORPHAN_PARENTS = {"father_status": "dead", "mother_status": "missing"}
AWAY_PARENTS = {"father_status": "away", "mother_status": "away"}


def _one_child(age: int | None = 10, child: dict | None = None, **ledger: object) -> set[tuple[str, str]]:
    """Categories of a child with one ledger row."""
    sync = Sync()
    sync.child("c1", age, **(child or {}))
    sync.record(LEDGER, "c1", **ledger)
    return categories_of(sync.run(), "c1")


# orphan — 二（一）1


def test_orphan_inferred_from_both_parents_dead_or_missing_clause_2_1_1() -> None:
    assert ("orphan", "inferred") in _one_child(**ORPHAN_PARENTS)


def test_orphan_needs_both_parents_absent_clause_2_1_1() -> None:
    assert not {c for c, _ in _one_child(father_status="dead", mother_status="normal")} & {"orphan"}


def test_orphan_registered_by_civil_affairs_clause_2_1_1() -> None:
    assert _one_child(ledger_categories="orphan") >= {("orphan", "registered"), ("distressed", "registered")}


def test_orphan_on_both_bases_is_two_rows_clause_2_1_1() -> None:
    found = _one_child(ledger_categories="orphan", **ORPHAN_PARENTS)
    assert {("orphan", "registered"), ("orphan", "inferred")} <= found


@pytest.mark.parametrize(("shift_days", "holds"), [(1, True), (0, False)])
def test_orphan_ends_on_the_18th_birthday_clause_2_1_1(shift_days: int, holds: bool) -> None:
    """The day before the 18th birthday still a child; on it, no longer."""
    born = years_before(AS_OF, 18, days=shift_days)
    found = _one_child(None, {"birth_date": born}, ledger_categories="orphan", **ORPHAN_PARENTS)
    assert (("orphan", "registered") in found, ("orphan", "inferred") in found) == (holds, holds)


def test_orphan_evidence_cites_coded_statuses_not_names_clause_2_1_1() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(LEDGER, "c1", father_name="王大山", father_id="510402198001010016", **ORPHAN_PARENTS)
    rows = sync.run().categories
    text = rows.loc[rows["category"].eq("orphan"), "evidence"].iloc[0]
    assert "王大山" not in text and "510402198001010016" not in text
    assert evidence_of(text) == [
        {
            "system": LEDGER,
            "file": f"{LEDGER}_202606.xlsx",
            "row": 3,
            "field": "father_status",
            "value": "dead",
        },
        {
            "system": LEDGER,
            "file": f"{LEDGER}_202606.xlsx",
            "row": 3,
            "field": "mother_status",
            "value": "missing",
        },
    ]
    assert rows.loc[rows["category"].eq("orphan"), "rule"].iloc[0].startswith("orphan.inferred 二（一）1")


# hiv — 二（一）2


@pytest.mark.parametrize(
    ("code", "holds"), [("B20", True), ("B24.0", True), ("Z21", True), ("B19", False), ("Z20", False)]
)
def test_hiv_from_a_diagnosis_b20_to_b24_or_z21_clause_2_1_2(code: str, holds: bool) -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(HEALTH, "c1", diagnosis_code=code)
    assert (("hiv", "inferred") in categories_of(sync.run(), "c1")) == holds


def test_hiv_registered_by_civil_affairs_clause_2_1_2() -> None:
    assert ("hiv", "registered") in _one_child(ledger_categories="hiv")


# serious_illness — 二（一）3


@pytest.mark.parametrize(
    ("reaches", "out_of_pocket", "holds"),
    [
        (True, None, True),
        (False, 50000.0, False),  # an explicit 否 is not overridden by the cost
        (None, 20000.0, True),  # blank: the rules file's deductible, reached
        (None, 19999.0, False),  # one yuan short
    ],
)
def test_serious_illness_from_the_deductible_clause_2_1_3(reaches, out_of_pocket, holds: bool) -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(HEALTH, "c1", diagnosis_code="C91.0", reaches_deductible=reaches, out_of_pocket=out_of_pocket)
    assert (("serious_illness", "inferred") in categories_of(sync.run(), "c1")) == holds


def test_the_ledgers_ill_disabled_label_is_not_evidence_clause_2_1_3() -> None:
    assert _one_child(ledger_categories="ill_disabled,other,poor") == set()


# severe_disability, disabled — 二（一）3, 二（二）2(3)


@pytest.mark.parametrize(("grade", "severe"), [(1, True), (2, True), (3, False), (4, False)])
def test_severe_disability_is_grade_one_or_two_and_any_grade_is_disabled_clause_2_1_3(
    grade: int, severe: bool
) -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(DISABILITY, "c1", disability_category=4, disability_grade=grade)
    found = categories_of(sync.run(), "c1")
    assert (("severe_disability", "inferred") in found) == severe
    assert (("distressed", "inferred") in found) == severe
    assert ("disabled", "inferred") in found


# extreme_hardship — 二（一）4


@pytest.mark.parametrize(
    ("father", "mother", "holds"),
    [
        ("prison", "rehab", True),  # both unable
        ("dead", "ill", True),  # one absent, the other unable
        ("revoked", "missing", True),
        ("incapable", "disabled", True),
        ("dead", "away", False),  # the other only works away
        ("prison", "normal", False),
    ],
)
def test_extreme_hardship_inferred_from_parents_unable_clause_2_1_4(
    father: str, mother: str, holds: bool
) -> None:
    found = _one_child(father_status=father, mother_status=mother)
    assert (("extreme_hardship", "inferred") in found) == holds


def test_one_parent_and_the_other_are_two_parents_clause_2_1_4_and_3() -> None:
    """A father recorded dead on one ledger row and in prison on another, beside a well
    mother, is no pair; a father ill and working away beside a mother in prison is both
    pairs (both unable; one away, the other unable). The truth engine reads it so too."""
    father = {"father_id": "510411198001010011"}
    sync = Sync()
    sync.child("c1")
    sync.record(LEDGER, "c1", father_status="dead", mother_status="normal", **father)
    sync.record(LEDGER, "c1", father_status="prison", mother_status="normal", **father)
    sync.child("c2")
    sync.record(LEDGER, "c2", father_id="510411198001010038", father_status="ill", mother_status="prison")
    sync.household(
        POVERTY,
        "H2",
        head={"sex": "M", "id_number": "510411198001010038", "work_status": "out_of_province"},
        son={"child_id": "c2"},
    )
    result = sync.run()
    assert not {c for c, _ in categories_of(result, "c1")} & {"extreme_hardship", "orphan", "left_behind"}
    assert {("extreme_hardship", "inferred"), ("left_behind", "inferred")} <= categories_of(result, "c2")


def test_extreme_hardship_registered_as_unsupported_clause_2_1_4() -> None:
    assert ("extreme_hardship", "registered") in _one_child(ledger_categories="unsupported")


def test_extreme_hardship_registered_by_a_tekun_household_clause_2_1_4() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(ASSISTANCE, "c1", assistance_type="tekun", relationship="son", household_id="a:1")
    assert ("extreme_hardship", "registered") in categories_of(sync.run(), "c1")


def test_a_full_tekun_insurance_subsidy_is_not_a_registration_clause_2_1_4() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(
        INSURANCE, "c1", insurance_year=AS_OF.year, insurance_status="paid", insurance_subsidy="full_tekun"
    )
    assert categories_of(sync.run(), "c1") == set()


def test_extreme_hardship_never_for_an_orphan_on_any_path_clause_2_1_4() -> None:
    found = _one_child(ledger_categories="orphan,unsupported", father_status="dead", mother_status="dead")
    assert not {c for c, _ in found} & {"extreme_hardship"}


# poor_family — 二（一）5


@pytest.mark.parametrize(
    ("system", "fields", "holds"),
    [
        (POVERTY, {"poverty_household_type": "registered_poor"}, True),
        (POVERTY, {"poverty_household_type": "monitored"}, True),
        (ASSISTANCE, {"assistance_type": "urban_dibao"}, True),
        (ASSISTANCE, {"assistance_type": "rural_dibao"}, True),
        (ASSISTANCE, {"assistance_type": "low_income"}, False),
        (LEDGER, {"ledger_categories": "poor"}, False),
        (EDUCATION, {"school_flags": "poor"}, False),
    ],
)
def test_poor_family_from_roster_membership_clause_2_1_5(system: str, fields: dict, holds: bool) -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(system, "c1", relationship="daughter", household_id=f"{system}:1", **fields)
    assert (("poor_family", "registered") in categories_of(sync.run(), "c1")) == holds


@pytest.mark.parametrize(("age", "holds"), [(17, True), (18, False)])
def test_poor_family_under_18_clause_2_1_5(age: int, holds: bool) -> None:
    sync = Sync()
    sync.child("c1", age)
    sync.record(POVERTY, "c1", relationship="son", household_id="p:1", poverty_household_type="lifted")
    assert (("poor_family", "registered") in categories_of(sync.run(), "c1")) == holds


# left_behind — 三


@pytest.mark.parametrize(
    ("father", "mother", "holds"),
    [
        ("away", "away", True),
        ("away", "prison", True),  # one away, the other unable
        ("incapable", "away", True),
        ("away", "dead", False),  # the other absent is not in the definition
        ("away", "normal", False),
    ],
)
def test_left_behind_inferred_from_parents_away_clause_3(father: str, mother: str, holds: bool) -> None:
    found = _one_child(father_status=father, mother_status=mother)
    assert (("left_behind", "inferred") in found) == holds


@pytest.mark.parametrize(("shift_days", "holds"), [(1, True), (0, False)])
def test_left_behind_ends_on_the_16th_birthday_on_every_path_clause_3(shift_days: int, holds: bool) -> None:
    born = years_before(AS_OF, 16, days=shift_days)
    found = _one_child(None, {"birth_date": born}, ledger_categories="left_behind", **AWAY_PARENTS)
    assert (("left_behind", "registered") in found, ("left_behind", "inferred") in found) == (holds, holds)


@pytest.mark.parametrize(
    ("child", "holds"),
    [
        ({"hukou": "urban", "village_kind": "community"}, False),
        ({"hukou": "rural", "village_kind": "community"}, True),  # 农业户口
        ({"hukou": "urban", "village_kind": "village"}, True),  # registered in a 村
        ({"hukou": None, "village_kind": None}, False),
    ],
)
def test_left_behind_inferred_only_for_rural_children_clause_3(child: dict, holds: bool) -> None:
    found = _one_child(child=child, **AWAY_PARENTS)
    assert (("left_behind", "inferred") in found) == holds


def test_a_poverty_roster_row_makes_the_child_rural_clause_3() -> None:
    sync = Sync()
    sync.child("c1", hukou=None, village_kind=None)
    sync.household(
        POVERTY,
        "H1",
        head={"sex": "M", "work_status": "province"},
        spouse={"sex": "F", "work_status": "out_of_province"},
        son={"child_id": "c1"},
    )
    assert ("left_behind", "inferred") in categories_of(sync.run(), "c1")


def test_a_schools_left_behind_flag_alone_is_a_lead_not_proof_clause_3() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(EDUCATION, "c1", school_flags="left_behind,orphan", enrolment_status="enrolled")
    assert categories_of(sync.run(), "c1") == set()


def test_left_behind_alone_is_not_distressed_clause_2_1() -> None:
    assert {c for c, _ in _one_child(ledger_categories="left_behind")} == {"left_behind"}
