"""A roster row that joined no child joins the one child its pairs reach (linkage.sole; issue 11,
'Rows without a number join their child')."""

import json

import pandas as pd

from linkage.cluster import cluster
from linkage.comparisons import DIFFERENT, Carers, Place, Programme, SchoolAge
from linkage.sole import sole_candidates

SAME_PROGRAMME = Programme().level(Programme.SAME).label
FITS_SCHOOL_AGE = SchoolAge().level(SchoolAge.FITS).label
CARERS_DIFFER = Carers().level(DIFFERENT).label
SAME_TOWNSHIP = Place().level(Place.TOWNSHIP).label
SAME_COUNTY = Place().level(Place.COUNTY).label
MISSING = "缺失 missing"


def _records(*rows: tuple[str, str, str, str | None]) -> pd.DataFrame:
    """(record_id, role, source_system, household_id); no record holds a number or a date,
    and only the school's rows a township (an insurance row places a child in its county)."""
    frame = pd.DataFrame(rows, columns=["record_id", "role", "source_system", "household_id"])
    township = frame["source_system"].map({"education_students": "大田镇"})
    return frame.assign(id_number=None, birth_date=None, guardian_name=None, township=township)


# r: a poverty-roster row without a number; i, j: insurance rows of two children of its name.
ROSTER = ("r", "undetermined", "poverty_households", "H1")
INSURED_I = ("i", "child", "health_insurance", None)
INSURED_J = ("j", "child", "health_insurance", None)
# i, j as pupils: the school places a child in a township
PUPIL_I = ("i", "child", "education_students", None)
PUPIL_J = ("j", "child", "education_students", None)


def _pair(
    left: str,
    right: str,
    p: float,
    programme: str = SAME_PROGRAMME,
    automatic: bool = True,
    carers: str = MISSING,
    place: str = SAME_COUNTY,
):
    levels = {"place": place, "programme": programme, "school_age": MISSING, "carers": carers}
    return (left, right, p, automatic, json.dumps(levels, ensure_ascii=False))


def _pairs(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["record_id_l", "record_id_r", "match_probability", "automatic", "levels"]
    )


def _joined(records: pd.DataFrame, pairs: pd.DataFrame) -> set[frozenset[str]]:
    """The clusters linkage forms: strong pairs first, then the sole candidates' pairs."""
    alone = cluster(records, pairs, 0.7)
    result = cluster(records, pairs.assign(sole=sole_candidates(records, pairs, alone)), 0.7)
    return {frozenset(g) for _, g in result.groupby("cluster_id")["record_id"]}


def test_a_roster_row_whose_pairs_reach_one_child_joins_it():
    records = _records(ROSTER, INSURED_I, INSURED_J)
    pairs = _pairs(_pair("r", "i", 0.45))
    assert sole_candidates(records, pairs, cluster(records, pairs, 0.7)).tolist() == [True]
    assert _joined(records, pairs) == {frozenset("ri"), frozenset("j")}


def test_a_second_child_above_the_floor_leaves_the_row_alone():
    records = _records(ROSTER, INSURED_I, INSURED_J)
    pairs = _pairs(_pair("r", "i", 0.45), _pair("j", "r", 0.32, programme="不同 different"))
    assert _joined(records, pairs) == {frozenset("r"), frozenset("i"), frozenset("j")}


def test_a_child_on_the_roster_in_another_household_is_no_candidate():
    # j's child is on the same roster in household H2 (a child is one household's member)
    j_roster = ("k", "child", "poverty_households", "H2")
    records = _records(ROSTER, INSURED_I, INSURED_J, j_roster)
    pairs = _pairs(_pair("r", "i", 0.45), _pair("r", "j", 0.5), (*_pair("j", "k", 0.99)[:4], "{}"))
    assert _joined(records, pairs) == {frozenset("ri"), frozenset("jk")}
    # the same household's row (the child twice in one roster) does not exclude it
    same = records.assign(household_id=records["household_id"].replace("H2", "H1"))
    assert _joined(same, pairs) == {frozenset("r"), frozenset("i"), frozenset("jk")}


def test_a_child_with_a_home_joins_on_a_corroborated_automatic_pair_only():
    # i, j: pupils of r's name; the school places them in a township and could gainsay r
    records = _records(ROSTER, PUPIL_I, PUPIL_J)
    # name, sex and county alone: a namesake shares them as often
    assert _joined(records, _pairs(_pair("r", "i", 0.45, programme=MISSING))) == {
        frozenset("r"),
        frozenset("i"),
        frozenset("j"),
    }
    # names that do not sound alike are never merged on the model's word (twin guard)
    assert _joined(records, _pairs(_pair("r", "i", 0.45, automatic=False))) == {
        frozenset("r"),
        frozenset("i"),
        frozenset("j"),
    }
    # the school age its grade gives corroborates as the programme does
    fits = ("r", "i", 0.45, True, json.dumps({"programme": MISSING, "school_age": FITS_SCHOOL_AGE}))
    assert _joined(records, _pairs(fits)) == {frozenset("ri"), frozenset("j")}


