"""Staging real files into the canonical person record: one test per problem that
sources.md says is seen in practice, per extract's coding, and the accounting
rules (every row staged or quarantined, reasons name file/row/column, never a value)."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime

import pandas as pd
import pytest
from test_read_support import valid_id, write_csv, write_xls, write_xlsx, wrong_check

from ingest.inbox import read_and_stage_inbox
from ingest.read import read_inbox
from ingest.stage import stage, stage_staff
from warehouse.tables import PERSON, QUARANTINE, STAFF

AS_OF = date(2026, 5, 1)
LEDGER_HEADER = [
    "序号", "区县", "乡镇（街道）", "村（社区）", "儿童姓名", "性别", "民族", "身份证号", "出生日期", "户口性质", "儿童类别",
    "父亲姓名", "父亲身份证号", "父亲状况", "母亲姓名", "母亲身份证号", "母亲状况", "实际监护人", "监护人与儿童关系",
    "监护人联系电话", "是否单独居住", "基本生活费（元/月）", "建档日期", "备注",
]  # fmt: skip
ID_BOY = valid_id("51041120150302123")  # 2015-03-02, male
ID_GIRL = valid_id("51040220160405124")  # 2016-04-05, female
ID_FATHER = valid_id("51041119850101123")
ID_ADULT = valid_id("51040219800101123")


def ledger_row(**values) -> list[object]:
    """A ledger row: a registered boy in 大田村, overridden by header → value."""
    row = dict.fromkeys(LEDGER_HEADER)
    row.update({"序号": 1, "区县": "仁和区", "乡镇（街道）": "大田镇", "村（社区）": "大田村", "儿童姓名": "张三", "性别": "男",
                "民族": "汉族", "身份证号": ID_BOY, "出生日期": "2015-03-02", "户口性质": "农业户口", "儿童类别": "农村留守儿童"})  # fmt: skip
    row.update(values)
    return [row[h] for h in LEDGER_HEADER]


def run(tmp_path, files: dict[str, list[list[object]]], writer=write_xlsx):
    """Write ``{"source/file": rows}`` into an inbox and read and stage it."""
    inbox = tmp_path / "inbox"
    for relative, rows in files.items():
        writer(inbox / relative, rows)
    return read_and_stage_inbox(inbox, AS_OF, sync_id=7)


def ledger(tmp_path, *rows: list[object], title: bool = True):
    header = [["攀枝花市困境儿童信息台账"], LEDGER_HEADER] if title else [LEDGER_HEADER]
    result = run(tmp_path, {"civil_affairs_children/台账.xlsx": header + list(rows)})
    return result, result.staged.set_index("source_row")


# ---------------------------------------------------------------- accounting


def test_every_row_is_staged_or_quarantined_exactly_once(tmp_path):
    result, _ = ledger(
        tmp_path, ledger_row(), ledger_row(儿童姓名=None, 身份证号=None), ledger_row(身份证号="5.10402E+17")
    )
    assert len(result.raw) == 3
    assert len(result.staged) + len(result.quarantine) == len(result.raw)
    keys = ["source_file", "source_row"]
    both = result.staged[keys].merge(result.quarantine[keys])
    assert both.empty
    assert list(result.staged.columns) == [c.name for c in PERSON]
    assert list(result.quarantine.columns) == QUARANTINE.column_names
    assert result.counts["civil_affairs_children"] == {
        "files": 1, "missing": False, "rows_read": 3, "rows_layout": 1, "rows_staged": 2, "rows_quarantined": 1,
        "duplicate_files": [], "files_refused": [], "files_skipped": [], "sheets_ignored": [],
    }  # fmt: skip


def test_unidentified_row_is_quarantined_naming_file_row_and_columns(tmp_path):
    result, _ = ledger(tmp_path, ledger_row(), ledger_row(儿童姓名=" ", 身份证号=wrong_check(ID_BOY)))
    (reason,) = result.quarantine["reason"]
    assert (
        reason
        == "台账.xlsx row 4: no name (column 儿童姓名) and no usable identity number (column 身份证号: bad_check_digit)"
    )
    assert wrong_check(ID_BOY) not in reason
    assert result.quarantine["raw_row"].iloc[0].startswith("{")


def test_row_numbers_match_the_spreadsheet(tmp_path):
    _, staged = ledger(tmp_path, ledger_row(), [], ledger_row(儿童姓名="李四"), ["合计"])
    assert staged.index.tolist() == [3, 5]
    assert staged.loc[5, "record_id"] == "civil_affairs_children:台账.xlsx:5"


# ---------------------------------------------------------------- identity numbers


@pytest.mark.parametrize(
    ("cell", "status", "id_number"),
    [
        (ID_BOY.lower(), "valid", ID_BOY),
        ("'" + ID_BOY, "valid", ID_BOY),
        (f"{ID_BOY[:6]} {ID_BOY[6:]}", "valid", ID_BOY),
        ("".join(chr(ord(c) + 0xFEE0) for c in ID_BOY), "valid", ID_BOY),
        (wrong_check(ID_BOY), "bad_check_digit", None),
        ("510411150302123", "legacy15", valid_id("51041119150302123")),  # its exact 18-digit form
        ("5.10411E+17", "excel_mangled", None),
        (ID_BOY[:15] + "000", "suspect_zeroed", None),
        (None, "missing", None),
    ],
)
def test_identity_number_forms(tmp_path, cell, status, id_number):
    _, staged = ledger(tmp_path, ledger_row(身份证号=cell))
    row = staged.loc[3]
    assert (row["id_status"], row["id_number"]) == (status, id_number)
    if status not in ("valid", "missing"):
        assert row["flags"] == f"id_number:{status}"


def test_excel_zeroed_numbers_are_flagged_and_never_repaired(tmp_path):
    number_cell = int(ID_BOY[:15] + "000")  # what Excel keeps of an 18-digit number typed as a number
    _, staged = ledger(
        tmp_path, ledger_row(身份证号=number_cell), ledger_row(身份证号=ID_BOY[:15] + "000", 出生日期=None)
    )
    assert staged["id_number"].isna().all()
    assert staged["id_status"].tolist() == ["excel_mangled", "suspect_zeroed"]
    assert staged.loc[4, "id_candidate"] == ID_BOY[:15] + "000"
    assert pd.isna(staged.loc[4, "birth_date"])  # not taken from a number that cannot be trusted


def test_birth_date_and_sex_come_from_the_number_when_the_row_has_none(tmp_path):
    _, staged = ledger(tmp_path, ledger_row(身份证号=ID_GIRL, 出生日期=None, 性别=None))
    row = staged.loc[3]
    assert (row["birth_date"], row["birth_date_from_id"], row["sex"]) == (pd.Timestamp("2016-04-05"),) * 2 + (
        "F",
    )


def test_lunar_birthday_keeps_both_dates(tmp_path):
    _, staged = ledger(tmp_path, ledger_row(出生日期="2015-01-20"))
    assert staged.loc[3, "birth_date"] == pd.Timestamp("2015-01-20")
    assert staged.loc[3, "birth_date_from_id"] == pd.Timestamp("2015-03-02")


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("cell", "name", "norm"),
    [
        ("张 三", "张三", "张三"),
        ("ＡＢ", "AB", "AB"),
        ("張偉", "张伟", "张伟"),
        ("阿牛•木呷", "阿牛·木呷", "阿牛木呷"),
        ("阿牛.木呷", "阿牛·木呷", "阿牛木呷"),
        ("阿牛．木呷", "阿牛·木呷", "阿牛木呷"),
        ("阿牛木呷", "阿牛木呷", "阿牛木呷"),
    ],
)
def test_name_forms(tmp_path, cell, name, norm):
    _, staged = ledger(tmp_path, ledger_row(儿童姓名=cell))
    assert (staged.loc[3, "name"], staged.loc[3, "name_norm"]) == (name, norm)


def test_homophone_typos_meet_on_pinyin(tmp_path):
    _, staged = ledger(tmp_path, ledger_row(儿童姓名="张伟"), ledger_row(儿童姓名="張瑋"))
    assert staged["name_pinyin"].tolist() == ["zhangwei", "zhangwei"]
    assert staged["name_pinyin_folded"].tolist() == ["zangwei", "zangwei"]
    assert staged[["surname_pinyin", "given_pinyin"]].iloc[0].tolist() == ["zhang", "wei"]


# ---------------------------------------------------------------- dates, sex, ethnicity


@pytest.mark.parametrize(
    "cell",
    [
        "2015-03-02",
        "2015/3/2",
        "2015.03.02",
        "20150302",
        "2015年3月2日",
        42065,
        "42065",
        datetime(2015, 3, 2),
    ],
)
def test_date_forms(tmp_path, cell):
    _, staged = ledger(tmp_path, ledger_row(出生日期=cell))
    assert staged.loc[3, "birth_date"] == pd.Timestamp("2015-03-02")
    assert staged.loc[3, "flags"] is None


def test_unreadable_date_is_null_and_flagged(tmp_path):
    _, staged = ledger(tmp_path, ledger_row(出生日期="2015-02-30", 建档日期="去年"))
    assert staged.loc[3, "birth_date"] == pd.Timestamp("2015-03-02")  # from the number
    assert staged.loc[3, "flags"] == "birth_date:invalid_date,file_opened:invalid_date"


@pytest.mark.parametrize(("cell", "sex"), [("男", "M"), ("女", "F"), ("1", "M"), ("2", "F"), (2, "F")])
def test_sex_forms(tmp_path, cell, sex):
    _, staged = ledger(tmp_path, ledger_row(性别=cell))
    assert staged.loc[3, "sex"] == sex


@pytest.mark.parametrize(
    ("cell", "name"), [("汉族", "汉族"), ("汉", "汉族"), ("01", "汉族"), ("07", "彝族"), ("20", "傈僳族")]
)
def test_ethnicity_forms(tmp_path, cell, name):
    _, staged = ledger(tmp_path, ledger_row(民族=cell))
    assert staged.loc[3, "ethnicity"] == name


# ---------------------------------------------------------------- duplicates


def test_same_child_twice_in_one_extract_gets_two_keys(tmp_path):
    _, staged = ledger(tmp_path, ledger_row(), ledger_row(序号=2))
    keys = staged["record_key"].tolist()
    assert keys[0] != keys[1]
    assert keys[0].rsplit("-", 1)[0] == keys[1].rsplit("-", 1)[0]
    assert [k.rsplit("-", 1)[1] for k in keys] == ["1", "2"]


def test_record_key_survives_the_row_moving(tmp_path):
    _, before = ledger(tmp_path / "a", ledger_row(), ledger_row(儿童姓名="李四", 身份证号=ID_GIRL))
    _, after = ledger(
        tmp_path / "b",
        ledger_row(儿童姓名="王五", 身份证号=None),
        ledger_row(儿童姓名="李四", 身份证号=ID_GIRL),
        ledger_row(),
        title=False,
    )
    assert before.set_index("name")["record_key"]["张三"] == after.set_index("name")["record_key"]["张三"]
    assert before.set_index("name")["record_key"]["李四"] == after.set_index("name")["record_key"]["李四"]


def test_same_file_dropped_twice_is_quarantined_as_a_duplicate(tmp_path):
    rows = [LEDGER_HEADER, ledger_row(), ledger_row(儿童姓名="李四")]
    inbox = tmp_path / "inbox"
    first = write_xlsx(inbox / "civil_affairs_children" / "台账202605.xlsx", rows)
    (inbox / "civil_affairs_children" / "台账202605(2).xlsx").write_bytes(first.read_bytes())
    result = read_and_stage_inbox(inbox, AS_OF, 7)
    assert len(result.staged) == 2
    assert result.quarantine["reason"].tolist() == ["duplicate of 台账202605(2).xlsx"] * 2
    assert result.quarantine["source_file"].eq("台账202605.xlsx").all()


def test_headerless_file_is_quarantined_whole(tmp_path):
    result = run(
        tmp_path, {"health_conditions/登记.xlsx": [["张三", ID_BOY, "B20"], ["李四", ID_GIRL, "C91"]]}
    )
    assert result.staged.empty
    assert (
        result.quarantine["reason"].tolist()
        == ["no header row recognisable as health_conditions in 登记.xlsx"] * 2
    )
    assert result.quarantine["source_row"].tolist() == [1, 2]


# ---------------------------------------------------------------- region


@pytest.mark.parametrize("cell", ["仁和区", "仁和", "攀枝花市仁和区", "510411", 510411])
def test_county_forms(tmp_path, cell):
    _, staged = ledger(tmp_path, ledger_row(区县=cell))
    assert staged.loc[3, "county_code"] == "510411"


def test_unknown_county_is_null_and_flagged(tmp_path):
    _, staged = ledger(tmp_path, ledger_row(区县="成都市"))
    assert staged.loc[3, "county_code"] is None
    assert staged.loc[3, "flags"] == "county_code:unparsed"


@pytest.mark.parametrize(
    ("township", "village", "expected"),
    [
        ("大田镇", "大田村", ("大田", "大田", "village", "rural")),
        ("大田", "大田村委会", ("大田", "大田", "village", "rural")),
        ("炳草岗街道", "炳草岗社区居委会", ("炳草岗", "炳草岗", "community", "urban")),
        ("炳草岗街道办事处", "炳草岗社区", ("炳草岗", "炳草岗", "community", "urban")),
        ("大田镇", "大田", ("大田", "大田", None, None)),
    ],
)
def test_place_drift_and_resident_hukou(tmp_path, township, village, expected):
    _, staged = ledger(
        tmp_path, ledger_row(**{"乡镇（街道）": township, "村（社区）": village, "户口性质": "居民户口"})
    )
    assert tuple(staged.loc[3, ["township", "village", "village_kind", "hukou"]]) == expected


# ---------------------------------------------------------------- unseen layouts


def test_a_village_named_without_suffix_takes_the_kind_other_rows_name(tmp_path):
    """大田 alone says nothing; 大田村 on another row of the same township does. 新华,
    a 村 in one row and a 社区 in another, stays unknown, and so does a stem no row names."""
    rows = [
        ledger_row(**{"村（社区）": "大田村"}),
        ledger_row(**{"村（社区）": "大田", "户口性质": "居民户口"}),
        ledger_row(**{"乡镇（街道）": "同德镇", "村（社区）": "大田", "户口性质": "居民户口"}),
        ledger_row(**{"村（社区）": "新华村"}),
        ledger_row(**{"村（社区）": "新华社区"}),
        ledger_row(**{"村（社区）": "新华", "户口性质": "居民户口"}),
    ]
    _, staged = ledger(tmp_path, *rows)
    assert staged["village_kind"].tolist() == ["village", "village", None, "village", "community", None]
    assert staged.loc[4, "hukou"] == "rural"
    assert staged.loc[5, "hukou"] is None and staged.loc[8, "hukou"] is None


def test_a_merged_townships_old_name_becomes_the_current_one(tmp_path):
    """务本乡 was merged into 仁和镇: its villages (three) are all named under 仁和, which
    names more. 同德, sharing only two of them, keeps its name; so does 金江, whose three
    are names that 平地 gives its villages too (common names say nothing)."""
    town = lambda township, village: ledger_row(**{"乡镇（街道）": township, "村（社区）": village})  # noqa: E731
    common = ("新华村", "团结村", "红星村")
    rows = [town("仁和镇", v) for v in ("大田村", "龙山村", "石门村", "沙坝村", "河口村", *common)]
    rows += [town("务本乡", v) for v in ("大田村", "龙山村", "石门村")]
    rows += [town("同德镇", v) for v in ("沙坝村", "河口村")]
    rows += [town("金江镇", v) for v in common] + [town("平地镇", v) for v in common]
    _, staged = ledger(tmp_path, *rows)
    assert staged["township"].tolist() == ["仁和"] * 11 + ["同德"] * 2 + ["金江"] * 3 + ["平地"] * 3


def test_unseen_layout_still_stages(tmp_path):
    header = [
        "备用",
        "性 别",
        "出生\n年月",
        "证件号码",
        "姓名",
        "参保地",
        "年度",
        "资助类型",
        "资助金额（元）",
        "参保状态",
        "经办机构",
    ]
    rows = [
        ["导出时间：2026-05-01 10:00"],
        header,
        [
            "x",
            "女",
            "2016/4/5",
            ID_GIRL,
            "李四",
            "仁和区",
            "2026.0",
            "全额资助(孤儿)",
            "380",
            "参保缴费",
            "某局",
        ],
    ]
    result = run(tmp_path, {"health_insurance/参保明细.csv": rows}, writer=write_csv)
    row = result.staged.iloc[0]
    assert (row["name"], row["id_number"], row["sex"], row["county_code"]) == ("李四", ID_GIRL, "F", "510411")
    assert (row["insurance_year"], row["insurance_subsidy"], row["insurance_subsidy_amount"], row["insurance_status"]) == (
        2026, "full_orphan", 380.0, "paid",
    )  # fmt: skip
    assert row["role"] == "child"


def test_old_xls_from_an_office_stages(tmp_path):
    result = run(
        tmp_path,
        {"civil_affairs_children/台账.xls": [LEDGER_HEADER, ledger_row(出生日期=42065.0)]},
        writer=write_xls,
    )
    assert result.staged.iloc[0]["birth_date"] == pd.Timestamp("2015-03-02")


# ---------------------------------------------------------------- each extract's coding


def test_ledger_coding(tmp_path):
    _, staged = ledger(
        tmp_path,
        ledger_row(
            **{
                "儿童类别": "孤儿、农村留守儿童；其他困境儿童",
                "父亲姓名": "张大",
                "父亲身份证号": ID_FATHER,
                "父亲状况": "服刑在押",
                "母亲状况": "外出务工",
                "实际监护人": "张爷爷",
                "监护人与儿童关系": "祖父",
                "监护人联系电话": "139 1234 5678",
                "是否单独居住": "否",
                "基本生活费（元/月）": "1,200",
                "建档日期": "2020/1/5",
            }
        ),  # fmt: skip
        ledger_row(
            **{
                "儿童类别": "孤儿,外星儿童",
                "父亲身份证号": wrong_check(ID_FATHER),
                "父亲状况": "很好",
                "出生日期": "2006-01-01",
            }
        ),
    )
    first, second = staged.loc[3], staged.loc[4]
    assert first["ledger_categories"] == "orphan,left_behind,other"
    assert (first["father_id"], first["father_status"], first["mother_status"]) == (
        ID_FATHER,
        "prison",
        "away",
    )
    assert (first["guardian_name"], first["guardian_relation"], first["guardian_phone"]) == (
        "张爷爷",
        "grandfather",
        "13912345678",
    )
    assert (first["lives_alone"], first["living_allowance"], first["file_opened"]) == (
        False,
        1200.0,
        pd.Timestamp("2020-01-05"),
    )
    assert (second["ledger_categories"], second["father_id"], second["living_allowance"]) == (
        "orphan",
        None,
        0.0,
    )
    assert (
        second["flags"]
        == "ledger_categories:unknown_value,father_id:bad_check_digit,father_status:unknown_value"
    )
    assert second["role"] == "child"  # the ledger's rows are children even aged out


def test_assistance_roster_gb18030(tmp_path):
    header = [
        "区县",
        "乡镇（街道）",
        "村（社区）",
        "家庭编号",
        "救助类别",
        "户主姓名",
        "户主身份证号",
        "成员姓名",
        "成员身份证号",
        "与户主关系",
        "月救助金额（元）",
        "审批日期",
    ]
    base = ["东区", "炳草岗街道", "炳草岗社区", "A001", "城市低保", "王大", ID_ADULT]
    rows = [
        header,
        base + [None, None, "本人", "600", "2024-01-01"],
        base + ["王小", ID_GIRL, "女", "600", ""],
        base + ["王妻", None, "配偶", "600", ""],
        base + ["王二", None, "子", "600", ""],
        # A 15-digit legacy number is an adult's (sources.md), whatever the relation.
        base + ["王三", "510402750302001", "子", "600", ""],
    ]
    inbox = tmp_path / "inbox"
    write_csv(inbox / "civil_affairs_assistance" / "救助.csv", rows, encoding="gb18030")
    staged = read_and_stage_inbox(inbox, AS_OF, 7).staged.set_index("source_row")
    assert (staged.loc[2, "name"], staged.loc[2, "id_number"], staged.loc[2, "role"]) == (
        "王大",
        ID_ADULT,
        "adult",
    )
    assert staged["household_id"].eq("civil_affairs_assistance:A001").all()
    assert staged["assistance_type"].eq("urban_dibao").all()
    assert staged["relationship"].tolist() == ["head", "daughter", "spouse", "son", "son"]
    assert staged["role"].tolist() == ["adult", "child", "adult", "undetermined", "adult"]
    assert staged.loc[3, "head_id"] == ID_ADULT
    # The roster has no 性别: the number says it, and without one 子 says male.
    assert staged["sex"].tolist()[1:4] == ["F", None, "M"]


def test_poverty_roster(tmp_path):
    header = [
        "县（市、区）",
        "乡（镇）",
        "行政村",
        "户编号",
        "姓名",
        "证件号码",
        "性别",
        "民族",
        "与户主关系",
        "在校生状况",
        "健康状况",
        "务工状况",
        "是否参加城乡居民基本医疗保险",
        "户类型",
    ]
    rows = [header, ["盐边县", "红格镇", "红格", 5104220001.0, "李大", ID_ADULT, "男", "彝族", "户主", "非在校生", "长期慢性病", "省外务工", "是", "脱贫户"],
            ["盐边县", "红格镇", "红格", 5104220001.0, "李小", ID_BOY, "男", "彝族", "孙子", "小学三年级", "健康", None, "是", "脱贫户"]]  # fmt: skip
    staged = run(tmp_path, {"poverty_households/扶贫.xlsx": rows}).staged
    assert staged["household_id"].tolist() == ["poverty_households:5104220001"] * 2
    assert staged["village_kind"].tolist() == ["village", "village"]
    assert staged["school_status"].tolist() == ["not_in_school", "primary"]
    assert staged["grade"].tolist()[1] == 3  # 小学三年级: linkage reads the child's age from it
    assert pd.isna(staged["grade"].iloc[0])
    assert staged["health_status"].tolist() == ["chronic", "healthy"]
    assert staged["work_status"].tolist() == ["out_of_province", None]
    assert staged["poverty_household_type"].eq("lifted").all() and staged["insured_flag"].all()
    assert staged["role"].tolist() == ["adult", "child"]


def test_disability_certificate_carries_the_identity(tmp_path):
    header = [
        "姓名",
        "性别",
        "出生日期",
        "民族",
        "残疾人证号",
        "身份证号",
        "残疾类别",
        "残疾等级",
        "孤独症",
        "康复服务状况",
        "困境儿童帮扶金（元/月）",
        "在校残疾学生生活补助（元/年）",
        "发证日期",
    ]
    header.append("户籍地址")
    rows = [header, ["张三", "男", None, "汉族", ID_BOY + "42", None, None, None, "否", "未享受", 100, None, "2021-05-01", "攀枝花市西区格里坪镇"],
            ["李四", "女", "2016-04-05", "汉族", ID_GIRL + "62", ID_GIRL, "精神残疾", "一级", "是", "已享受", 200, 1000, None]]  # fmt: skip
    staged = run(tmp_path, {"disability_certificates/残联.xlsx": rows}).staged
    assert staged["id_number"].tolist() == [ID_BOY, ID_GIRL]
    assert staged["birth_date"].tolist() == [pd.Timestamp("2015-03-02"), pd.Timestamp("2016-04-05")]
    assert staged["disability_category"].tolist() == [4, 6]
    assert staged["disability_grade"].tolist() == [2, 1]
    assert staged["autism"].tolist() == [False, True]
    assert staged["rehab_received"].tolist() == [False, True]
    assert staged["disability_allowance"].tolist() == [100.0, 200.0]
    # The extract has no 区县 column: the address gives it.
    assert staged["county_code"].tolist() == ["510403", None]
    assert staged["township"].tolist() == ["格里坪", None]


def test_education_student_number_and_school_coding(tmp_path):
    header = [
        "学校标识码",
        "学校名称",
        "学校所在区县",
        "学段",
        "年级",
        "班级",
        "全国学籍号",
        "姓名",
        "性别",
        "出生日期",
        "民族",
        "身份证件类型",
        "身份证件号",
        "就读方式",
        "是否留守儿童",
        "是否孤儿",
        "是否残疾",
        "是否建档立卡贫困户",
        "学籍状态",
        "监护人姓名",
        "监护人关系",
        "监护人联系电话",
        "寄宿生生活补助（元/年）",
    ]
    rows = [header, ["3151000001", "某中学", "米易县", "初中", "八年级", "2班", "G" + ID_BOY, "张三", "男", "20150302", "汉族", "居民身份证", None, "住校", "是", "否", "是", "否", "在读", "张大", "父亲", "13900000000", 1250],
            ["3151000002", "某幼儿园", "米易县", "学前", "大班", "1班", "L1234", "李四", "女", "2020-01-01", "汉族", "无", None, "走读", "否", "否", "否", "是", "休学", None, None, None, None]]  # fmt: skip
    staged = run(
        tmp_path,
        {"education_students/学籍.csv": rows},
        writer=lambda p, r: write_csv(p, r, encoding="utf-8-sig"),
    ).staged
    assert staged["id_number"].tolist() == [ID_BOY, None]
    assert staged["school_stage"].tolist() == ["junior", "preschool"]
    assert staged["grade"].tolist() == [2, 3]
    assert staged["boarding"].tolist() == ["boarding", "day"]
    assert staged["enrolment_status"].tolist() == ["enrolled", "suspended"]
    assert staged["school_flags"].tolist() == ["left_behind,disabled", "poor"]
    assert staged["county_code"].eq("510421").all()
    assert (staged["guardian_relation"].iloc[0], staged["boarding_subsidy"].iloc[0]) == ("father", 1250.0)


def test_health_conditions(tmp_path):
    header = [
        "患者姓名",
        "身份证号",
        "性别",
        "出生日期",
        "现住址",
        "监护人姓名",
        "诊断编码",
        "诊断名称",
        "确诊日期",
        "年度个人自付医疗费用（元）",
        "是否达到大病保险起付线",
        "家庭医生签约状态",
    ]
    rows = [
        header,
        [
            "张三",
            ID_BOY,
            "男",
            "2015-03-02",
            "某地",
            "张大",
            "b20.1",
            "HIV病",
            "2020-01-01",
            "25,000",
            "是",
            "未签约",
        ],
    ]
    row = run(tmp_path, {"health_conditions/卫健.xlsx": rows}).staged.iloc[0]
    assert (
        row["diagnosis_code"],
        row["out_of_pocket"],
        row["reaches_deductible"],
        row["family_doctor_signed"],
    ) == ("B20.1", 25000.0, True, False)


def test_staff_roster_is_not_persons(tmp_path):
    rows = [
        ["区县", "乡镇（街道）", "村（社区）", "姓名", "职务", "联系电话"],
        ["仁和区", "大田镇", "大田村", "周六", "儿童督导员", "13800000000"],
        ["仁和区", "大田镇", None, "吴七", "乡镇儿童工作人员", None],
    ]
    result = run(tmp_path, {"civil_affairs_staff/名册.xlsx": rows})
    assert result.staged.empty and result.quarantine.empty
    assert list(result.staff.columns) == STAFF.column_names
    assert result.staff["role"].tolist() == ["supervisor", "township_worker"]
    assert result.staff.iloc[0].tolist() == [
        "510411",
        "大田",
        "大田",
        "village",
        "周六",
        "supervisor",
        "13800000000",
    ]
    assert "civil_affairs_staff" not in result.missing
    assert result.counts["civil_affairs_staff"]["rows_staged"] == 2


def test_stage_takes_raw_rows_read_back_from_a_warehouse(tmp_path):
    inbox = tmp_path / "inbox"
    write_xlsx(inbox / "civil_affairs_children" / "台账.xlsx", [LEDGER_HEADER, ledger_row()])
    raw = read_inbox(inbox, 7).raw
    raw = raw.assign(cells=[json.loads(c) for c in raw["cells"]]).sample(frac=1, random_state=1)
    staged, quarantine = stage(raw, AS_OF, 7)
    assert staged["name"].tolist() == ["张三"] and quarantine.empty
    assert stage_staff(raw).empty


# ---------------------------------------------------------------- personal data stays out of logs


def test_no_name_id_or_phone_in_logs_or_reasons(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    inbox = tmp_path / "inbox"
    secret = ["保密人", ID_GIRL, "13712345678"]
    write_xlsx(
        inbox / "civil_affairs_children" / "台账.xlsx",
        [
            LEDGER_HEADER,
            ledger_row(儿童姓名=secret[0], 身份证号=secret[1], 监护人联系电话=secret[2]),
            ledger_row(儿童姓名=None, 身份证号=wrong_check(ID_GIRL)),
        ],
    )
    write_xlsx(inbox / "health_conditions" / "无表头.xlsx", [secret])
    (inbox / "disability_certificates").mkdir()
    (inbox / "disability_certificates" / "坏.xlsx").write_bytes(b"PK\x03\x04" + "保密人".encode())
    result = read_and_stage_inbox(inbox, AS_OF, 7)
    assert len(result.quarantine) == 2
    texts = caplog.text + " ".join(result.quarantine["reason"]) + str(result.counts)
    for value in secret + [wrong_check(ID_GIRL)]:
        assert value not in texts


def test_certificate_with_a_mistyped_number_keeps_it_as_a_candidate(tmp_path):
    header = ["姓名", "性别", "残疾人证号", "身份证号", "残疾类别", "残疾等级"]
    rows = [header, ["张三", "男", wrong_check(ID_BOY) + "5", None, None, None]]
    row = run(tmp_path, {"disability_certificates/残联.xlsx": rows}).staged.iloc[0]
    assert (row["id_number"], row["id_candidate"], row["id_status"]) == (
        None,
        wrong_check(ID_BOY),
        "bad_check_digit",
    )
    assert (row["disability_category"], row["flags"]) == (5, "id_number:bad_check_digit")
    assert pd.isna(row["disability_grade"])
