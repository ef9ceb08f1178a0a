"""The synthetic city: files as the contract describes them, truth that covers every row,
the mess at the rates configured, and a truth engine that follows policy.md."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from stdnum.cn import ric

from synth import default_rates, write_city
from synth.config import merged_rates
from synth.truth import derive, written_id_usable

AS_OF = date(2026, 11, 30)

# The headers of shared/spec/sources.md (and policy.md for the staff roster), in order.
HEADERS = {
    "civil_affairs_children": "序号 区县 乡镇（街道） 村（社区） 儿童姓名 性别 民族 身份证号 出生日期 户口性质 儿童类别 父亲姓名 "
    "父亲身份证号 父亲状况 母亲姓名 母亲身份证号 母亲状况 实际监护人 监护人与儿童关系 监护人联系电话 是否单独居住 "
    "基本生活费（元/月） 建档日期 备注",
    "civil_affairs_assistance": "区县 乡镇（街道） 村（社区） 家庭编号 救助类别 户主姓名 户主身份证号 成员姓名 成员身份证号 "
    "与户主关系 月救助金额（元） 审批日期",
    "poverty_households": "县（市、区） 乡（镇） 行政村 户编号 姓名 证件号码 性别 民族 与户主关系 在校生状况 健康状况 务工状况 "
    "是否参加城乡居民基本医疗保险 户类型",
    "disability_certificates": "姓名 性别 出生日期 民族 残疾人证号 身份证号 残疾类别 残疾等级 孤独症 户籍地址 户口性质 监护人姓名 "
    "监护人联系电话 康复服务状况 困境儿童帮扶金（元/月） 在校残疾学生生活补助（元/年） 发证日期",
    "education_students": "学校标识码 学校名称 学校所在区县 学段 年级 班级 全国学籍号 姓名 性别 出生日期 民族 身份证件类型 "
    "身份证件号 户口性质 户口所在地 现住址 就读方式 是否留守儿童 是否孤儿 是否残疾 残疾类型 是否建档立卡贫困户 学籍状态 "
    "监护人姓名 监护人关系 监护人联系电话 寄宿生生活补助（元/年）",
    "health_insurance": "参保地行政区划 姓名 公民身份号码 性别 出生日期 缴费年度 参保状态 个人缴费金额（元） 资助类别 资助金额（元） "
    "大病保险",
    "health_conditions": "患者姓名 身份证号 性别 出生日期 现住址 监护人姓名 诊断编码 诊断名称 确诊日期 "
    "年度个人自付医疗费用（元） 是否达到大病保险起付线 家庭医生签约状态",
    "civil_affairs_staff": "区县 乡镇（街道） 村（社区） 姓名 职务 联系电话",
}
HEADERS = {k: v.split() for k, v in HEADERS.items()}
SELF_ID = {
    "civil_affairs_children": "身份证号",
    "civil_affairs_assistance": "成员身份证号",
    "poverty_households": "证件号码",
    "disability_certificates": "身份证号",
    "education_students": "身份证件号",
    "health_insurance": "公民身份号码",
    "health_conditions": "身份证号",
}
ROW_MESS = [
    "id_lower_x",
    "id_fullwidth",
    "id_spaces",
    "id_apostrophe",
    "id_bad_check",
    "id_blank",
    "id_excel_float",
    "id_zeroed",
    "id_legacy15",
    "id_in_certificate",
    "name_spaces",
    "name_fullwidth",
    "name_traditional",
    "name_homophone",
    "name_separator",
    "date_text",
    "date_serial",
    "date_lunar",
    "sex_code",
    "sex_blank",
    "ethnicity_short",
    "ethnicity_code",
    "county_short",
    "county_prefixed",
    "county_code",
    "township_suffix",
    "township_old",
    "village_suffix",
    "village_committee",
    "dup_row",
    "dup_file",
]
CATEGORIES = "orphan hiv serious_illness severe_disability extreme_hardship poor_family left_behind distressed disabled"
ALERTS = """living_allowance_missing disability_allowance_missing disability_allowance_underpaid hardship_unregistered
orphan_unregistered medical_insurance_missing insurance_subsidy_missing rehabilitation_missing family_doctor_unsigned
not_in_school dropout boarding_subsidy_missing boarding_subsidy_underpaid disabled_student_subsidy_missing
left_behind_unregistered left_behind_unsupervised aged_out"""


@pytest.fixture(scope="module")
def small_city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    write_city(out, children=1_500, seed=7, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def medium_city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("medium")
    write_city(out, children=6_000, seed=3, as_of=AS_OF)
    return out


def truth(city: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(city / "truth" / f"{name}.csv", dtype=str, keep_default_na=False)


def read_file(city: Path, info: pd.Series) -> dict[str, list[list[str]]]:
    """Every sheet of an inbox file as rows of cell text, row 1 first ('' for an empty cell)."""
    path = city / "inbox" / info["source_system"] / info["source_file"]
    if info["format"] == "csv":
        text = path.read_bytes().decode(info["encoding"])
        sep = "\t" if info["separator"] == "tab" else ","
        return {"": list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))}
    if info["format"] == "xlsx":
        wb = load_workbook(path)
        return {ws.title: [[_text(v) for v in row] for row in ws.iter_rows(values_only=True)] for ws in wb}
    wb = CalamineWorkbook.from_path(str(path))
    return {
        s: [[_text(v) for v in row] for row in wb.get_sheet_by_name(s).to_python(skip_empty_area=False)]
        for s in wb.sheet_names
    }


def header_of(rows: list[list[str]], source: str) -> list[str] | None:
    """The sheet's header row, line breaks and bracket widths normalised; None on a notes sheet."""
    for row in rows:
        normal = [c.replace("\n", "").replace("(", "（").replace(")", "）") for c in row]
        if HEADERS[source][0] in normal and HEADERS[source][1] in normal:
            return normal
    return None


