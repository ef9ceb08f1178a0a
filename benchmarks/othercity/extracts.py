"""The seven extracts as clean rows (canonical values, one row per data row to
write), each row carrying its true person (``_pid``) and whether that person is a
child (``_child``). The truth is computed from these rows; ``writer`` then writes
them in a department's messy forms."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from benchmarks.othercity.config import load_config
from benchmarks.othercity.people import GONE, UNABLE, City, whole_years

STATUS_TEXT = {
    "normal": "正常",
    "away": "外出务工",
    "dead": "死亡",
    "missing": "失踪",
    "prison": "服刑在押",
    "drug": "强制隔离戒毒",
    "disabled": "重残",
    "ill": "重病",
    "revoked": "被撤销监护资格",
    "incapable": "无监护能力",
    "unknown": "不详",
}
GRADES_PRIMARY = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]
GRADES_MIDDLE = ["七年级", "八年级", "九年级"]
GRADES_SPECIAL = [*GRADES_PRIMARY, *GRADES_MIDDLE]
GRADES_HIGH = ["高一", "高二", "高三"]
GRADES_VOC = ["一年级", "二年级", "三年级"]
PRESCHOOL = ["小班", "中班", "大班"]
POVERTY_SCHOOL = {
    "学前": "学前教育",
    "小学": ["小学一年级", "小学二年级", "小学三年级", "小学四年级", "小学五年级", "小学六年级"],
    "初中": ["七年级", "八年级", "九年级"],
    "高中": ["高中一年级", "高中二年级", "高中三年级"],
    "中职": "中职",
}
DIS_CATEGORY = ["视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"]
HIV_CODES = [
    ("B20.0", "HIV病导致分枝杆菌感染"),
    ("B23.8", "HIV病导致的其他特指情况"),
    ("B24", "人类免疫缺陷病毒病"),
    ("Z21", "无症状HIV感染状态"),
]
ILL_CODES = [
    ("C91.0", "急性淋巴细胞白血病"),
    ("Q21.0", "室间隔缺损"),
    ("N18.5", "慢性肾脏病5期"),
    ("D61.9", "再生障碍性贫血"),
    ("C71.9", "脑恶性肿瘤"),
    ("E10.9", "1型糖尿病"),
    ("D56.1", "β型地中海贫血"),
    ("Q90.9", "唐氏综合征"),
]


def school_year_start(as_of: dt.date) -> dt.date:
    """The 31 August that opened the school year in force (policy.md, not_in_school)."""
    year = as_of.year if as_of >= dt.date(as_of.year, 9, 1) else as_of.year - 1
    return dt.date(year, 8, 31)


def _choice(rng: np.random.Generator, shares: dict, n: int) -> np.ndarray:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], dtype=float)
    return rng.choice(np.array(keys, dtype=object), size=n, p=p / p.sum())


def children_frame(city: City) -> pd.DataFrame:
    """One row per child person (extras included) with the family's facts and the
    child's latent situation (states the extracts will show)."""
    p, fam = city.persons, city.families.set_index("fam")
    kids = p.loc[p["role"] == "child"].copy()
    f = fam.loc[kids["fam"]]
    for col in (
        "county_code",
        "county_name",
        "township",
        "village",
        "is_village",
        "rural",
        "hukou",
        "f_status",
        "m_status",
        "father",
        "mother",
        "grand",
    ):
        kids[col] = f[col].to_numpy()
    fs, ms = kids["f_status"], kids["m_status"]
    kids["orphan_s"] = fs.isin(GONE) & ms.isin(GONE)
    kids["hard_s"] = ~kids["orphan_s"] & (
        (fs.isin(UNABLE) & ms.isin(UNABLE))
        | (fs.isin(GONE) & ms.isin(UNABLE))
        | (fs.isin(UNABLE) & ms.isin(GONE))
    )
    away = lambda s: s == "away"  # noqa: E731
    kids["lb_s"] = kids["rural"] & (
        (away(fs) & away(ms)) | (away(fs) & ms.isin(UNABLE)) | (fs.isin(UNABLE) & away(ms))
    )
    kids["age_aug"] = whole_years(kids["birth"], school_year_start(city.as_of))
    return kids


