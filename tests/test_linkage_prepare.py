"""The model's input: carers named for roster members."""

from datetime import date

import pandas as pd

from linkage.prepare import linkage_frame, school_age_rates, school_birth_window
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
    2019-09 … 2020-08, a year's slack each way; 七年级 is year 7. Only an undated row's
    window reaches the model."""
    rows = _roster([(k, "王小", "grandson") for k in "abcd"]).assign(
        school_status=["primary", "junior", "primary", "primary"],
        grade=[1, 1, None, 1],
        birth_date=pd.to_datetime([None, None, None, "2020-01-01"]),
    )
    window = school_birth_window(rows, AS_OF)
    assert window.loc[0].tolist() == [_days("2018-09-01"), _days("2021-08-31")]
    assert window.loc[1].tolist() == [_days("2012-09-01"), _days("2015-08-31")]
    assert window.loc[2].isna().all()
    frame = linkage_frame(rows, AS_OF)
    assert frame.loc[0, "school_born_from"] == _days("2018-09-01")
    assert frame.loc[3, ["school_born_from", "school_born_to"]].isna().all()


def test_school_age_rates_count_the_rule_on_rows_that_hold_both_sides():
    """m: of the dated graded rows, the share born in their grade's window (one of two);
    u: of the dated rows, the share born in a graded row's window, on average."""
    rows = _roster([(k, "王小", "grandson") for k in "abcd"]).assign(
        school_status=["primary", "primary", None, None],
        grade=[1, 1, None, None],
        birth_date=pd.to_datetime(["2020-01-01", "2010-01-01", "2005-01-01", "2019-01-01"]),
    )
    m, u = school_age_rates(rows, AS_OF)
    assert m == 0.5
    assert u == 0.5  # 2020-01-01 and 2019-01-01 fall in 2018-09-01 … 2021-08-31, of four