def _text(v) -> str:
    return "" if v is None else str(v)


def test_same_seed_same_city_and_another_seed_another(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    counts = write_city(a, children=500, seed=11, as_of=AS_OF)
    assert write_city(b, children=500, seed=11, as_of=AS_OF) == counts
    write_city(c, children=500, seed=12, as_of=AS_OF)
    for name in ("records", "children", "categories", "alerts", "layout", "files", "organisation"):
        assert (a / "truth" / f"{name}.csv").read_bytes() == (b / "truth" / f"{name}.csv").read_bytes(), name
    assert (a / "truth" / "children.csv").read_bytes() != (c / "truth" / "children.csv").read_bytes()
    files = truth(a, "files")
    for _, info in files.iterrows():
        assert read_file(a, info) == read_file(b, info), info["source_file"]


def test_no_dependence_on_hash_randomisation(tmp_path):
    """Two interpreters with different string-hash seeds write the same truth."""
    script = (
        "import sys; from datetime import date; from synth import write_city; "
        "write_city(sys.argv[1], children=300, seed=5, as_of=date(2026, 11, 30))"
    )
    for name, hash_seed in (("a", "1"), ("b", "2")):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", script, str(tmp_path / name)], check=True, env=env)
    for name in ("records", "children", "categories", "alerts", "layout"):
        assert (tmp_path / "a" / "truth" / f"{name}.csv").read_bytes() == (
            tmp_path / "b" / "truth" / f"{name}.csv"
        ).read_bytes(), name


def test_every_folder_has_the_contract_headers(small_city):
    files = truth(small_city, "files")
    layout = truth(small_city, "layout")
    assert set(files["source_system"]) == set(HEADERS)
    for _, info in files.iterrows():
        sheets = read_file(small_city, info)
        header = layout[(layout["source_file"] == info["source_file"]) & (layout["kind"] == "header")]
        assert len(header) == 1, info["source_file"]
        row = sheets[header["source_sheet"].iat[0]][int(header["source_row"].iat[0]) - 1]
        cells = [c.replace("\n", "").replace("(", "（").replace(")", "）") for c in row if c != ""]
        assert cells == HEADERS[info["source_system"]], info["source_file"]


YES_NO = "是 否"
RELATIVES = "父亲 母亲 祖父 祖母 外祖父 外祖母 叔伯 姑姑 舅舅 姨妈 其他亲属"
STATUSES = "正常 外出务工 死亡 失踪 服刑在押 强制隔离戒毒 重残 重病 被撤销监护资格 无监护能力 不详"
NUMERALS = list("一二三四五六七八九")
VOCABULARY = {  # header -> the values sources.md allows (blank always allowed)
    "性别": "男 女 1 2",
    "户口性质": "农业户口 非农业户口 居民户口",
    "父亲状况": STATUSES,
    "母亲状况": STATUSES,
    "监护人与儿童关系": RELATIVES,
    "监护人关系": RELATIVES,
    "是否单独居住": YES_NO,
    "救助类别": "城市低保 农村低保 特困供养 低保边缘家庭",
    "在校生状况": " ".join(
        ["学前教育", "七年级", "八年级", "九年级", "中职", "非在校生", "辍学"]
        + [f"小学{n}年级" for n in NUMERALS[:6]]
        + [f"高中{n}年级" for n in NUMERALS[:3]]
    ),
    "健康状况": "健康 长期慢性病 患有大病 残疾",
    "务工状况": "未务工 乡（镇）内务工 乡（镇）外县内务工 县外省内务工 省外务工",
    "是否参加城乡居民基本医疗保险": YES_NO,
    "户类型": "建档立卡贫困户 脱贫户 监测对象",
    "残疾类别": "视力残疾 听力残疾 言语残疾 肢体残疾 智力残疾 精神残疾 多重残疾",
    "残疾等级": "一级 二级 三级 四级 1 2 3 4",
    "孤独症": YES_NO,
    "康复服务状况": "已享受 未享受",
    "学段": "学前 小学 初中 高中 中职 特殊教育",
    "年级": " ".join([f"{n}年级" for n in NUMERALS] + ["高一", "高二", "高三", "小班", "中班", "大班"]),
    "身份证件类型": "居民身份证 港澳台居民居住证 护照 无",
    "就读方式": "走读 住校 送教上门",
    "是否留守儿童": YES_NO,
    "是否孤儿": YES_NO,
    "是否残疾": YES_NO,
    "是否建档立卡贫困户": YES_NO,
    "学籍状态": "在读 休学 辍学 转出 毕业",
    "参保状态": "参保缴费 暂停参保 终止参保 未缴费",
    "资助类别": "全额资助（特困） 全额资助（孤儿） 全额资助（低保） 全额资助（脱贫/监测） 部分资助 无",
    "大病保险": YES_NO,
    "是否达到大病保险起付线": YES_NO,
    "家庭医生签约状态": "已签约 未签约",
    "职务": "儿童督导员 儿童主任 乡镇儿童工作人员",
}
RELATIONSHIPS = "配偶 子 女 孙子 孙女 外孙子 外孙女 兄弟姐妹 其他"
LEDGER_LABELS = "孤儿 事实无人抚养儿童 艾滋病病毒感染儿童 重病重残儿童 贫困家庭儿童 农村留守儿童 其他困境儿童"


def test_coded_columns_use_the_contract_vocabulary(small_city):
    records = truth(small_city, "records")
    data = set(
        zip(records["source_file"], records["source_sheet"], records["source_row"].astype(int), strict=True)
    )
    for _, info in truth(small_city, "files").iterrows():
        vocabulary = {h: set(v.split()) for h, v in VOCABULARY.items()}
        head = "本人" if info["source_system"] == "civil_affairs_assistance" else "户主"
        vocabulary["与户主关系"] = {head, *RELATIONSHIPS.split()}
        for sheet, rows in read_file(small_city, info).items():
            header = header_of(rows, info["source_system"])
            for i, row in enumerate(rows, start=1):
                if (info["source_file"], sheet if info["format"] != "csv" else "", i) not in data:
                    continue
                cells = dict(zip(header, row, strict=False))
                for column, allowed in vocabulary.items():
                    value = cells.get(column, "")
                    assert value == "" or value in allowed, (info["source_file"], i, column)
                for label in re.split("[、，;]", cells.get("儿童类别", "")):
                    assert label == "" or label in LEDGER_LABELS.split(), (info["source_file"], i)
                if "全国学籍号" in cells:
                    assert cells["全国学籍号"][0] in "GL"


def test_truth_covers_every_row_of_every_file_once(small_city):
    records = truth(small_city, "records")
    layout = truth(small_city, "layout")
    files = truth(small_city, "files")
    assert not records.duplicated(["source_file", "source_sheet", "source_row"]).any()
    for _, info in files.iterrows():
        name = info["source_file"]
        mine = records[(records["source_system"] == info["source_system"]) & (records["source_file"] == name)]
        assert len(mine) == int(info["data_rows"])
        kinds = {(s, int(r)): "data" for s, r in zip(mine["source_sheet"], mine["source_row"], strict=True)}
        lay = layout[(layout["source_system"] == info["source_system"]) & (layout["source_file"] == name)]
        for s, r, k in zip(lay["source_sheet"], lay["source_row"], lay["kind"], strict=True):
            assert (s, int(r)) not in kinds, (name, s, r)
            kinds[(s, int(r))] = k
        for sheet, rows in read_file(small_city, info).items():
            for i, row in enumerate(rows, start=1):
                kind = kinds.pop((sheet, i), None)
                filled = any(c.strip() for c in row)
                assert kind is not None or not filled, (name, sheet, i)
                assert filled == (kind not in (None, "blank")), (name, sheet, i, kind)
        assert not kinds, (name, sorted(kinds)[:3])


def test_every_kind_of_mess_occurs_at_default_rates(medium_city):
    records = truth(medium_city, "records")
    seen = {code for mess in records["mess"] if mess for code in mess.split(",")}
    assert set(ROW_MESS) <= seen, sorted(set(ROW_MESS) - seen)
    files = truth(medium_city, "files")
    assert set(files["format"]) == {"xlsx", "xls", "csv"}
    assert {"utf-8", "utf-8-sig", "gb18030"} <= set(files["encoding"])
    assert {"comma", "tab"} <= set(files["separator"])
    assert {"0", "1", "2"} <= set(files["title_rows"])
    assert {"canonical", "halfwidth", "linebreak"} <= set(files["header_style"])
    assert {"cell", "iso", "chinese"} <= set(files["date_style"])
    for flag in ("merged_title", "footer", "notes_sheet", "cover_sheet", "old_township_names"):
        assert "True" in set(files[flag]), flag
    assert (files["duplicate_of"] != "").any()
    assert (~files["sheet"].isin(["", "Sheet1"])).any()
    assert {"title", "header", "blank", "footer", "notes"} <= set(truth(medium_city, "layout")["kind"])


def test_identity_numbers_valid_where_not_messed_and_spoilt_where_messed(medium_city):
    records = truth(medium_city, "records").set_index(["source_file", "source_sheet", "source_row"])
    children = truth(medium_city, "children").set_index("person_id")
    files = truth(medium_city, "files")
    checked = spoilt = 0
    for _, info in files[files["source_system"].isin(SELF_ID)].iterrows():
        for sheet, rows in read_file(medium_city, info).items():
            header = header_of(rows, info["source_system"])
            if header is None:
                continue  # a notes or cover sheet
            col = header.index(SELF_ID[info["source_system"]])
            for i, row in enumerate(rows, start=1):
                key = (info["source_file"], sheet if info["format"] != "csv" else "", str(i))
                if key not in records.index:
                    continue
                rec = records.loc[key]
                cell, codes = row[col], set(rec["mess"].split(","))
                own = {c for c in codes if c.startswith("id_")}
                if not own:
                    checked += 1
                    if rec["person_id"] in children.index:
                        assert cell == children.at[rec["person_id"], "id_number"], key
                    assert cell == "" or valid(cell), key
                    continue
                spoilt += 1
                assert not valid(cell) or "id_zeroed" in own, (key, own)
                if "id_fullwidth" in own:
                    assert any("０" <= ch <= "９" for ch in cell)
                if "id_apostrophe" in own:
                    assert cell.startswith("'")
                if "id_legacy15" in own:
                    assert len(cell) == 15 and cell.isdigit()
                if "id_blank" in own or "id_in_certificate" in own:
                    assert cell == ""
                if "id_excel_float" in own:
                    assert "E+17" in cell.upper() or "e+17" in cell
    assert checked > 1000 and spoilt > 50


def valid(number: str) -> bool:
    """A well-formed, valid 18-character number as written (no spaces, half-width, upper-case X)."""
    return re.fullmatch(r"[0-9]{17}[0-9X]", number) is not None and ric.is_valid(number)


def test_twins_share_parents_and_birthday_not_names(small_city):
    children = truth(small_city, "children")
    twins = children[children["twin_group"] != ""].groupby("twin_group")
    assert len(twins) > 0
    for _, pair in twins:
        assert len(pair) == 2
        assert pair["birth_date"].nunique() == 1 and pair["mother_id"].nunique() == 1
        assert pair["name"].nunique() == 2


def test_children_ids_encode_county_birth_and_sex(small_city):
    children = truth(small_city, "children")
    with_id = children[children["id_number"] != ""]
    assert 0.9 < len(with_id) / len(children) < 1
    for _, c in with_id.iterrows():
        number = c["id_number"]
        assert valid(number)
        assert number[:6] == c["county_code"]
        assert number[6:14] == c["birth_date"].replace("-", "")
        assert (int(number[16]) % 2 == 1) == (c["sex"] == "M")


def test_records_name_the_true_person_and_whether_a_child(small_city):
    records = truth(small_city, "records")
    children = truth(small_city, "children").set_index("person_id")
    kids = records[records["person_id"].str.startswith("C")]
    age = kids["person_id"].map(lambda p: _age(children.at[p, "birth_date"]))
    assert ((age < 18) == (kids["is_child"] == "true")).all()
    assert (records.loc[~records["person_id"].str.startswith("C"), "is_child"] == "false").all()
    ledger = records[records["source_system"] == "civil_affairs_children"]
    assert (ledger["is_child"] == "false").any()  # the aged-out still on the ledger


def _age(birth: str) -> int:
    b = date.fromisoformat(birth)
    return AS_OF.year - b.year - ((AS_OF.month, AS_OF.day) < (b.month, b.day))


def test_rates_come_from_yaml_and_overrides_apply(tmp_path):
    assert default_rates()["dup_row"] > 0
    with pytest.raises(KeyError):
        merged_rates({"no_such_rate": 1.0})
    write_city(tmp_path, children=400, seed=2, as_of=AS_OF, rates={"dup_row": 0.0, "file_duplicate": 0.0})
    records = truth(tmp_path, "records")
    assert not records["mess"].str.contains("dup_").any()
    assert (truth(tmp_path, "files")["duplicate_of"] == "").all()


def test_default_city_holds_every_category_and_alert(tmp_path):
    counts = write_city(tmp_path, children=20_000, seed=1, as_of=AS_OF)
    assert 35_000 < sum(counts.values()) < 60_000
    categories = truth(tmp_path, "categories")
    alerts = truth(tmp_path, "alerts")
    assert set(CATEGORIES.split()) == set(categories["category"])
    assert set(ALERTS.split()) == set(alerts["alert"])
    assert (categories["category"] == "hiv").sum() >= 15
    assert (categories["category"] == "serious_illness").sum() >= 30
    org = truth(tmp_path, "organisation")
    assert {"township_without_staff", "village_without_supervisor"} == set(org["gap"])


# ------------------------------------------------------------------ the truth engine on hand-made extracts
COLUMNS = {
    "civil_affairs_children": [
        "person_id",
        "id_number",
        "labels",
        "living_allowance",
        "lives_alone",
        "guardian_name",
        "guardian_relation",
        "father_pid",
        "father_status",
        "mother_pid",
        "mother_status",
    ],
    "civil_affairs_assistance": ["person_id", "id_number", "assistance_type", "household_no", "relationship"],
    "poverty_households": [
        "person_id",
        "id_number",
        "household_no",
        "relationship",
        "school_status",
        "work_status",
    ],
    "disability_certificates": [
        "person_id",
        "id_number",
        "grade",
        "category",
        "autism",
        "rehab",
        "allowance",
        "student_subsidy",
    ],
    "education_students": [
        "person_id",
        "id_number",
        "status",
        "stage",
        "grade",
        "boarding",
        "boarding_subsidy",
    ],
    "health_insurance": ["person_id", "id_number", "year", "status", "subsidy"],
    "health_conditions": ["person_id", "id_number", "dx_code", "reaches", "out_of_pocket", "family_doctor"],
}


def derived(rows: dict[str, list[dict]], births: dict[str, str], rural: tuple[str, ...] = ()):
    frames = {
        s: pd.DataFrame(
            rows.get(s, []), columns=cols + sorted({k for r in rows.get(s, []) for k in r} - {*cols})
        )
        for s, cols in COLUMNS.items()
    }
    for frame in frames.values():
        frame["id_number"] = frame["id_number"].fillna("510411000000000000")
    kids = pd.DataFrame({"person_id": list(births), "birth": pd.to_datetime(list(births.values()))})
    kids["rural"] = kids["person_id"].isin(rural)
    policy = {
        "child_age": 18,
        "left_behind_age": 16,
        "compulsory_school_entry_age": 6,
        "rehabilitation_max_age": 6,
        "deductible": 20000,
        "hiv_code_prefixes": ["B20", "B21", "B22", "B23", "B24", "Z21"],
        "rehabilitation_categories": [1, 2, 3, 4, 5, 7],
        "disability_allowance": {"dibao": 200, "low_income": 100, "other": 50},
        "boarding_subsidy": {"primary": 1000, "junior": 1250},
        "disabled_student_subsidy": 1000,
    }
    cats, alerts = derive(frames, kids, policy, AS_OF)
    return (
        {p: set(g["category"]) for p, g in cats.groupby("person_id")},
        {p: set(g["alert"]) for p, g in alerts.groupby("person_id")},
    )


def paid(pid: str, year: int = 2026, subsidy: str = "none") -> dict:
    return {"person_id": pid, "year": str(year), "status": "paid", "subsidy": subsidy}


def enrolled(pid: str) -> dict:
    return {"person_id": pid, "status": "enrolled", "stage": "primary", "grade": 3, "boarding": "day"}


def test_grandchildren_have_no_parents_from_a_roster():
    roster = [
        {"person_id": "A1", "household_no": "h1", "relationship": "head", "work_status": "out_of_province"},
        {"person_id": "A2", "household_no": "h1", "relationship": "spouse", "work_status": "province"},
        {"person_id": "C1", "household_no": "h1", "relationship": "son", "school_status": "小学三年级"},
        {"person_id": "G1", "household_no": "h2", "relationship": "head", "work_status": "none"},
        {"person_id": "A3", "household_no": "h2", "relationship": "son", "work_status": "out_of_province"},
        {"person_id": "A4", "household_no": "h2", "relationship": "other", "work_status": "out_of_province"},
        {"person_id": "C2", "household_no": "h2", "relationship": "grandson", "school_status": "小学三年级"},
    ]
    births = {"C1": "2017-05-01", "C2": "2017-05-01"}
    cats, alerts = derived(
        {
            "poverty_households": roster,
            "education_students": [enrolled("C1"), enrolled("C2")],
            "health_insurance": [paid("C1", subsidy="full_poverty"), paid("C2", subsidy="full_poverty")],
        },
        births,
        rural=("C1", "C2"),
    )
    assert cats["C1"] == {"poor_family", "distressed", "left_behind"}
    assert alerts["C1"] == {"left_behind_unregistered"}
    assert cats["C2"] == {"poor_family", "distressed"}
    assert "C2" not in alerts


def test_school_age_turns_on_31_august_and_dropout_replaces_not_in_school():
    births = {"on": "2020-08-31", "after": "2020-09-01", "poor_dropout": "2014-02-02", "back": "2014-02-02"}
    roster = [
        {"person_id": p, "household_no": p, "relationship": "head", "school_status": "辍学"}
        for p in ("poor_dropout", "back")
    ]
    cats, alerts = derived(
        {
            "poverty_households": roster,
            "education_students": [enrolled("back")],
            "health_insurance": [paid(p, subsidy="full_poverty") for p in births],
        },
        births,
    )
    assert alerts["on"] == {"not_in_school"}
    assert "after" not in alerts
    assert alerts["poor_dropout"] == {"dropout"}
    assert "back" not in alerts


def test_insurance_of_another_year_does_not_count_and_full_subsidy_is_due():
    births = {"last_year": "2015-01-01", "partial": "2015-01-01"}
    assistance = [
        {"person_id": p, "household_no": p, "relationship": "head", "assistance_type": "rural_dibao"}
        for p in births
    ]
    cats, alerts = derived(
        {
            "civil_affairs_assistance": assistance,
            "education_students": [enrolled(p) for p in births],
            "health_insurance": [paid("last_year", 2025, "full_dibao"), paid("partial", 2026, "partial")],
        },
        births,
    )
    assert alerts["last_year"] == {"medical_insurance_missing"}
    assert alerts["partial"] == {"insurance_subsidy_missing"}


def test_ledger_labels_ages_and_parents():
    births = {"old_lb": "2010-06-01", "orphan": "2012-01-01", "inferred": "2012-01-01", "aged": "2008-05-05"}
    base = {
        "living_allowance": 0.0,
        "lives_alone": False,
        "guardian_name": "某某",
        "guardian_relation": "grandmother",
    }
    ledger = [
        {
            **base,
            "person_id": "old_lb",
            "labels": "left_behind",
            "father_pid": "F1",
            "father_status": "away",
            "mother_pid": "M1",
            "mother_status": "away",
        },
        {**base, "person_id": "orphan", "labels": "orphan", "living_allowance": 1300.0},
        {
            **base,
            "person_id": "inferred",
            "labels": "other",
            "father_pid": "F2",
            "father_status": "dead",
            "mother_pid": "M2",
            "mother_status": "missing",
        },
        {**base, "person_id": "aged", "labels": "poor"},
    ]
    tekun = [{"person_id": "orphan", "household_no": "t", "relationship": "head", "assistance_type": "tekun"}]
    cats, alerts = derived(
        {
            "civil_affairs_children": ledger,
            "civil_affairs_assistance": tekun,
            "education_students": [enrolled(p) for p in births],
            "health_insurance": [paid(p, subsidy="full_orphan") for p in births],
        },
        births,
        rural=tuple(births),
    )
    assert "old_lb" not in cats and alerts["old_lb"] == {"aged_out"}
    assert cats["orphan"] == {"orphan", "distressed"}  # a 特困 member, but an orphan first
    assert "orphan" not in alerts
    assert cats["inferred"] == {"orphan", "distressed"}
    assert alerts["inferred"] == {"orphan_unregistered", "living_allowance_missing"}
    assert alerts["aged"] == {"aged_out"} and "aged" not in cats


def test_disability_allowance_tier_and_serious_illness_by_cost():
    births = {"edge": "2019-03-03", "costly": "2012-03-03", "said_no": "2012-03-03"}
    cert = [
        {
            "person_id": "edge",
            "grade": 2,
            "category": 4,
            "autism": False,
            "rehab": True,
            "allowance": 50.0,
            "student_subsidy": 1000.0,
        }
    ]
    low_income = [
        {"person_id": "edge", "household_no": "e", "relationship": "head", "assistance_type": "low_income"}
    ]
    health = [
        {
            "person_id": "costly",
            "dx_code": "C91.0",
            "reaches": None,
            "out_of_pocket": 20000.0,
            "family_doctor": False,
        },
        {
            "person_id": "said_no",
            "dx_code": "E10.9",
            "reaches": False,
            "out_of_pocket": 25000.0,
            "family_doctor": False,
        },
    ]
    cats, alerts = derived(
        {
            "disability_certificates": cert,
            "civil_affairs_assistance": low_income,
            "health_conditions": health,
            "education_students": [enrolled(p) for p in births],
            "health_insurance": [paid(p, subsidy="partial") for p in births],
        },
        births,
    )
    assert cats["edge"] == {"severe_disability", "disabled", "distressed"}
    assert alerts["edge"] == {"disability_allowance_underpaid"}
    assert cats["costly"] == {"serious_illness", "distressed"}
    assert alerts["costly"] == {"family_doctor_unsigned"}
    assert "said_no" not in cats and "said_no" not in alerts


def test_a_roster_row_without_a_usable_number_as_written_makes_nobody_a_child():
    """registry.md: a roster row has no birth date but its number's; one without a usable
    number is a child's only when joined to a child's records. A child known only from
    such rows is not in the registry, so not in the truth; with any dated row it is."""
    births = {"roster_only": "2015-01-01", "also_at_school": "2015-01-01", "usable": "2015-01-01"}
    assistance = [
        {
            "person_id": p,
            "household_no": p,
            "relationship": "son",
            "assistance_type": "rural_dibao",
            "id_usable": ok,
        }
        for p, ok in (("roster_only", False), ("also_at_school", False), ("usable", True))
    ]
    cats, alerts = derived(
        {"civil_affairs_assistance": assistance, "education_students": [enrolled("also_at_school")]}, births
    )
    assert "roster_only" not in cats and "roster_only" not in alerts
    assert cats["also_at_school"] == {"poor_family", "distressed"}
    assert cats["usable"] == {"poor_family", "distressed"}


def test_written_id_usable_follows_the_spoiling_and_the_zeroed_tail():
    clean = pd.Series(
        ["510411201501010012", "510411201501010012", "510411201501011000", "", None, "51041120150101001X"]
    )
    mess = pd.Series(
        ["id_fullwidth,name_spaces", "date_text,id_zeroed", "", "", "", "other_id_blank,id_lower_x"]
    )
    assert written_id_usable(clean, mess).tolist() == [True, False, False, False, False, True]
    for code in ("id_blank", "id_bad_check", "id_excel_float", "id_legacy15"):
        assert not written_id_usable(clean[:1], pd.Series([code])).iat[0]


def test_truth_knows_no_child_whose_only_rows_are_rosters_without_a_usable_number(tmp_path):
    """With numbers spoilt often and few children insured or at school (so many are known
    from rosters alone), every child the truth categorises has a row that dates it: a row
    of a dated extract, or a roster row whose own number survives as written."""
    spoil = {"id_blank": 0.3, "id_zeroed": 0.2, "id_excel_float": 0.1, "id_bad_check": 0.1}
    unseen = {
        "insured": 0.0,
        "insurance_previous_year": 0.0,
        "compulsory_no_row": 0.9,
        "preschool_enrolled": 0.0,
    }
    write_city(tmp_path, children=1_500, seed=4, as_of=AS_OF, rates=spoil | unseen)
    records = truth(tmp_path, "records")
    kids = truth(tmp_path, "children").set_index("person_id")
    roster = records["source_system"].isin(["civil_affairs_assistance", "poverty_households"])
    own = records["mess"].str.split(",").map(lambda codes: {c for c in codes if c.startswith("id_")})
    spoilt = own.map(
        lambda codes: bool(codes & {"id_blank", "id_zeroed", "id_excel_float", "id_bad_check", "id_legacy15"})
    )
    number = records["person_id"].map(kids["id_number"]).fillna("")
    dates = ~roster | (~spoilt & number.ne("") & ~number.str.endswith("000"))
    dated = set(records.loc[dates, "person_id"])
    categorised = set(truth(tmp_path, "categories")["person_id"]) | set(
        truth(tmp_path, "alerts")["person_id"]
    )
    roster_only = set(records.loc[roster, "person_id"]) - set(records.loc[~roster, "person_id"])
    assert roster_only & set(kids.index) - dated, "the spoil rates leave some roster-only child undated"
    assert categorised <= dated


def test_one_parent_and_the_other_means_two_parents():
    """policy.md: "one parent is 死亡/失踪 and the other unable", "one works away and the other
    is unable". A parent recorded dead on one ledger row and in prison on a sibling's (or
    away on a roster and ill on the ledger) is one parent: with the other parent well,
    that is no pair. A parent away and ill beside an unable one still makes both pairs."""
    births = {"c1": "2015-01-01", "c2": "2016-01-01", "c3": "2015-01-01", "c4": "2015-01-01"}
    base = {
        "living_allowance": 0.0,
        "lives_alone": False,
        "guardian_name": "某某",
        "guardian_relation": "grandmother",
    }

    def ledger(pid: str, father: str, father_status: str, mother: str, mother_status: str) -> dict:
        return {
            **base,
            "person_id": pid,
            "labels": "other",
            "father_pid": father,
            "father_status": father_status,
            "mother_pid": mother,
            "mother_status": mother_status,
        }

    rows = [
        ledger("c1", "F1", "dead", "M1", "normal"),
        ledger("c2", "F1", "prison", "M1", "normal"),
        ledger("c3", "F3", "ill", "M3", "normal"),
        ledger("c4", "F4", "ill", "M4", "prison"),
    ]
    poverty = [
        {"person_id": "F3", "household_no": "h3", "relationship": "head", "work_status": "out_of_province"},
        {"person_id": "M3", "household_no": "h3", "relationship": "spouse", "work_status": "none"},
        {"person_id": "c3", "household_no": "h3", "relationship": "son", "school_status": "小学三年级"},
        {"person_id": "F4", "household_no": "h4", "relationship": "head", "work_status": "out_of_province"},
        {"person_id": "M4", "household_no": "h4", "relationship": "spouse", "work_status": "none"},
        {"person_id": "c4", "household_no": "h4", "relationship": "son", "school_status": "小学三年级"},
    ]
    cats, _ = derived(
        {
            "civil_affairs_children": rows,
            "poverty_households": poverty,
            "education_students": [enrolled(p) for p in births],
            "health_insurance": [paid(p, subsidy="full_poverty") for p in births],
        },
        births,
        rural=tuple(births),
    )
    assert "extreme_hardship" not in cats.get("c1", set()) | cats.get("c2", set())
    assert "left_behind" not in cats["c3"]
    assert {"extreme_hardship", "left_behind"} <= cats["c4"]


def test_aged_out_needs_a_category_on_the_ledger():
    """policy.md: "registered by civil affairs as a child category whose age limit has
    passed" — a ledger row naming no 儿童类别 has no limit to pass (the engine reads it so)."""
    births = {"labelled": "2008-05-05", "unlabelled": "2008-05-05"}
    base = {
        "living_allowance": 0.0,
        "lives_alone": False,
        "guardian_name": "某某",
        "guardian_relation": "grandmother",
    }
    ledger = [
        {**base, "person_id": "labelled", "labels": "poor"},
        {**base, "person_id": "unlabelled", "labels": ""},
    ]
    _, alerts = derived({"civil_affairs_children": ledger}, births)
    assert alerts["labelled"] == {"aged_out"}
    assert "unlabelled" not in alerts
