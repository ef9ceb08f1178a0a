"""The pure parsers of values/, one value at a time and per column."""

from __future__ import annotations

import random
from datetime import date, datetime

import pandas as pd
import pytest
from test_read_support import valid_id, wrong_check

from values.cells import apply_unique
from values.codes import parse_ethnicity, parse_phone, parse_sex
from values.dates import parse_date
from values.ids import (
    birth_dates_from_ids,
    could_be_parents,
    parse_id_number,
    parse_id_numbers,
    sexes_from_ids,
)
from values.names import (
    clean_name,
    clean_names,
    fold_syllable,
    folded_pinyin,
    name_keys,
    name_keys_many,
    name_norm,
    name_pinyin,
    name_syllables,
    split_name,
)
from values.places import normalise_township, normalise_village, parse_county

CHILD = valid_id("51040220150302123")  # born 2015-03-02, male (17th digit 3)


# ---------------------------------------------------------------- identity numbers


@pytest.mark.parametrize(
    "raw",
    [CHILD, CHILD.lower(), "'" + CHILD, f"  {CHILD[:6]} {CHILD[6:14]} {CHILD[14:]} ", f'="{CHILD}"'],
)
def test_id_forms_offices_type_are_valid(raw):
    assert parse_id_number(raw) == (CHILD, CHILD, "valid")


def test_full_width_digits_are_read():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in CHILD)
    assert parse_id_number(full_width).id_number == CHILD


def test_x_check_digit_is_upper_cased():
    number = next(
        valid_id(f"5104112016010100{i}") for i in range(10) if valid_id(f"5104112016010100{i}")[-1] == "X"
    )
    assert parse_id_number(number.lower()) == (number, number, "valid")


def test_wrong_check_digit_keeps_the_candidate():
    bad = wrong_check(CHILD)
    assert parse_id_number(bad) == (None, bad, "bad_check_digit")


@pytest.mark.parametrize("raw", ["5.10402E+17", 5.104022015030212e17, "510402201503021234.0"])
def test_excel_floats_are_mangled_not_repaired(raw):
    parsed = parse_id_number(raw)
    assert parsed.status == "excel_mangled"
    assert parsed.id_number is None


def test_zeroed_tail_is_suspect_even_when_the_check_digit_passes():
    zeroed = [f"51040220150302{d:01d}000" for d in range(10)]
    passing = [z for z in zeroed if valid_id(z[:17]) == z]
    failing = [z for z in zeroed if valid_id(z[:17]) != z]
    assert passing and failing
    for number in passing + failing:
        assert parse_id_number(number) == (None, number, "suspect_zeroed")


def test_legacy_fifteen_digit_number_is_its_eighteen_digit_form():
    """A parent's old number on the ledger is the number the roster gives the household head."""
    eighteen = valid_id("51040219800101123")
    assert parse_id_number("510402800101123") == (eighteen, "510402800101123", "legacy15")
    assert parse_id_number(510402800101123.0) == (eighteen, "510402800101123", "legacy15")
    assert parse_id_number("510402801301123") == (None, "510402801301123", "legacy15")  # no 13th month


@pytest.mark.parametrize("raw", [None, "", "  ", "无", "/", float("nan")])
def test_blank_numbers_are_missing(raw):
    assert parse_id_number(raw) == (None, None, "missing")


@pytest.mark.parametrize("raw", ["51040220151302123X", "5104022015030212", "E12345678", "51040220150302123Y"])
def test_impossible_numbers_are_malformed(raw):
    assert parse_id_number(raw).status in {"malformed", "bad_check_digit"}
    assert parse_id_number(raw).id_number is None


def test_column_parse_agrees_with_the_single_value_parse():
    rng = random.Random(7)
    forms = [
        CHILD,
        CHILD.lower(),
        wrong_check(CHILD),
        "51040220151302123X",
        "510402201503021000",
        "5.10402E+17",
        510402201503021000.0,
        "510402800101123",
        None,
        "无",
        " " + CHILD,
        "ABCDEFGHIJKLMNOPQR",
        "５１０４０２２０１５０３０２１２３Ｘ",
    ]
    values = pd.Series([rng.choice(forms) for _ in range(400)], index=range(100, 500), dtype=object)
    one_by_one = pd.DataFrame([parse_id_number(v) for v in values], index=values.index)
    one_by_one.columns = ["id_number", "id_candidate", "status"]
    pd.testing.assert_frame_equal(parse_id_numbers(values), one_by_one)


