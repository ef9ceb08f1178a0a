"""The extract mappings cover the contract's headers, generously, and are checked on load."""

from __future__ import annotations

import pytest

from ingest.config import load_mappings, parse_mapping

# Every header of sources.md, per extract, and the field it fills (None: kept in the raw row only).
CONTRACT = {
    "civil_affairs_children": {
        "序号": "row_counter", "区县": "county_code", "乡镇（街道）": "township", "村（社区）": "village",
        "儿童姓名": "name", "性别": "sex", "民族": "ethnicity", "身份证号": "id_number", "出生日期": "birth_date",
        "户口性质": "hukou", "儿童类别": "ledger_categories", "父亲姓名": "father_name", "父亲身份证号": "father_id",
        "父亲状况": "father_status", "母亲姓名": "mother_name", "母亲身份证号": "mother_id", "母亲状况": "mother_status",
        "实际监护人": "guardian_name", "监护人与儿童关系": "guardian_relation", "监护人联系电话": "guardian_phone",
        "是否单独居住": "lives_alone", "基本生活费（元/月）": "living_allowance", "建档日期": "file_opened", "备注": None,
    },
    "civil_affairs_assistance": {
        "区县": "county_code", "乡镇（街道）": "township", "村（社区）": "village", "家庭编号": "household_number",
        "救助类别": "assistance_type", "户主姓名": "head_name", "户主身份证号": "head_id", "成员姓名": "name",
        "成员身份证号": "id_number", "与户主关系": "relationship", "月救助金额（元）": "assistance_amount", "审批日期": None,
    },
    "poverty_households": {
        "县（市、区）": "county_code", "乡（镇）": "township", "行政村": "village", "户编号": "household_number",
        "姓名": "name", "证件号码": "id_number", "性别": "sex", "民族": "ethnicity", "与户主关系": "relationship",
        "在校生状况": "school_status", "健康状况": "health_status", "务工状况": "work_status",
        "是否参加城乡居民基本医疗保险": "insured_flag", "户类型": "poverty_household_type",
    },
    "disability_certificates": {
        "姓名": "name", "性别": "sex", "出生日期": "birth_date", "民族": "ethnicity", "残疾人证号": "certificate_number",
        "身份证号": "id_number", "残疾类别": "disability_category", "残疾等级": "disability_grade", "孤独症": "autism",
        "户籍地址": "address", "户口性质": "hukou", "监护人姓名": "guardian_name", "监护人联系电话": "guardian_phone",
        "康复服务状况": "rehab_received", "困境儿童帮扶金（元/月）": "disability_allowance",
        "在校残疾学生生活补助（元/年）": "disabled_student_subsidy", "发证日期": "certificate_date",
    },
    "education_students": {
        "学校标识码": "school_id", "学校名称": None, "学校所在区县": "county_code", "学段": "school_stage", "年级": "grade",
        "班级": None, "全国学籍号": "student_number", "姓名": "name", "性别": "sex", "出生日期": "birth_date",
        "民族": "ethnicity", "身份证件类型": None, "身份证件号": "id_number", "户口性质": "hukou", "户口所在地": "address",
        "现住址": "address", "就读方式": "boarding", "是否留守儿童": "school_flags.left_behind", "是否孤儿": "school_flags.orphan",
        "是否残疾": "school_flags.disabled", "残疾类型": None, "是否建档立卡贫困户": "school_flags.poor",
        "学籍状态": "enrolment_status", "监护人姓名": "guardian_name", "监护人关系": "guardian_relation",
        "监护人联系电话": "guardian_phone", "寄宿生生活补助（元/年）": "boarding_subsidy",
    },
    "health_insurance": {
        "参保地行政区划": "county_code", "姓名": "name", "公民身份号码": "id_number", "性别": "sex", "出生日期": "birth_date",
        "缴费年度": "insurance_year", "参保状态": "insurance_status", "个人缴费金额（元）": None,
        "资助类别": "insurance_subsidy", "资助金额（元）": "insurance_subsidy_amount", "大病保险": None,
    },
    "health_conditions": {
        "患者姓名": "name", "身份证号": "id_number", "性别": "sex", "出生日期": "birth_date", "现住址": "address",
        "监护人姓名": "guardian_name", "诊断编码": "diagnosis_code", "诊断名称": "diagnosis_name", "确诊日期": "diagnosis_date",
        "年度个人自付医疗费用（元）": "out_of_pocket", "是否达到大病保险起付线": "reaches_deductible",
        "家庭医生签约状态": "family_doctor_signed",
    },
    "civil_affairs_staff": {
        "区县": "county_code", "乡镇（街道）": "township", "村（社区）": "village", "姓名": "name", "职务": "role",
        "联系电话": "phone",
    },
}  # fmt: skip


@pytest.mark.parametrize("source", sorted(CONTRACT))
def test_every_contract_header_names_its_field(source):
    mapping = load_mappings()[source]
    assert {h: mapping.field_of(h) for h in CONTRACT[source]} == CONTRACT[source]
    assert mapping.recognises(f for f in CONTRACT[source].values() if f)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("乡镇(街道)", "township"),
        ("乡镇\n（街道）", "township"),
        ("乡镇（街道）：", "township"),
        ("身份证号码", "id_number"),
        ("公民身份号码", "id_number"),
        ("证件号码", "id_number"),
        ("身份证号（18位）", "id_number"),
        ("*姓 名", "name"),
        ("基本生活费(元)", "living_allowance"),
        ("出生年月", "birth_date"),
        ("参保地", None),
    ],
)
def test_header_spellings_offices_use(header, field):
    assert load_mappings()["civil_affairs_children"].field_of(header) == field


def test_a_county_export_is_onboarded_by_yaml(tmp_path):
    mapping = parse_mapping(
        """
source_system: civil_affairs_children
population: ledger
columns:
  name: {aliases: [受助儿童]}
  living_allowance: {parser: amount, default: 0, aliases: [每月生活费]}
"""
    )
    assert mapping.field_of("受助儿童") == "name"
    assert mapping.field_of("每月生活费") == "living_allowance"


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ("a: {parser: text, aliases: [甲]}\n  b: {parser: text, aliases: [甲]}", "names both"),
        ("a: {parser: telepathy, aliases: [甲]}", "unknown parser"),
        ("a: {parser: code, values: nowhere, aliases: [甲]}", "unknown vocabulary"),
        ("a: {parser: code, values: sex, also: {grade: nowhere}, aliases: [甲]}", "unknown vocabulary"),
        ("a: {parser: code, values: sex, also: {gradez: sex}, aliases: [甲]}", "not a staged column"),
        ("a: {parser: text, aliases: [NO]}", "quoted strings"),
    ],
)
def test_a_broken_mapping_fails_on_load(columns, message):
    with pytest.raises(ValueError, match=message):
        parse_mapping(f"source_system: x\npopulation: children\ncolumns:\n  {columns}\n")
