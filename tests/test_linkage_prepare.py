"""The model's input: carers named for roster members."""

import pandas as pd

from linkage.prepare import linkage_frame
from values.names import folded_pinyin


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
        }
    )


def _folded(name: str) -> str:
    return folded_pinyin(name)


def test_a_roster_member_has_the_head_and_the_heads_spouse_as_carers():
    everyone = _roster([("h", "王大", "head"), ("s", "李芳", "spouse"), ("g", "王小", "grandson")])
    child = everyone.loc[everyone["relationship"] == "grandson"].reset_index(drop=True)
    frame = linkage_frame(child, everyone=everyone)
    assert frame.loc[0, "carers"] == sorted({_folded("王大"), _folded("李芳")})
    # Without the household's other rows only the head is known.
    assert linkage_frame(child).loc[0, "carers"] == [_folded("王大")]


def test_head_and_spouse_are_not_each_others_carers():
    everyone = _roster([("h", "王大", "head"), ("s", "李芳", "spouse")])
    frame = linkage_frame(everyone, everyone=everyone).set_index("unique_id")
    assert frame.loc["h", "carers"] == []
    assert frame.loc["s", "carers"] == [_folded("王大")]


def test_name_parts_and_carers_fold_syllable_by_syllable():
    """李星娥 is li·xing·e: folded ni·xin·e, never xin·ge cut from joined pinyin, so the
    parts linkage compares join up to staging's name_pinyin_folded."""
    rows = _roster([("a", "李星娥", "granddaughter")]).assign(
        name_pinyin_folded=["nixine"], guardian_name=["刘星"], head_name=[None]
    )
    frame = linkage_frame(rows).iloc[0]
    assert (frame["surname_folded"], frame["given_folded"], frame["given_first_folded"]) == (
        "ni",
        "xine",
        "xin",
    )
    assert frame["surname_folded"] + frame["given_folded"] == frame["name_pinyin_folded"]
    assert frame["carers"] == ["niuxin"] == [_folded("牛新")]