def households(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """Which families are on the assistance roster (救助类别) and the poverty roster (户类型)."""
    r = load_config()["rates"]
    fam = city.families.copy()
    n = len(fam)
    fs, ms = fam["f_status"], fam["m_status"]
    no_parent = fs.isin(GONE + UNABLE) & ms.isin(GONE + UNABLE)
    any_unable = fs.isin(UNABLE) | ms.isin(UNABLE)
    u = rng.random(n)
    assist = np.full(n, "", dtype=object)
    assist[no_parent & (u < r["assist_special_if_no_parent"])] = "特困供养"
    free = assist == ""
    dibao_p = np.where(fam["rural"], r["assist_rural_dibao"], r["assist_urban_dibao"]) + np.where(
        any_unable, r["assist_if_unable_parent"], 0
    )
    u2 = rng.random(n)
    assist[free & (u2 < dibao_p)] = np.where(fam["rural"], "农村低保", "城市低保")[free & (u2 < dibao_p)]
    free = assist == ""
    assist[free & (rng.random(n) < r["assist_edge"])] = "低保边缘家庭"
    fam["assist"] = assist
    poverty_p = r["poverty_rural"] + np.where(
        fs.isin(GONE + UNABLE) | ms.isin(GONE + UNABLE), r["poverty_if_hardship"], 0
    )
    is_poor = fam["rural"].to_numpy() & (rng.random(n) < poverty_p)
    fam["poverty"] = np.where(
        is_poor, _choice(rng, {"脱贫户": 0.6, "监测对象": 0.15, "建档立卡贫困户": 0.25}, n), ""
    )
    return fam


def school_states(kids: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Each child's school situation: stage, grade, status of its row(s), boarding."""
    r = load_config()["rates"]["school"]
    n = len(kids)
    age = kids["age_aug"].to_numpy()
    u = rng.random(n)
    stage = np.full(n, "", dtype=object)
    grade = np.full(n, "", dtype=object)
    status = np.full(n, "", dtype=object)  # "" = no row at all
    pre = (age >= 3) & (age <= 5)
    stage[pre & (u < r["preschool"])] = "学前"
    comp = (age >= 6) & (age <= 14)
    high = (age >= 15) & (age <= 17)
    stage[comp] = np.where(age[comp] <= 11, "小学", "初中")
    special = comp & kids["disabled"].to_numpy() & (rng.random(n) < r["special_of_disabled"])
    stage[special] = "特殊教育"
    voc = rng.random(n) < r["vocational"]
    stage[high & (u < r["high"])] = np.where(voc[high & (u < r["high"])], "中职", "高中")
    stage[kids["only"].to_numpy() == "education"] = "高中"
    for s, grades, base in (
        ("学前", PRESCHOOL, 3),
        ("小学", GRADES_PRIMARY, 6),
        ("初中", GRADES_MIDDLE, 12),
        ("特殊教育", GRADES_SPECIAL, 6),
        ("高中", GRADES_HIGH, 15),
        ("中职", GRADES_VOC, 15),
    ):
        m = stage == s
        grade[m] = np.array(grades, dtype=object)[np.clip(age[m] - base, 0, len(grades) - 1)]
    status[stage != ""] = "在读"
    # compulsory-age children who are not on a roll as 在读
    v = rng.random(n)
    edges = np.cumsum(
        [
            r["dropout"],
            r["suspended"],
            r["moved_out"],
            1 - r["compulsory_enrolled"] - r["dropout"] - r["suspended"] - r["moved_out"],
        ]
    )
    compulsory_age = comp | ((age == 15) & (kids["age"].to_numpy() < 16))
    kind = np.searchsorted(edges, v)  # 0 dropout, 1 suspended, 2 moved out, 3 no row, else enrolled
    pick = compulsory_age & (stage != "") & (kind <= 3)
    status[pick & (kind == 0)] = "辍学"
    status[pick & (kind == 1)] = "休学"
    status[pick & (kind == 2)] = "转出"
    no_row = pick & ((kind == 3) | ((kind == 0) & (rng.random(n) < 0.3)))
    dropout = pick & (kind == 0)
    status[no_row] = ""
    # 15-year-olds who finished 九年级 and went nowhere: a 毕业 row
    grad = (age == 15) & (stage == "") & (rng.random(n) < 0.5)
    stage[grad], grade[grad], status[grad] = "初中", "九年级", "毕业"
    out = pd.DataFrame(
        {"stage": stage, "grade": grade, "status": status, "dropout": dropout}, index=kids.index
    )
    b = load_config()["rates"]["boarding"]
    rural = kids["rural"].to_numpy()
    p = np.select(
        [
            (stage == "小学") & rural,
            (stage == "初中") & rural,
            stage == "小学",
            stage == "初中",
            stage == "特殊教育",
            stage == "高中",
        ],
        [b["primary_rural"], b["middle_rural"], b["primary_urban"], b["middle_urban"], 0.3, 0.5],
        0.0,
    )
    out["boarding"] = rng.random(n) < p
    return out


def _dup(frame: pd.DataFrame, rng: np.random.Generator, rate: float | None = None) -> pd.DataFrame:
    """The same person twice in one extract (a staffer's double entry), shuffled in."""
    rate = load_config()["rates"]["duplicate_row"] if rate is None else rate
    twice = frame.loc[rng.random(len(frame)) < rate]
    out = pd.concat([frame, twice], ignore_index=True)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


def _order(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by, kind="stable").reset_index(drop=True)


def build_extracts(city: City, seed: int) -> dict[str, pd.DataFrame]:
    """Clean rows of every extract, keyed by source system code."""
    rng = np.random.default_rng(seed + 1)
    cfg = load_config()
    r = cfg["rates"]
    persons = city.persons.set_index("pid")
    kids = children_frame(city)
    fams = households(city, rng).set_index("fam")
    kids["assist"] = fams.loc[kids["fam"], "assist"].to_numpy()
    kids["poverty"] = fams.loc[kids["fam"], "poverty"].to_numpy()
    in_family = kids["only"] == ""
    kids.loc[~in_family, ["assist", "poverty"]] = ""
    kids["poor"] = kids["poverty"].ne("") | kids["assist"].isin(["城市低保", "农村低保"])
    kids["disabled"] &= kids["id18"].notna()  # no certificate without a number
    school = school_states(kids, rng)
    kids = kids.join(school)
    n = len(kids)
    dis = kids["disabled"].to_numpy()
    kids["dis_cat"] = np.where(dis, rng.choice(7, size=n, p=[0.1, 0.12, 0.08, 0.3, 0.25, 0.1, 0.05]), -1)
    kids["dis_grade"] = np.where(dis, rng.choice([1, 2, 3, 4], size=n, p=[0.15, 0.25, 0.3, 0.3]), 0)
    kids["autism"] = dis & (kids["dis_cat"] == 5) & (rng.random(n) < 0.5)
    # a latent "the offices know this child is in difficulty" for payments
    kids["known_hard"] = (
        kids["orphan_s"]
        | kids["hard_s"]
        | kids["poor"]
        | kids["hiv"]
        | kids["ill"]
        | (dis & (kids["dis_grade"] <= 2))
        | kids["assist"].eq("特困供养")
    )
    out = {
        "civil_affairs_children": ledger(kids, persons, rng, city.as_of),
        "civil_affairs_assistance": assistance(kids, fams, persons, rng),
        "poverty_households": poverty(kids, fams, persons, rng),
        "disability_certificates": disability(kids, persons, rng),
        "education_students": education(kids, persons, rng),
        "health_insurance": insurance(kids, rng, city.as_of),
        "health_conditions": health(kids, persons, rng),
    }
    del r
    return out


def _guardian(kids: pd.DataFrame, persons: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Who actually cares for the child: a present parent, else a grandparent."""
    n = len(kids)
    fs, ms = kids["f_status"].to_numpy(), kids["m_status"].to_numpy()
    name = np.full(n, "", dtype=object)
    rel = np.full(n, "", dtype=object)
    pid = np.full(n, "", dtype=object)
    mum_ok, dad_ok = ms == "normal", fs == "normal"
    pid[mum_ok], rel[mum_ok] = kids["mother"].to_numpy()[mum_ok], "母亲"
    only_dad = ~mum_ok & dad_ok
    pid[only_dad], rel[only_dad] = kids["father"].to_numpy()[only_dad], "父亲"
    rest = ~mum_ok & ~dad_ok
    gmale = persons.loc[kids["grand"], "male"].to_numpy()
    maternal = rng.random(n) < 0.25
    pid[rest] = kids["grand"].to_numpy()[rest]
    rel[rest] = np.where(gmale, np.where(maternal, "外祖父", "祖父"), np.where(maternal, "外祖母", "祖母"))[
        rest
    ]
    # an unable parent named as carer (a lead for left_behind_unsupervised)
    unable_dad = np.isin(fs, UNABLE) & (ms == "away") & (rng.random(n) < 0.3)
    pid[unable_dad], rel[unable_dad] = kids["father"].to_numpy()[unable_dad], "父亲"
    unable_mum = np.isin(ms, UNABLE) & (fs == "away") & (rng.random(n) < 0.3)
    pid[unable_mum], rel[unable_mum] = kids["mother"].to_numpy()[unable_mum], "母亲"
    other = rest & (rng.random(n) < 0.05)
    rel[other] = np.where(rng.random(n) < 0.5, "叔伯", "其他亲属")[other]
    name = persons.loc[pid, "name"].to_numpy()
    phone = persons.loc[pid, "phone"].to_numpy()
    return pd.DataFrame({"g_pid": pid, "g_name": name, "g_rel": rel, "g_phone": phone}, index=kids.index)


def ledger(
    kids: pd.DataFrame, persons: pd.DataFrame, rng: np.random.Generator, as_of: dt.date
) -> pd.DataFrame:
    """民政 困境儿童和农村留守儿童信息台账: children in difficulty, most of the eligible."""
    r = load_config()["rates"]
    n = len(kids)
    u = rng.random(n)
    strong = kids["orphan_s"] | kids["hard_s"] | kids["lb_s"] | kids["hiv"]
    weak = (
        kids["poor"]
        | kids["ill"]
        | kids["disabled"]
        | kids["f_status"].isin(GONE)
        | kids["m_status"].isin(GONE)
    )
    on = (kids["only"] == "") & (
        (strong & (u < r["ledger_register"])) | (~strong & weak & (u < 0.2)) | (u < 0.002)
    )
    on |= kids["only"] == "ledger"
    k = kids.loc[on].copy()
    m = len(k)
    lab = rng.random((m, 5))
    labels: list[list[str]] = [[] for _ in range(m)]
    ok = r["label_correct"]
    for i, row in enumerate(
        k[["orphan_s", "hard_s", "lb_s", "hiv", "poor", "ill", "disabled", "age", "only"]].itertuples(
            index=False
        )
    ):
        got = labels[i]
        if row.only == "ledger":
            got.append(["孤儿", "事实无人抚养儿童", "农村留守儿童", "其他困境儿童"][int(lab[i, 0] * 4)])
            continue
        if row.orphan_s:
            got.append("孤儿" if lab[i, 0] < ok else "其他困境儿童")
        if row.hard_s:
            got.append("事实无人抚养儿童" if lab[i, 0] < ok else "其他困境儿童")
        if row.lb_s and (row.age < 16 or lab[i, 1] < 0.3) and (lab[i, 1] < ok or row.age >= 16):
            got.append("农村留守儿童")
        if row.hiv and lab[i, 2] < 0.9:
            got.append("艾滋病病毒感染儿童")
        if row.poor and lab[i, 3] < 0.7:
            got.append("贫困家庭儿童")
        if (row.ill or row.disabled) and lab[i, 4] < 0.6:
            got.append("重病重残儿童")
        if not got:
            got.append("其他困境儿童")
    k["labels"] = ["、".join(dict.fromkeys(g)) for g in labels]
    k = k.join(_guardian(k, persons, rng))
    lb_like = k["labels"].str.contains("农村留守儿童")
    no_carer = lb_like & (rng.random(m) < 0.05)
    k.loc[no_carer, ["g_name", "g_rel", "g_phone"]] = ""
    k["alone"] = np.where(lb_like & (rng.random(m) < 0.03), "是", "否")
    k["father_name"] = persons.loc[k["father"], "name"].to_numpy()
    k["father_id"] = persons.loc[k["father"], "id18"].to_numpy()
    k["mother_name"] = persons.loc[k["mother"], "name"].to_numpy()
    k["mother_id"] = persons.loc[k["mother"], "id18"].to_numpy()
    k["father_status"] = k["f_status"].map(STATUS_TEXT)
    k["mother_status"] = k["m_status"].map(STATUS_TEXT)
    entitled = k["labels"].str.contains("孤儿|艾滋病") | k["orphan_s"] | k["hiv"]
    paid = rng.random(m) < r["living_allowance_paid"]
    amount = np.where(k["labels"].str.contains("孤儿") | k["orphan_s"], 1350, 1100)
    k["allowance"] = np.where(
        entitled & paid, amount, np.where(k["labels"].str.contains("事实无人抚养"), 1100, 0)
    )
    k["opened"] = [as_of - dt.timedelta(days=int(d)) for d in rng.integers(30, 3000, size=m)]
    k["note"] = rng.choice(
        ["", "", "", "监护人年老体弱", "已纳入重点关注", "外出务工地：浙江", "入户核查"], size=m
    )
    k["_pid"] = k["pid"]
    k["_child"] = True
    return _order(_dup(k, rng), ["county_code", "township", "village"])


def _roster_members(
    kids: pd.DataFrame, fams: pd.DataFrame, persons: pd.DataFrame, col: str, head_word: str, rng
) -> pd.DataFrame:
    """Members of the households on a roster: head, spouse, children, sometimes a grandparent."""
    chosen = fams.loc[fams[col] != ""]
    rows = []
    for fam_id, f in chosen.iterrows():
        fs, ms = f["f_status"], f["m_status"]
        special = f.get("assist", "") == "特困供养" and col == "assist"
        if not special and fs not in GONE:
            head, spouse = f["father"], (f["mother"] if ms not in GONE else None)
        elif not special and ms not in GONE:
            head, spouse = f["mother"], None
        else:
            head, spouse = f["grand"], None
        rows.append((fam_id, head, head_word, "head"))
        if spouse:
            rows.append((fam_id, spouse, "配偶", "spouse"))
        if head != f["grand"] and rng.random() < 0.3:
            rows.append((fam_id, f["grand"], "其他", "grand"))
    frame = pd.DataFrame(rows, columns=["fam", "pid", "relation", "member"])
    members = kids.loc[(kids["only"] == "") & kids["fam"].isin(chosen.index), ["fam", "pid", "male"]]
    heads = frame.loc[frame["member"] == "head"].set_index("fam")["pid"]
    grand_head = heads.loc[members["fam"]].to_numpy() == fams.loc[members["fam"], "grand"].to_numpy()
    maternal = rng.random(len(members)) < 0.3
    rel = np.where(
        grand_head,
        np.where(
            maternal, np.where(members["male"], "外孙子", "外孙女"), np.where(members["male"], "孙子", "孙女")
        ),
        np.where(members["male"], "子", "女"),
    )
    kid_rows = pd.DataFrame(
        {"fam": members["fam"], "pid": members["pid"], "relation": rel, "member": "child"}
    )
    out = pd.concat([frame, kid_rows], ignore_index=True)
    order = {"head": 0, "spouse": 1, "grand": 2, "child": 3}
    out["_o"] = out["member"].map(order)
    out = out.sort_values(["fam", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    out["head_pid"] = heads.loc[out["fam"]].to_numpy()
    p = persons.loc[out["pid"]]
    for c in ("name", "id18", "male", "eth", "birth", "age", "role"):
        out[c] = p[c].to_numpy()
    out["head_name"] = persons.loc[out["head_pid"], "name"].to_numpy()
    out["head_id"] = persons.loc[out["head_pid"], "id18"].to_numpy()
    f = fams.loc[out["fam"]]
    for c in (
        "county_code",
        "county_name",
        "township",
        "village",
        "is_village",
        "f_status",
        "m_status",
        "father",
        "mother",
    ):
        out[c] = f[c].to_numpy()
    out["_pid"] = out["pid"]
    out["_child"] = (out["role"] == "child") & (out["age"] < 18)
    return out


def assistance(kids, fams, persons, rng) -> pd.DataFrame:
    """民政 社会救助对象家庭成员: every member of an assisted household, adults included."""
    out = _roster_members(kids, fams, persons, "assist", "本人", rng)
    out["category"] = fams.loc[out["fam"], "assist"].to_numpy()
    hh_no = {
        f: f"{c}{rng.integers(100, 999)}{f:06d}" for f, c in zip(fams.index, fams["county_code"], strict=True)
    }
    out["household"] = out["fam"].map(hh_no)
    money = {"城市低保": 620, "农村低保": 450, "特困供养": 900, "低保边缘家庭": 0}
    per_hh = out.groupby("fam")["pid"].transform("size")
    out["amount"] = out["category"].map(money) * np.minimum(per_hh, 4)
    out["approved"] = [
        dt.date(2020, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 2400, size=len(out))
    ]
    return out


WORK_AWAY = {"省外务工": 0.6, "县外省内务工": 0.4}
WORK_HOME = {"未务工": 0.4, "乡（镇）内务工": 0.35, "乡（镇）外县内务工": 0.25}


def poverty(kids, fams, persons, rng) -> pd.DataFrame:
    """扶贫 建档立卡人口: every member of a registered poor household (all in a 村)."""
    out = _roster_members(kids, fams, persons, "poverty", "户主", rng)
    n = len(out)
    out["kind"] = fams.loc[out["fam"], "poverty"].to_numpy()
    out["household"] = [f"{c}{fam:08d}" for c, fam in zip(out["county_code"], out["fam"], strict=True)]
    status = np.where(
        out["pid"] == out["father"],
        out["f_status"],
        np.where(out["pid"] == out["mother"], out["m_status"], "normal"),
    )
    work = np.where(status == "away", _choice(rng, WORK_AWAY, n), _choice(rng, WORK_HOME, n))
    work = np.where(np.isin(status, UNABLE + ("unknown",)), "未务工", work)
    child = out["role"] == "child"
    work = np.where(
        child | (out["role"] == "grand") & (rng.random(n) < 0.7),
        np.where(rng.random(n) < 0.7, "", "未务工"),
        work,
    )
    out["work"] = work
    k = kids.set_index("pid")
    sch = k.reindex(out["pid"])
    school = np.full(n, "非在校生", dtype=object)
    dropped = sch["dropout"].eq(True).to_numpy()
    is_child = child.to_numpy()
    for i, (st, gr, stt) in enumerate(zip(sch["stage"], sch["grade"], sch["status"], strict=True)):
        if not is_child[i]:
            continue
        if dropped[i]:
            school[i] = "辍学"
        elif stt == "在读":
            if st == "学前":
                school[i] = "学前教育"
            elif st == "小学" or (st == "特殊教育" and gr in GRADES_PRIMARY):
                school[i] = "小学" + gr
            elif st in ("初中", "特殊教育"):
                school[i] = gr
            elif st == "高中":
                school[i] = POVERTY_SCHOOL["高中"][GRADES_HIGH.index(gr)]
            elif st == "中职":
                school[i] = "中职"
    out["school"] = school
    health = np.where(rng.random(n) < 0.12, "长期慢性病", "健康")
    health = np.where(status == "disabled", "残疾", np.where(status == "ill", "患有大病", health))
    health = np.where(child, "健康", health)
    health = np.where(child & sch["disabled"].eq(True).to_numpy(), "残疾", health)
    health = np.where(
        child & (sch["ill"].eq(True).to_numpy() | sch["hiv"].eq(True).to_numpy()), "患有大病", health
    )
    out["health"] = health
    out["insured"] = np.where(rng.random(n) < 0.96, "是", "否")
    return out


def disability(kids, persons, rng) -> pd.DataFrame:
    """残联 持证残疾人 under 18: the certificate number carries the identity number."""
    r = load_config()["rates"]
    k = kids.loc[kids["disabled"] & (kids["only"] == "")].copy()
    m = len(k)
    k["category"] = [DIS_CATEGORY[c] for c in k["dis_cat"]]
    k["grade"] = k["dis_grade"]
    k["cert"] = [f"{i}{c + 1}{g}" for i, c, g in zip(k["id18"], k["dis_cat"], k["dis_grade"], strict=True)]
    due = np.where(
        k["assist"].isin(["城市低保", "农村低保", "特困供养"]),
        200,
        np.where(k["assist"] == "低保边缘家庭", 100, 50),
    )
    form = _choice(rng, r["disability_allowance"], m)
    severe = k["grade"] <= 2
    k["allowance"] = np.where(
        severe, np.where(form == "paid", due, np.where(form == "under", due // 2, 0)), 0
    )
    k["rehab"] = np.where(rng.random(m) < r["rehab_done"], "已享受", "未享受")
    comp = (k["status"] == "在读") & k["stage"].isin(["小学", "初中", "特殊教育"])
    k["student_subsidy"] = np.where(
        comp,
        np.where(rng.random(m) < r["student_subsidy_paid"], 1000, np.where(rng.random(m) < 0.5, 500, 0)),
        0,
    )
    k["issued"] = [
        max(b, dt.date(2016, 1, 1)) + dt.timedelta(days=int(d))
        for b, d in zip(k["birth"], rng.integers(60, 1500, size=m), strict=True)
    ]
    g = _guardian(k, persons, rng)
    k = k.join(g)
    k["_pid"] = k["pid"]
    k["_child"] = k["age"] < 18
    return _dup(k, rng)


def education(kids, persons, rng) -> pd.DataFrame:
    """教育 学籍: one row per pupil on a roll; a moved-out or dropped-out pupil's row stays."""
    r = load_config()["rates"]
    k = kids.loc[(kids["status"] != "") & (kids["only"].isin(["", "education"]))].copy()
    m = len(k)
    k = k.join(_guardian(k, persons, rng))
    due = np.where(
        k["stage"].eq("初中") | (k["stage"].eq("特殊教育") & k["grade"].isin(GRADES_MIDDLE)), 1250, 1000
    )
    form = _choice(rng, r["boarding_paid"], m)
    boarding = k["boarding"] & k["status"].eq("在读")
    comp = k["stage"].isin(["小学", "初中", "特殊教育"])
    pay = np.where(form == "paid", due, np.where(form == "under", due - 500, 0))
    pay = np.where(k["known_hard"], pay, np.where(rng.random(m) < 0.15, due, 0))
    k["boarding_subsidy"] = np.where(boarding & comp, pay, 0)
    k["mode"] = np.where(
        boarding, "住校", np.where(k["stage"].eq("特殊教育") & (rng.random(m) < 0.2), "送教上门", "走读")
    )
    k["flag_lb"] = np.where(k["lb_s"] & (rng.random(m) < 0.8) | (rng.random(m) < 0.01), "是", "否")
    k["flag_orphan"] = np.where(k["orphan_s"] & (rng.random(m) < 0.7), "是", "否")
    k["flag_disabled"] = np.where(k["disabled"], "是", "否")
    k["flag_poor"] = np.where(k["poverty"].ne("") & (rng.random(m) < 0.8), "是", "否")
    k["_pid"] = k["pid"]
    k["_child"] = k["age"] < 18
    return _dup(k, rng)


def insurance(kids, rng, as_of: dt.date) -> pd.DataFrame:
    """医保 城乡居民参保: one row per insured child and year (this year and last)."""
    r = load_config()["rates"]
    base = kids.loc[(kids["only"] == "") & (kids["age"] < 18)]
    frames = []
    for year, share in ((as_of.year, r["insurance_2026"]), (as_of.year - 1, r["insurance_2025"])):
        k = base.loc[rng.random(len(base)) < share].copy()
        m = len(k)
        k["year"] = year
        k["state"] = np.where(
            rng.random(m) < r["insurance_paid"],
            "参保缴费",
            rng.choice(["暂停参保", "终止参保", "未缴费"], size=m),
        )
        full = np.select(
            [
                k["assist"].eq("特困供养") | k["hard_s"],
                k["orphan_s"],
                k["assist"].isin(["城市低保", "农村低保"]),
                k["poverty"].ne(""),
            ],
            ["全额资助（特困）", "全额资助（孤儿）", "全额资助（低保）", "全额资助（脱贫/监测）"],
            "",
        )
        gets_full = (full != "") & (rng.random(m) < r["full_subsidy_for_eligible"])
        sick = k["ill"] | k["hiv"] | (k["disabled"] & (k["dis_grade"] <= 2))
        partial = (
            (~gets_full & sick & (rng.random(m) < r["any_subsidy_for_ill"]))
            | (~gets_full & (full != "")) & (rng.random(m) < 0.5)
            | (rng.random(m) < 0.02)
        )
        k["subsidy"] = np.where(gets_full, full, np.where(partial, "部分资助", "无"))
        k["subsidy_amount"] = np.where(gets_full, 380, np.where(partial, 190, 0))
        k["own_payment"] = 380 - k["subsidy_amount"]
        k["critical"] = np.where(rng.random(m) < 0.97, "是", "否")
        frames.append(k)
    out = pd.concat(frames, ignore_index=True)
    out["_pid"] = out["pid"]
    out["_child"] = True
    return _dup(out, rng, 0.004)


def health(kids, persons, rng) -> pd.DataFrame:
    """卫健 重大疾病及HIV登记 (restricted)."""
    r = load_config()["rates"]
    k = kids.loc[(kids["hiv"] | kids["ill"]) & (kids["only"] == "")].copy()
    m = len(k)
    hiv_pick = rng.integers(0, len(HIV_CODES), size=m)
    ill_pick = rng.integers(0, len(ILL_CODES), size=m)
    k["dx_code"] = np.where(
        k["hiv"], [HIV_CODES[i][0] for i in hiv_pick], [ILL_CODES[i][0] for i in ill_pick]
    )
    k["dx_name"] = np.where(
        k["hiv"], [HIV_CODES[i][1] for i in hiv_pick], [ILL_CODES[i][1] for i in ill_pick]
    )
    k["diagnosed"] = [
        max(b, dt.date(2019, 1, 1)) + dt.timedelta(days=int(d))
        for b, d in zip(k["birth"], rng.integers(20, 900, size=m), strict=True)
    ]
    u = rng.random(m)
    k["reached"] = np.where(
        k["hiv"], np.where(u < 0.85, "否", ""), np.where(u < 0.55, "是", np.where(u < 0.85, "否", ""))
    )
    k["oop"] = np.where(
        k["reached"] == "是",
        rng.integers(20000, 150000, size=m),
        np.where(k["reached"] == "否", rng.integers(500, 19999, size=m), rng.integers(3000, 60000, size=m)),
    )
    k["doctor"] = np.where(rng.random(m) < r["family_doctor_signed"], "已签约", "未签约")
    k = k.join(_guardian(k, persons, rng))
    k["_pid"] = k["pid"]
    k["_child"] = True
    return _dup(k, rng)
