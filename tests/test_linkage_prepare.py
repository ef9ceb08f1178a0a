"""The model's input: carers named for roster members."""

import math
from datetime import date

import pandas as pd
import pytest

from linkage.comparisons import SchoolAge
from linkage.counted import school_age_rates, village_shares
from linkage.prepare import linkage_frame, school_birth_window
from values.names import folded_pinyin

AS_OF = date(2026, 11, 30)  # its school year opened on 1 September 2026


def _roster(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """(record_id, name, relationship) rows of one household of an assistance roster."""
    n = len(rows)
    none = [None] * n
    return pd.DataFrame(
        {
            "record_id": [r[0] for r in rows],
            "source_system": ["civil_affairs_assistance"] * n,
            "name": [r[1] for r in rows],
            "name_norm": [r[1] for r in rows],
            "name_pinyin": none,
            "name_pinyin_folded": none,
            "sex": none,
            "birth_date": pd.to_datetime(none),
            "id_candidate": none,
            "id_status": ["missing"] * n,
            "id_number": none,
            "county_code": ["510421"] * n,
            "township": ["攀莲镇"] * n,
            "village": ["光河村"] * n,
            "guardian_name": none,
            "father_name": none,
            "mother_name": none,
            "head_name": ["王大"] * n,
            "relationship": [r[2] for r in rows],
            "household_id": ["civil_affairs_assistance:A001"] * n,
            "assistance_type": ["rural_dibao"] * n,
            "insurance_subsidy": none,
            "school_stage": none,
            "school_status": none,
            "grade": none,
        }
    )


def _folded(name: str) -> str:
    return folded_pinyin(name)


def test_a_roster_member_has_the_head_and_the_heads_spouse_as_carers():
    everyone = _roster([("h", "王大", "head"), ("s", "李芳", "spouse"), ("g", "王小", "grandson")])
    child = everyone.loc[everyone["relationship"] == "grandson"].reset_index(drop=True)
    frame = linkage_frame(child, AS_OF, everyone=everyone)
    assert frame.loc[0, "carers"] == sorted({_folded("王大"), _folded("李芳")})
    # Without the household's other rows only the head is known.
    assert linkage_frame(child, AS_OF).loc[0, "carers"] == [_folded("王大")]


def test_head_and_spouse_are_not_each_others_carers():
    everyone = _roster([("h", "王大", "head"), ("s", "李芳", "spouse")])
    frame = linkage_frame(everyone, AS_OF, everyone=everyone).set_index("unique_id")
    assert frame.loc["h", "carers"] == []
    assert frame.loc["s", "carers"] == [_folded("王大")]


def test_name_parts_and_carers_fold_syllable_by_syllable():
    """李星娥 is li·xing·e: folded ni·xin·e, never xin·ge cut from joined pinyin, so the
    parts linkage compares join up to staging's name_pinyin_folded."""
    rows = _roster([("a", "李星娥", "granddaughter")]).assign(
        name_pinyin_folded=["nixine"], guardian_name=["刘星"], head_name=[None]
    )
    frame = linkage_frame(rows, AS_OF).iloc[0]
    assert (frame["surname_folded"], frame["given_folded"], frame["given_first_folded"]) == (
        "ni",
        "xine",
        "xin",
    )
    assert frame["surname_folded"] + frame["given_folded"] == frame["name_pinyin_folded"]
    assert frame["carers"] == ["niuxin"] == [_folded("牛新")]


def _days(day: str) -> int:
    return (pd.Timestamp(day) - pd.Timestamp("1970-01-01")).days


def test_a_grade_gives_the_birth_dates_of_its_school_age():
    """小学一年级 in the school year opened 1 September 2026: six on 31 August, born
    2019-09 … 2020-08, a year's slack each way; 七年级 is year 7. A stage without its
    grade allows each of its years: a bare 小学 years 1-6, 学前教育 the three before
    小学一年级; 非在校生 says nothing. Only an undated row's window reaches the model."""
    rows = _roster([(k, "王小", "grandson") for k in "abcdef"]).assign(
        school_status=["primary", "junior", "primary", "primary", "preschool", "not_in_school"],
        grade=[1, 1, None, 1, None, None],
        birth_date=pd.to_datetime([None, None, None, "2020-01-01", None, None]),
    )
    found = school_birth_window(rows, AS_OF)
    window = found[["school_born_from", "school_born_to"]]
    assert window.loc[0].tolist() == [_days("2018-09-01"), _days("2021-08-31")]
    assert window.loc[1].tolist() == [_days("2012-09-01"), _days("2015-08-31")]
    assert window.loc[2].tolist() == [_days("2013-09-01"), _days("2021-08-31")]
    assert window.loc[4].tolist() == [_days("2019-09-01"), _days("2024-08-31")]
    assert window.loc[5].isna().all()
    assert found["school_graded"].tolist() == [True, True, False, True, False, pd.NA]
    frame = linkage_frame(rows, AS_OF)
    assert frame.loc[0, "school_born_from"] == _days("2018-09-01")
    assert frame.loc[3, ["school_born_from", "school_born_to"]].isna().all()


def test_school_age_rates_count_the_rule_on_rows_that_hold_both_sides():
    """Each level: the share of windowed rows of its kind (two graded, one preschool, of
    three) times m, of its dated rows the share born in their window, or u, of the
    dated rows the share born in one of its windows, on average."""
    rows = _roster([(k, "王小", "grandson") for k in "abcd"]).assign(
        school_status=["primary", "primary", "preschool", None],
        grade=[1, 1, None, None],
        birth_date=pd.to_datetime(["2020-01-01", "2010-01-01", "2022-01-01", "2005-01-01"]),
    )
    rates = school_age_rates(rows, AS_OF)
    # 小学一年级: 2018-09-01 … 2021-08-31 holds a's date, not b's; of four dates, one.
    assert rates[SchoolAge.FITS] == pytest.approx((2 / 3 * 1 / 2, 2 / 3 * 1 / 4))
    # 学前教育: 2019-09-01 … 2024-08-31 holds c's date; of four dates, two.
    assert rates[SchoolAge.FITS_STAGE] == pytest.approx((1 / 3 * 1, 1 / 3 * 2 / 4))


def test_village_shares_count_a_childs_own_records_and_any_two_of_a_township():
    """m: of the pairs of one identity number within a township, both villages named,
    the share naming one village; u: the same share among any two records there. A
    blank village and a record in another township are left out of both."""
    ids = ["A", "A", "A", "B", "B", None, "C", "C"]
    frame = pd.DataFrame(
        {
            "id_valid": ids,
            "county_code": ["510421"] * 7 + ["510402"],
            "township": ["攀莲镇"] * 7 + ["攀莲镇"],
            "village": ["光河村", "光河村", "平地村", "光河村", None, "平地村", "光河村", "光河村"],
        }
    )
    m, u = village_shares(frame)
    # A: three pairs, one in one village; C's two rows lie in two counties; B's second is blank.
    assert m == pytest.approx(1 / 3)
    # Of the six named rows of 510421 攀莲镇 (15 pairs), four 光河村 (6) and two 平地村 (1).
    assert u == pytest.approx(7 / 15)


def test_village_shares_are_unknown_without_a_shared_township():
    frame = pd.DataFrame(
        {
            "id_valid": ["A", "B"],
            "county_code": ["510421", "510402"],
            "township": ["攀莲镇"] * 2,
            "village": ["光河村"] * 2,
        }
    )
    assert all(math.isnan(share) for share in village_shares(frame))