def test_birth_date_and_sex_come_from_valid_numbers():
    ids = pd.Series([CHILD, None, valid_id("51040220160229124")], dtype=object)
    assert birth_dates_from_ids(ids).tolist()[0] == pd.Timestamp("2015-03-02")
    assert pd.isna(birth_dates_from_ids(ids)[1])
    assert sexes_from_ids(ids).tolist() == ["M", None, "F"]


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("张 三", "张三"),
        ("張偉", "张伟"),
        ("ＡＢ\u3000ｃ", "ABc"),
        ("阿牛•木呷", "阿牛·木呷"),
        ("阿牛.木呷", "阿牛·木呷"),
        ("阿牛．木呷", "阿牛·木呷"),
        ("阿牛・木呷", "阿牛·木呷"),
        ("·阿牛··木呷·", "阿牛·木呷"),
        ("无", None),
        (None, None),
        (3.0, None),
    ],
)
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


def test_batch_clean_keeps_names_apart():
    assert clean_names(["張 偉", "", "a\nb", "阿牛•木呷"]) == ["张伟", None, "ab", "阿牛·木呷"]


def test_minority_name_with_and_without_dot_compare_equal():
    assert name_norm(clean_name("阿牛·木呷")) == name_norm(clean_name("阿牛木呷")) == "阿牛木呷"


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("张三", ("张", "三")),
        ("欧阳娜娜", ("欧阳", "娜娜")),
        ("欧阳", ("欧", "阳")),
        ("阿牛·木呷", ("阿牛", "木呷")),
    ],
)
def test_split_name(name, parts):
    assert split_name(name) == parts


def test_pinyin_is_toneless_and_joined():
    assert name_pinyin("张伟") == "zhangwei"
    assert name_pinyin("阿牛·木呷") == "aniumuga"
    assert name_syllables("张伟") == ["zhang", "wei"]


def test_homophone_typos_share_pinyin():
    assert name_pinyin("张伟") == name_pinyin("张玮")


@pytest.mark.parametrize(
    ("syllable", "folded"),
    [
        ("zhang", "zang"),
        ("chen", "cen"),
        ("shi", "si"),
        ("liu", "niu"),
        ("xing", "xin"),
        ("sheng", "sen"),
        ("ling", "nin"),
        # Not mergers: ang/ong keep their g, and a lone n or g is left alone.
        ("wang", "wang"),
        ("long", "nong"),
        ("ge", "ge"),
        ("e", "e"),
    ],
)
def test_fold_syllable(syllable, folded):
    assert fold_syllable(syllable) == folded


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("张生", "zangsen"),
        ("刘明", "niumin"),
        ("陈玲", "cennin"),
        # xing·e, not xin·ge: read from the characters, never cut from joined pinyin.
        ("李星娥", "nixine"),
        ("尼新娥", "nixine"),
        ("阿牛·木呷", "aniumuga"),
    ],
)
def test_folded_pinyin_is_per_syllable_from_the_characters(name, folded):
    assert folded_pinyin(name) == folded
    assert folded_pinyin(name) == "".join(fold_syllable(s) for s in name_syllables(name))


def test_sichuan_mergers_meet():
    assert folded_pinyin("刘星") == folded_pinyin("牛新")
    assert name_pinyin("李星娥") != name_pinyin("尼新娥")
    assert folded_pinyin("李星娥") == folded_pinyin("尼新娥")


@pytest.mark.parametrize("name", ["李星娥", "张生", "刘明", "阿牛·木呷", "欧阳娜娜"])
def test_staging_and_linkage_fold_alike(name):
    """Staging's name_pinyin_folded is the joined folding of the parts linkage compares."""
    from linkage.prepare import _name_parts

    parts = _name_parts(pd.Series([name_norm(name)])).iloc[0]
    assert name_keys(name).name_pinyin_folded == parts["surname_folded"] + parts["given_folded"]
    assert parts["given_folded"].startswith(parts["given_first_folded"])


def test_name_keys_one_and_many_agree():
    names = ["阿牛·木呷", "欧阳娜娜", None, "张星"]
    assert name_keys_many(names) == [name_keys(n) for n in names]
    assert name_keys("阿牛·木呷") == ("阿牛木呷", "aniumuga", "aniumuga", "aniu", "muga")


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "raw",
    [
        "2015-03-02",
        "2015/3/2",
        "2015.03.02",
        "20150302",
        "2015年3月2日",
        "2015-03-02 00:00:00",
        date(2015, 3, 2),
        datetime(2015, 3, 2, 10, 30),
        42065,
        42065.0,
        "42065",
        20150302,
    ],
)
def test_date_forms(raw):
    assert parse_date(raw) == date(2015, 3, 2)


@pytest.mark.parametrize(
    "raw", ["2015-02-30", "2015", "1850-01-01", "3000-01-01", 12, "abc", None, "", "2015-13-01"]
)
def test_implausible_dates_are_none(raw):
    assert parse_date(raw) is None


