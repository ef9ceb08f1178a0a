"""The family graph: parents from the ledger and from rosters, one person per identity number."""

from datetime import date

from policy_builders import AS_OF, ASSISTANCE, LEDGER, POVERTY, Sync

from policy.extracts import Extracts
from policy.family import parent_facts, parent_links
from policy.ruleset import load_rules

RULES = load_rules(AS_OF)
FATHER_ID = "510402198001010016"
MOTHER_ID = "510402198203040027"


def _facts(sync: Sync) -> set[tuple[str, str, str]]:
    _, records = sync.frames()
    facts = parent_facts(Extracts(records), RULES)
    return set(zip(facts["child_id"], facts["slot"], facts["kind"], strict=True))


def _links(sync: Sync) -> set[tuple[str, str]]:
    _, records = sync.frames()
    links = parent_links(Extracts(records), RULES)
    return set(zip(links["child_id"], links["slot"], strict=True))


def test_ledger_statuses_are_the_parents_facts() -> None:
    sync = Sync()
    sync.record(LEDGER, "c1", father_status="dead", mother_status="prison")
    assert _facts(sync) == {("c1", "father", "absent"), ("c1", "mother", "unable")}


def test_a_son_has_the_head_and_spouse_as_parents_and_their_work_away_reaches_him() -> None:
    sync = Sync()
    sync.household(
        POVERTY,
        "H1",
        head={"sex": "M", "work_status": "out_of_province"},
        spouse={"sex": "F", "work_status": "province"},
        son={"child_id": "c1"},
    )
    assert _facts(sync) == {("c1", "father", "away"), ("c1", "mother", "away")}


def test_a_grandson_gets_no_parents_from_the_roster() -> None:
    sync = Sync()
    sync.household(POVERTY, "H1", head={"sex": "M", "work_status": "province"}, grandson={"child_id": "c1"})
    assert _links(sync) == set()


def test_work_inside_the_county_is_not_away() -> None:
    sync = Sync()
    sync.household(
        POVERTY,
        "H1",
        head={"sex": "M", "work_status": "county"},
        spouse={"sex": "F"},
        daughter={"child_id": "c1"},
    )
    assert _facts(sync) == set()


def test_a_poverty_health_status_never_makes_a_parent_unable() -> None:
    sync = Sync()
    sync.household(
        POVERTY,
        "H1",
        head={"sex": "M", "health_status": "disabled"},
        spouse={"sex": "F", "health_status": "serious_illness"},
        son={"child_id": "c1"},
    )
    assert _facts(sync) == set()


def test_the_same_identity_number_is_one_person_across_ledger_and_roster() -> None:
    """A father recorded 服刑在押 on a sibling's ledger row, and away in a roster, is both for c1."""
    sync = Sync()
    sync.record(LEDGER, "c1", father_id=FATHER_ID, father_status="normal", mother_id=MOTHER_ID)
    sync.record(LEDGER, "c2", father_id=FATHER_ID, father_status="prison")
    sync.household(ASSISTANCE, "7", head={"id_number": MOTHER_ID, "sex": "F"}, daughter={"child_id": "c3"})
    sync.household(POVERTY, "H9", head={"id_number": MOTHER_ID, "sex": "F", "work_status": "province"})
    facts = _facts(sync)
    assert ("c1", "father", "unable") in facts
    assert ("c1", "mother", "away") in facts
    assert ("c3", "mother", "away") in facts


def test_a_parent_of_unknown_sex_takes_the_slot_the_partner_leaves() -> None:
    sync = Sync()
    sync.household(
        ASSISTANCE,
        "8",
        head={"sex": "F", "work_status": "province"},
        spouse={"work_status": "province"},
        son={"child_id": "c1"},
    )
    assert _facts(sync) == {("c1", "mother", "away"), ("c1", "father", "away")}


def test_without_any_sex_the_head_is_father_and_the_spouse_mother() -> None:
    sync = Sync()
    sync.household(ASSISTANCE, "9", head={}, spouse={}, son={"child_id": "c1"})
    assert _links(sync) == {("c1", "father"), ("c1", "mother")}


def test_a_parent_without_a_usable_number_is_one_person_by_name_in_one_childs_slot() -> None:
    """The ledger's father of c1 (no number) is the roster head of c1's household (no
    number either): his death, on c1's ledger row, reaches c1's brother c2, who is on the
    roster only. Spacing and the Yi separator do not make another name."""
    sync = Sync()
    sync.record(LEDGER, "c1", father_name="阿牛·木呷", father_status="dead")
    sync.household(
        POVERTY, "H1", head={"name": "阿牛木呷", "sex": "M"}, son={"child_id": "c1"}, son_2={"child_id": "c2"}
    )
    assert ("c2", "father", "absent") in _facts(sync)


def test_a_parents_name_written_in_a_homophone_is_one_person() -> None:
    """c1's ledger row names its father 李明梓, away; c1's household roster names the head
    李明子: the same sound, one man, so his work away reaches c1's sister c2 (roster only).
    A head whose name sounds otherwise is another man."""
    for head, reaches in (("李明子", True), ("李明华", False)):
        sync = Sync()
        sync.record(LEDGER, "c1", father_name="李明梓", father_status="away")
        sync.household(
            ASSISTANCE,
            "H1",
            head={"name": head, "sex": "M"},
            son={"child_id": "c1"},
            daughter={"child_id": "c2"},
        )
        assert (("c2", "father", "away") in _facts(sync)) is reaches


def test_two_valid_numbers_under_one_name_stay_two_persons() -> None:
    sync = Sync()
    sync.record(LEDGER, "c1", father_name="王大山", father_id=FATHER_ID, father_status="dead")
    other = "510402197505050031"
    sync.household(
        POVERTY,
        "H1",
        head={"name": "王大山", "sex": "M", "id_number": other},
        son={"child_id": "c1"},
        son_2={"child_id": "c2"},
    )
    assert ("c2", "father", "absent") not in _facts(sync)
    assert ("c1", "father", "absent") in _facts(sync)


def test_a_parents_number_with_its_century_mistyped_keys_nobody() -> None:
    """c1's ledger row gives its mother a number that passes the check digit but says she
    was born in 1882, 133 years before c1: a typo. She is then the roster's spouse by
    name, and her work away reaches c1's brother c2, known from the roster only. The
    father's number, 35 years before c1, still keys him: the roster's other head is
    another man."""
    born = date(2015, 3, 2)
    sync = Sync()
    sync.record(
        LEDGER, "c1", birth_date=born, mother_name="李芳", mother_id="510402188203040023",
        mother_status="away", father_name="王大山", father_id=FATHER_ID, father_status="away",
    )  # fmt: skip
    sync.household(
        ASSISTANCE,
        "7",
        head={"name": "王大山", "sex": "M", "id_number": "510402197505050031"},
        spouse={"name": "李芳", "sex": "F", "id_number": MOTHER_ID},
        son={"child_id": "c1"},
        son_2={"child_id": "c2"},
    )
    facts = _facts(sync)
    assert ("c2", "mother", "away") in facts
    assert ("c2", "father", "away") not in facts
