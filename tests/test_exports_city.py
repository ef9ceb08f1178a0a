"""A small synthetic city for the export tests: registry frames as the warehouse holds them.

Built to the table declarations (warehouse.tables), not to any generator. It holds
hiv and serious_illness children whose alerts are restricted, sharing villages and
sheets with other distressed children, so the leak tests have something to find.
The test below guards that: a city without those cases would let the leak tests pass
vacuously.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from reports.texts import AlertText
from warehouse.tables import CHILD_CATEGORIES, CHILDREN, GAP_ALERTS

DEPARTMENTS = {
    "civil_affairs": "市民政局",
    "disabled_federation": "市残联",
    "human_resources": "市人力资源社会保障局",
    "poverty_office": "市扶贫移民局",
    "education": "市教育体育局",
    "health": "市卫生计生委",
    "public_security": "市公安局",
    "county_government": "各县（区）政府",
}
PRIVILEGED = {"health", "civil_affairs"}

TEXTS = {
    "living_allowance_missing": AlertText(
        "孤儿基本生活费未发放", "核实后按月发放基本生活费", ("civil_affairs", "county_government")
    ),
    "medical_insurance_missing": AlertText(
        "困境儿童未参加基本医保",
        "协助参保并落实参保资助",
        ("human_resources", "civil_affairs", "poverty_office", "disabled_federation"),
    ),
    "insurance_subsidy_missing": AlertText(
        "困境儿童参保资助未落实", "按类别落实参保资助", ("human_resources", "civil_affairs", "poverty_office")
    ),
    "family_doctor_unsigned": AlertText("困境儿童未签约家庭医生", "安排家庭医生签约服务", ("health",)),
    "not_in_school": AlertText("适龄儿童未入学", "核实情况，动员入学", ("education", "county_government")),
    "dropout": AlertText("适龄儿童辍学", "控辍保学，劝返复学", ("education", "county_government")),
    "left_behind_unsupervised": AlertText(
        "留守儿童无人有效监护",
        "落实委托监护，定期走访",
        ("county_government", "public_security", "civil_affairs"),
    ),
    "disability_allowance_missing": AlertText(
        "重残儿童帮扶金未发放",
        "核实后发放困境儿童帮扶金",
        ("civil_affairs", "disabled_federation", "county_government"),
    ),
    "left_behind_unregistered": AlertText(
        "留守儿童未登记", "入户核实后登记建档", ("civil_affairs", "county_government")
    ),
}

SYNC_DATES = {1: date(2026, 1, 31), 2: date(2026, 2, 28)}
CURRENT_SYNC = 2

# Words and codes that would tell a non-health reader a child is ill or infected.
RESTRICTED_TERMS = [
    "艾滋",
    "HIV",
    "hiv",
    "重病",
    "大病",
    "serious_illness",
    "B20",
    "Z21",
    "C91",
    "白血病",
    "诊断",
]

# child_id: (name, sex, county, township, village, categories as code:basis)
_CHILDREN = {
    "H1": ("阿牛木呷", "F", "510411", "大田", "大田村", "hiv:registered distressed:registered"),
    "H2": ("赵子涵", "M", "510421", "攀莲", "安宁村", "hiv:inferred distressed:inferred"),
    "H3": ("钱思远", "M", "510402", "银江", "沙坝社区", "hiv:registered distressed:registered"),
    "S1": ("孙雨桐", "F", "510411", "大田", "大田村", "serious_illness:inferred distressed:inferred"),
    "S2": ("李浩然", "M", "510421", "丙谷", "丙谷村", "serious_illness:inferred distressed:inferred"),
    "S3": ("周梓萱", "F", "510411", "仁和", "联合村", "serious_illness:inferred distressed:inferred"),
    "O1": ("吴俊熙", "M", "510411", "大田", "大田村", "orphan:registered distressed:registered"),
    "O2": ("郑可馨", "F", "510421", "攀莲", "安宁村", "orphan:inferred distressed:inferred"),
    "O3": ("冯宇航", "M", "510402", "银江", "沙坝社区", "orphan:registered distressed:registered"),
    "O4": ("陈诗琪", "F", "510411", "仁和", "联合村", "orphan:registered distressed:registered"),
    "D1": (
        "褚嘉懿",
        "F",
        "510411",
        "大田",
        "大田村",
        "severe_disability:inferred disabled:inferred distressed:inferred",
    ),
    "D2": (
        "卫明轩",
        "M",
        "510421",
        "丙谷",
        "丙谷村",
        "severe_disability:inferred disabled:inferred distressed:inferred",
    ),
    "P1": ("蒋欣怡", "F", "510411", "布德", "布德村", "poor_family:registered distressed:registered"),
    "P2": ("沈博文", "M", "510421", "攀莲", "安宁村", "poor_family:inferred distressed:inferred"),
    "P3": ("韩梦瑶", "F", "510402", "银江", "沙坝社区", "poor_family:inferred distressed:inferred"),
    "L1": ("杨天佑", "M", "510411", "布德", "布德村", "left_behind:registered"),
    "L2": ("朱雅琴", "F", "510421", "丙谷", "丙谷村", "left_behind:inferred"),
    "L3": ("秦子墨", "M", "510411", "仁和", "联合村", "left_behind:inferred"),
    "N1": ("尤佳琪", "F", "510411", "大田", "大田村", ""),
    "N2": ("许泽宇", "M", "510421", "攀莲", "安宁村", ""),
}

# (child_id, alert, departments, restricted, detail, first_raised, status)
_ALERTS = [
    (
        "O1",
        "living_allowance_missing",
        "civil_affairs,county_government",
        False,
        "孤儿基本生活费为0元",
        1,
        "open",
    ),
    (
        "O2",
        "living_allowance_missing",
        "civil_affairs,county_government",
        False,
        "推断孤儿，未在台账",
        2,
        "open",
    ),
    (
        "H1",
        "living_allowance_missing",
        "civil_affairs,county_government",
        True,
        "艾滋病病毒感染儿童（B20）未领取基本生活费",
        1,
        "open",
    ),
    (
        "H2",
        "living_allowance_missing",
        "civil_affairs,county_government",
        True,
        "HIV感染（Z21）儿童无基本生活费",
        2,
        "open",
    ),
    (
        "O3",
        "medical_insurance_missing",
        "human_resources,civil_affairs,poverty_office,disabled_federation",
        False,
        "孤儿无2026年度参保缴费记录",
        1,
        "open",
    ),
    (
        "P1",
        "medical_insurance_missing",
        "human_resources,civil_affairs,poverty_office,disabled_federation",
        False,
        "贫困家庭儿童未参保",
        2,
        "open",
    ),
    (
        "D1",
        "medical_insurance_missing",
        "human_resources,civil_affairs,poverty_office,disabled_federation",
        False,
        "重残儿童未参保",
        2,
        "open",
    ),
    (
        "H3",
        "medical_insurance_missing",
        "human_resources,civil_affairs,poverty_office,disabled_federation",
        True,
        "艾滋病病毒感染儿童未参保",
        1,
        "open",
    ),
    (
        "S1",
        "medical_insurance_missing",
        "human_resources,civil_affairs,poverty_office,disabled_federation",
        True,
        "重病儿童（白血病C91）未参保",
        2,
        "open",
    ),
    (
        "P2",
        "insurance_subsidy_missing",
        "human_resources,civil_affairs,poverty_office",
        False,
        "贫困家庭儿童参保未获全额资助",
        2,
        "open",
    ),
    (
        "S2",
        "insurance_subsidy_missing",
        "human_resources,civil_affairs,poverty_office",
        True,
        "重病儿童达到大病保险起付线，参保无任何资助",
        2,
        "open",
    ),
    ("S3", "family_doctor_unsigned", "health", True, "重病儿童未签约家庭医生（诊断C91.0）", 1, "open"),
    ("N1", "not_in_school", "education,county_government", False, "7周岁，无在读学籍记录", 1, "open"),
    ("H1", "not_in_school", "education,county_government", False, "8周岁，无在读学籍记录", 2, "open"),
    ("S1", "dropout", "education,county_government", True, "因重病休学", 2, "open"),
    ("N2", "dropout", "education,county_government", False, "学籍状态为辍学", 1, "open"),
    (
        "L1",
        "left_behind_unsupervised",
        "county_government,public_security,civil_affairs",
        False,
        "台账记载单独居住",
        1,
        "open",
    ),
    (
        "L2",
        "left_behind_unsupervised",
        "county_government,public_security,civil_affairs",
        True,
        "实际监护人（母亲）重病住院",
        2,
        "open",
    ),
    (
        "D2",
        "disability_allowance_missing",
        "civil_affairs,disabled_federation,county_government",
        False,
        "应发200元/月，实发0元",
        2,
        "open",
    ),
    (
        "L3",
        "left_behind_unregistered",
        "civil_affairs,county_government",
        False,
        "推断留守，未在台账",
        1,
        "resolved",
    ),
    (
        "O4",
        "medical_insurance_missing",
        "human_resources,civil_affairs,poverty_office,disabled_federation",
        False,
        "孤儿未参保",
        1,
        "resolved",
    ),
]


def id_number(serial: int, birth: date, county: str) -> str:
    """A valid GB 11643 number (ISO 7064 MOD 11-2 check digit)."""
    body = f"{county}{birth:%Y%m%d}{serial:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def children() -> pd.DataFrame:
    rows = []
    for i, (cid, (name, sex, county, township, village, _)) in enumerate(_CHILDREN.items()):
        birth = date(2012 + i % 6, 1 + i % 12, 1 + i)
        rows.append(
            {
                "child_id": cid,
                "name": name,
                "sex": sex,
                "birth_date": birth,
                "id_number": id_number(100 + i, birth, county),
                "county_code": county,
                "township": township,
                "village": village,
                "guardian_name": f"监护{name[-1]}{i}",
                "guardian_phone": f"139{81000000 + i * 7919:08d}",
                "n_records": 1 + i % 4,
            }
        )
    return pd.DataFrame(rows).reindex(columns=CHILDREN.column_names)


def categories() -> pd.DataFrame:
    rows = [
        {
            "child_id": cid,
            "category": item.split(":")[0],
            "basis": item.split(":")[1],
            "sync_id": CURRENT_SYNC,
        }
        for cid, spec in _CHILDREN.items()
        for item in spec[5].split()
    ]
    return pd.DataFrame(rows).reindex(columns=CHILD_CATEGORIES.column_names)


def alerts() -> pd.DataFrame:
    kids = children().set_index("child_id")
    rows = []
    for cid, alert, departments, restricted, detail, first, status in _ALERTS:
        rows.append(
            {
                "alert_id": f"{cid}:{alert}",
                "child_id": cid,
                "alert": alert,
                "departments": departments,
                "county_code": kids.loc[cid, "county_code"],
                "township": kids.loc[cid, "township"],
                "village": kids.loc[cid, "village"],
                "detail": detail,
                "evidence": '[{"system": "health_conditions", "file": "hc.xlsx", "row": 3}]',
                "restricted": restricted,
                "first_raised": first,
                "last_seen": CURRENT_SYNC,
                "status": status,
                "resolved_sync": CURRENT_SYNC if status == "resolved" else None,
            }
        )
    # Shuffled, so sorting is the exporter's work, not the fixture's.
    return (
        pd.DataFrame(rows)
        .sample(frac=1, random_state=7)
        .reset_index(drop=True)
        .reindex(columns=GAP_ALERTS.column_names)
    )


def entitlements() -> pd.DataFrame:
    """Living allowance for orphans and hiv children (paid to O1, O3 only); insurance for all."""
    uninsured = {"O3", "P1", "D1", "H3", "S1"}
    rows = [
        (c, "living_allowance", 1000.0, 1000.0 if c in ("O1", "O3") else 0.0, "month") for c in _ALLOWANCE
    ]
    rows += [(c, "medical_insurance", None, None if c in uninsured else 1.0, "year") for c in _CHILDREN]
    return pd.DataFrame(rows, columns=["child_id", "benefit", "expected_amount", "received_amount", "period"])


_ALLOWANCE = ["O1", "O2", "O3", "O4", "H1", "H2", "H3"]
SOURCES = ["civil_affairs_children", "health_insurance", "education_students", "health_conditions"]


def child_records() -> pd.DataFrame:
    """Child i has n_records rows, from the first n sources (so 4-record children are in health data)."""
    kids = children()
    rows = [
        (cid, source, f"{source}:f.xlsx:{k + 2}")
        for cid, n in zip(kids["child_id"], kids["n_records"], strict=True)
        for k, source in enumerate(SOURCES[:n])
    ]
    return pd.DataFrame(rows, columns=["child_id", "source_system", "record_id"])


def staff() -> pd.DataFrame:
    """Supervisors for 大田村 (at the village) and for 攀莲 (at the township); 布德 has a director only."""
    return pd.DataFrame(
        [
            ("510411", "大田", "大田村", "督导甲", "supervisor", "13700000001"),
            ("510421", "攀莲", None, "督导乙", "supervisor", "13700000002"),
            ("510411", "布德", "布德村", "主任丙", "director", "13700000003"),
            ("510411", "仁和", None, "工作丁", "township_worker", "13700000004"),
        ],
        columns=["county_code", "township", "village", "name", "role", "phone"],
    )


def restricted_children() -> set[str]:
    cats = categories()
    return set(cats.loc[cats["category"].isin(["hiv", "serious_illness"]), "child_id"])


def personal_values() -> list[str]:
    """Every name, identity number and phone in the city: none may reach a report."""
    kids = children()
    return [str(v) for col in ("name", "id_number", "guardian_name", "guardian_phone") for v in kids[col]]


def test_city_holds_the_cases_the_leak_tests_need():
    a = alerts()
    restricted = a[a["restricted"] & (a["status"] == "open")]
    reaching_others = restricted[
        restricted["departments"].str.split(",").map(lambda d: bool(set(d) - PRIVILEGED))
    ]
    assert set(reaching_others["alert"]) >= {
        "living_allowance_missing",
        "medical_insurance_missing",
        "dropout",
    }
    assert any(term in d for d in restricted["detail"] for term in RESTRICTED_TERMS)
    assert restricted_children() == {"H1", "H2", "H3", "S1", "S2", "S3"}