# ---------------------------------------------------------------- coded fields


@pytest.mark.parametrize(
    ("raw", "code"), [("男", "M"), ("女", "F"), ("1", "M"), ("2", "F"), (1.0, "M"), ("未知", None)]
)
def test_sex(raw, code):
    assert parse_sex(raw) == code


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("汉族", "汉族"),
        ("汉", "汉族"),
        ("01", "汉族"),
        ("07", "彝族"),
        ("20", "傈僳族"),
        ("傈僳", "傈僳族"),
        (7.0, "彝族"),
    ],
)
def test_ethnicity(raw, name):
    assert parse_ethnicity(raw) == name


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("仁和区", "510411"),
        ("仁和", "510411"),
        ("攀枝花市仁和区", "510411"),
        ("四川省攀枝花市仁和区", "510411"),
        ("510411", "510411"),
        (510411.0, "510411"),
        ("东区", "510402"),
        ("西区", "510403"),
        ("米易县", "510421"),
        ("盐边", "510422"),
        ("成都市武侯区", None),
    ],
)
def test_county(raw, code):
    assert parse_county(raw) == code


@pytest.mark.parametrize(
    ("raw", "stem"),
    [
        ("大田镇", "大田"),
        ("大田", "大田"),
        ("大田乡", "大田"),
        ("格萨拉彝族乡", "格萨拉"),
        ("炳草岗街道办事处", "炳草岗"),
        ("仁和区大田镇", "大田"),
    ],
)
def test_township_drift(raw, stem):
    assert normalise_township(raw) == stem


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("大田村", ("大田", "village")),
        ("大田村委会", ("大田", "village")),
        ("大田村民委员会", ("大田", "village")),
        ("炳草岗社区", ("炳草岗", "community")),
        ("炳草岗社区居委会", ("炳草岗", "community")),
        ("炳草岗居委会", ("炳草岗", "community")),
        ("大田", ("大田", None)),
        (None, (None, None)),
    ],
)
def test_village_drift(raw, parsed):
    assert normalise_village(raw) == parsed


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        (13912345678.0, "13912345678"),
        ("+86 13912345678", "13912345678"),
        ("无", None),
    ],
)
def test_phone(raw, digits):
    assert parse_phone(raw) == digits


# ---------------------------------------------------------------- per unique value


def test_apply_unique_parses_each_distinct_value_once():
    calls = []

    def parse(value):
        calls.append(value)
        return None if value is None else value * 2

    values = pd.Series(["a", "b", "a", None, "b", None], index=[5, 6, 7, 8, 9, 10])
    out = apply_unique(values, parse)
    assert out.tolist() == ["aa", "bb", "aa", None, "bb", None]
    assert list(out.index) == [5, 6, 7, 8, 9, 10]
    assert len(calls) == 3 and set(calls) == {"a", "b", None}


def test_apply_unique_spreads_named_tuples_into_columns():
    out = apply_unique(pd.Series(["大田村", "炳草岗社区", None]), normalise_village)
    assert out.columns.tolist() == ["village", "kind"]
    assert out["kind"].tolist() == ["village", "community", None]


def test_parse_address_finds_county_township_and_village_in_free_text():
    """sources.md: township and village names drift; addresses carry the place for
    extracts without place columns (the disability file has no 区县)."""
    from values.places import parse_address

    assert parse_address("攀枝花市米易县攀莲镇龙华村3组") == ("510421", "攀莲", "龙华", "village")
    assert parse_address("四川省攀枝花市东区炳草岗街道办事处人民街社区居委会") == (
        "510402",
        "炳草岗",
        "人民街",
        "community",
    )
    assert parse_address("仁和区大田镇") == ("510411", "大田", None, None)
    assert parse_address("米易县") == ("510421", None, None, None)
    assert parse_address("成都市武侯区红牌楼街道") == (None, "红牌楼", None, None)
    assert parse_address(None) == (None, None, None, None)


def test_short_county_names():
    """东 and 西 are short names as 仁和 is (sources.md, Region). (Sex from 子/女 is
    asserted where staging reads it: test_stage.test_assistance_roster_gb18030.)"""
    from values.places import parse_county

    assert parse_county("东") == "510402" and parse_county("西") == "510403"
    assert parse_county("南") is None


def test_a_parents_number_must_make_a_parent_of_the_childs_age() -> None:
    """Born 1882, 1982 or 2012 against a child born 2015; unknown dates never rule out."""
    numbers = pd.Series(
        ["510402188203040023", "510402198203040027", "510402201203040025", None, "510402198203040027"]
    )
    births = pd.Series([date(2015, 3, 2)] * 4 + [None])
    assert could_be_parents(numbers, births, (12, 70)).tolist() == [False, True, False, True, True]