def test_a_child_known_from_insurance_alone_needs_no_corroboration():
    # i's records place it no closer than its county and name no carer: nothing gainsays
    # r, whose household is the home i lacks
    records = _records(ROSTER, INSURED_I, INSURED_J)
    assert _joined(records, _pairs(_pair("r", "i", 0.45, programme="不同 different"))) == {
        frozenset("ri"),
        frozenset("j"),
    }
    # still never on the model's word alone for names that do not sound alike
    assert _joined(records, _pairs(_pair("r", "i", 0.45, automatic=False))) == {
        frozenset("r"),
        frozenset("i"),
        frozenset("j"),
    }


def test_a_homeless_child_joins_when_every_other_child_has_a_home_elsewhere():
    records = _records(ROSTER, INSURED_I, PUPIL_J)

    def joined(pupils_pair: tuple) -> set[frozenset[str]]:
        return _joined(records, _pairs(_pair("r", "i", 0.45, programme=MISSING), pupils_pair))

    apart = {frozenset("ri"), frozenset("j")}
    alone = {frozenset("r"), frozenset("i"), frozenset("j")}
    # the pupil's school places it in r's township and names no carer r's household lacks:
    # it could be r's child as well
    assert joined(_pair("r", "j", 0.4, programme=MISSING, place=SAME_TOWNSHIP)) == alone
    # its school names carers r's household has none of, and nothing agrees
    differ = _pair("r", "j", 0.4, programme=MISSING, carers=CARERS_DIFFER, place=SAME_TOWNSHIP)
    assert joined(differ) == apart
    # its school places it in another township: r reaches it only through its insurance row
    assert joined(_pair("r", "j", 0.4, programme=MISSING)) == apart
    # elsewhere, but the grade fits: a school may name a grandparent where the roster names
    # the father, or place a child where it boards, so a corroborated child is never ruled out
    fits = {
        "place": SAME_TOWNSHIP,
        "programme": MISSING,
        "school_age": FITS_SCHOOL_AGE,
        "carers": CARERS_DIFFER,
    }
    assert joined(("r", "j", 0.4, True, json.dumps(fits, ensure_ascii=False))) == alone
    # two homeless children: nothing tells them apart
    both = _records(ROSTER, INSURED_I, INSURED_J)
    pairs = _pairs(_pair("r", "i", 0.45, programme=MISSING), _pair("r", "j", 0.4, programme=MISSING))
    assert _joined(both, pairs) == alone


def test_a_row_that_joined_a_child_or_a_reviewers_no_is_left_as_it_is():
    records = _records(ROSTER, INSURED_I, INSURED_J)
    # r joined j on a strong pair: its weaker pair with i changes nothing
    pairs = _pairs(_pair("r", "j", 0.9), _pair("r", "i", 0.45))
    assert _joined(records, pairs) == {frozenset("rj"), frozenset("i")}
    # a reviewer called r and i different: the pair is marked, clustering refuses it
    pairs = _pairs(_pair("r", "i", 0.45))
    alone = cluster(records, pairs, 0.7, cannot_link=[("r", "i")])
    marked = pairs.assign(sole=sole_candidates(records, pairs, alone))
    result = cluster(records, marked, 0.7, cannot_link=[("r", "i")])
    assert result.set_index("record_id")["cluster_id"].nunique() == 3


def test_a_guardian_the_rows_siblings_name_corroborates():
    # s is r's sister on the same roster, linked to her school row t; i is a pupil of r's
    # name whose pair with r agrees on nothing a namesake seldom shares (no programme, no grade)
    sister = ("s", "child", "poverty_households", "H1")
    school = ("t", "child", "education_students", None)
    pupil = ("i", "child", "education_students", None)
    pairs = _pairs(_pair("r", "i", 0.55, programme=MISSING), (*_pair("s", "t", 0.99)[:4], "{}"))

    def joined(pupils_guardian: str) -> set[frozenset[str]]:
        records = _records(ROSTER, sister, school, pupil)
        guardians = {"t": "张俊瑞", "i": pupils_guardian}
        return _joined(records.assign(guardian_name=records["record_id"].map(guardians)), pairs)

    # the pupil's guardian is the one the sister's school names (a dialect spelling of it)
    assert joined("章俊瑞") == {frozenset("ri"), frozenset("st")}
    # another guardian: nothing but the name, sex and place
    assert joined("李娜") == {frozenset("r"), frozenset("i"), frozenset("st")}
