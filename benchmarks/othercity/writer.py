"""The seven extracts written as department files: per source, which files, which
header wordings (as sources.md gives them, with the bracket and line-break drift
it allows), which value forms, and the truth's ``records.csv`` rows for every data
row written."""

from __future__ import annotations

import datetime as dt
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.othercity import mess
from benchmarks.othercity.config import load_config
from benchmarks.othercity.idnumbers import mess_id
from benchmarks.othercity.layout import FileLayout, write_csv, write_xlsx

COUNTY_NAME = {c["code"]: c["name"] for c in load_config()["counties"]}
TEXT_DATES = ["iso", "slash", "dot", "compact", "chinese"]


class Messer:
    """Column-wise messing for one file, deterministic for the file's generator."""

    def __init__(self, rng: np.random.Generator, fmt: str):
        self.rng, self.fmt = rng, fmt
        self.sex_coded = rng.random() < 0.3
        self.date_style = str(rng.choice(TEXT_DATES + (["cell", "cell", "serial"] if fmt == "xlsx" else [])))
        self.mixed_dates = rng.random() < 0.3

    def u(self, n: int) -> np.ndarray:
        return self.rng.random(n)

    def names(self, values: pd.Series) -> list:
        a, b = self.u(len(values)), self.u(len(values))
        return [
            mess.yi_dot(mess.mess_name(v, x) or "", y) if v else ""
            for v, x, y in zip(values, a, b, strict=True)
        ]

    def ids(self, values: pd.Series, rates: str, adult: bool | np.ndarray = False) -> list:
        cfg = load_config()["mess"][rates]
        kind = "number" if self.fmt == "xlsx" else "text"
        adults = np.broadcast_to(np.asarray(adult), (len(values),))
        return [
            mess_id(v if isinstance(v, str) else None, kind, x, cfg, bool(a))
            for v, x, a in zip(values, self.u(len(values)), adults, strict=True)
        ]

    def dates(self, values: pd.Series, lunar: bool = False) -> list:
        n = len(values)
        styles = np.full(n, self.date_style, dtype=object)
        if self.mixed_dates:
            pool = TEXT_DATES + (["cell", "serial"] if self.fmt == "xlsx" else ["serial_text"])
            styles = np.where(self.u(n) < 0.3, self.rng.choice(pool, size=n), styles)
        shift = self.u(n) < (load_config()["mess"]["lunar_birthday"] if lunar else 0)
        draws = self.u(n)
        out = []
        for v, s, sh, d in zip(values, styles, shift, draws, strict=True):
            if v is None or v == "" or (isinstance(v, float) and v != v):
                out.append("")
                continue
            day = mess.lunar(v, d) if sh else v
            out.append(mess.date_text(day, s))
        return out

    def sex(self, male: pd.Series, blank: float = 0.01) -> list:
        b = self.u(len(male))
        return [
            "" if x < blank else mess.sex_text(bool(m), self.sex_coded) for m, x in zip(male, b, strict=True)
        ]

    def eth(self, codes: pd.Series) -> list:
        return [mess.ethnicity_text(c, x) for c, x in zip(codes, self.u(len(codes)), strict=True)]

    def county(self, codes: pd.Series) -> list:
        return [
            mess.county_text(c, COUNTY_NAME[c], x) for c, x in zip(codes, self.u(len(codes)), strict=True)
        ]

    def township(self, values: pd.Series) -> list:
        return [mess.township_text(v, x) for v, x in zip(values, self.u(len(values)), strict=True)]

    def village(self, values: pd.Series) -> list:
        return [mess.village_text(v, x) for v, x in zip(values, self.u(len(values)), strict=True)]

    def money(self, values: pd.Series, zero_blank: float = 0.5) -> list:
        """An amount; a zero is written 0 or left blank (both mean none)."""
        b = self.u(len(values))
        as_number = self.fmt == "xlsx" and self.rng.random() < 0.7
        out = []
        for v, x in zip(values, b, strict=True):
            v = int(v)
            if v == 0 and x < zero_blank:
                out.append("")
            elif as_number:
                out.append(v)
            else:
                out.append(f"{v}.00" if x > 0.8 else str(v))
        return out


def _headers(rng: np.random.Generator, names: list[str], fmt: str) -> list[str]:
    """The file's header texts: half-width brackets in some files; a line break in a
    long header of some spreadsheets."""
    cfg = load_config()["mess"]
    half = rng.random() < cfg["halfwidth_brackets"]
    out = [h.replace("（", "(").replace("）", ")") if half else h for h in names]
    if fmt == "xlsx" and rng.random() < cfg["header_break"]:
        for i, h in enumerate(out):
            cut = max(h.find("（"), h.find("("))
            if cut > 0 and h[-1] in "）)" and rng.random() < 0.6:
                out[i] = h[:cut] + "\n" + h[cut:]
    return out


def _layout(
    rng: np.random.Generator, title: str, unit: str, n_rows: int, fmt: str, as_of: dt.date
) -> FileLayout:
    """Title and footer rows as an office types them."""
    titles: list[str] = []
    k = rng.random()
    if k < 0.35:
        titles = [title]
    elif k < 0.75:
        titles = [title, f"填报单位：{unit}（盖章）    统计时间：{as_of.year}年{as_of.month}月"]
    elif k < 0.85:
        titles = [f"导出时间：{(as_of - dt.timedelta(days=3)).isoformat()} 09:{int(rng.integers(10, 59))}:12"]
    footers: list[str] = []
    if rng.random() < 0.6:
        footers.append(f"合计：{n_rows}人" if rng.random() < 0.5 else "合计")
    if rng.random() < 0.5:
        footers.append(
            "填表人："
            + "".join(rng.choice(list("李王张刘陈")) + rng.choice(list("明华芳军")))
            + "    审核人："
        )
    if rng.random() < 0.3:
        footers.append(f"填报单位：{unit}    填报日期：{as_of.year}年{as_of.month}月{as_of.day}日")
    return FileLayout(
        titles=titles,
        footers=footers,
        blank_after_header=rng.random() < 0.15,
        blank_every=int(rng.choice([0, 0, 0, 97, 251, 613])),
        encoding="utf-8-sig",
        sep=",",
        merge_title=fmt == "xlsx" and bool(titles) and rng.random() < 0.6,
        sheet=str(
            rng.choice(["Sheet1", "台账", f"{as_of.year}年{as_of.month}月", "花名册", "导出数据", "汇总"])
        ),
    )


Builder = Callable[[pd.DataFrame, Messer], dict[str, list]]


def _write(
    out: Path,
    source: str,
    name: str,
    frame: pd.DataFrame,
    build: Builder,
    fmt: str,
    rng: np.random.Generator,
    title: str,
    unit: str,
    as_of: dt.date,
    **layout_overrides: Any,
) -> pd.DataFrame:
    """One file of one source; returns its records rows."""
    folder = out / "inbox" / source
    folder.mkdir(parents=True, exist_ok=True)
    m = Messer(rng, fmt)
    columns = build(frame, m)
    header = _headers(rng, list(columns), fmt)
    rows = [list(r) for r in zip(*columns.values(), strict=True)] if len(frame) else []
    lay = _layout(rng, title, unit, len(rows), fmt, as_of)
    for key, value in layout_overrides.items():
        setattr(lay, key, value)
    path = folder / name
    numbers = (write_xlsx if fmt == "xlsx" else write_csv)(path, header, rows, lay)
    return pd.DataFrame(
        {
            "source_system": source,
            "source_file": name,
            "source_row": numbers,
            "person_id": frame["_pid"].to_numpy(),
            "is_child": np.where(frame["_child"].to_numpy(dtype=bool), "true", "false"),
        }
    )


# ------------------------------------------------------------------ per source


def _ledger_cols(f: pd.DataFrame, m: Messer) -> dict[str, list]:
    n = len(f)
    seps = np.array(["、", "，", ";", "、"], dtype=object)[m.rng.integers(0, 4, size=n)]
    labels = [lab.replace("、", s) for lab, s in zip(f["labels"], seps, strict=True)]
    return {
        "序号": list(range(1, n + 1)),
        "区县": m.county(f["county_code"]),
        "乡镇（街道）": m.township(f["township"]),
        "村（社区）": m.village(f["village"]),
        "儿童姓名": m.names(f["name"]),
        "性别": m.sex(f["male"]),
        "民族": m.eth(f["eth"]),
        "身份证号": m.ids(f["id18"], "id_child"),
        "出生日期": m.dates(f["birth"], lunar=True),
        "户口性质": list(f["hukou"]),
        "儿童类别": labels,
        "父亲姓名": m.names(f["father_name"]),
        "父亲身份证号": m.ids(f["father_id"], "id_adult", True),
        "父亲状况": list(f["father_status"]),
        "母亲姓名": m.names(f["mother_name"]),
        "母亲身份证号": m.ids(f["mother_id"], "id_adult", True),
        "母亲状况": list(f["mother_status"]),
        "实际监护人": m.names(f["g_name"]),
        "监护人与儿童关系": list(f["g_rel"]),
        "监护人联系电话": list(f["g_phone"]),
        "是否单独居住": list(f["alone"]),
        "基本生活费（元/月）": m.money(f["allowance"]),
        "建档日期": m.dates(f["opened"]),
        "备注": list(f["note"]),
    }


def _assist_cols(f: pd.DataFrame, m: Messer) -> dict[str, list]:
    adult = ~f["_child"].to_numpy(dtype=bool)
    return {
        "区县": m.county(f["county_code"]),
        "乡镇（街道）": m.township(f["township"]),
        "村（社区）": m.village(f["village"]),
        "家庭编号": list(f["household"]),
        "救助类别": list(f["category"]),
        "户主姓名": m.names(f["head_name"]),
        "户主身份证号": m.ids(f["head_id"], "id_adult", True),
        "成员姓名": m.names(f["name"]),
        "成员身份证号": m.ids(f["id18"], "id_adult" if False else "id_roster_child", adult),
        "与户主关系": list(f["relation"]),
        "月救助金额（元）": m.money(f["amount"]),
        "审批日期": m.dates(f["approved"]),
    }


def _poverty_cols(f: pd.DataFrame, m: Messer) -> dict[str, list]:
    adult = ~f["_child"].to_numpy(dtype=bool)
    return {
        "县（市、区）": m.county(f["county_code"]),
        "乡（镇）": m.township(f["township"]),
        "行政村": m.village(f["village"]),
        "户编号": list(f["household"]),
        "姓名": m.names(f["name"]),
        "证件号码": m.ids(f["id18"], "id_roster_child", adult),
        "性别": m.sex(f["male"]),
        "民族": m.eth(f["eth"]),
        "与户主关系": list(f["relation"]),
        "在校生状况": list(f["school"]),
        "健康状况": list(f["health"]),
        "务工状况": list(f["work"]),
        "是否参加城乡居民基本医疗保险": list(f["insured"]),
        "户类型": list(f["kind"]),
    }


def _disability_cols(f: pd.DataFrame, m: Messer) -> dict[str, list]:
    n = len(f)
    chinese = ["一级", "二级", "三级", "四级"]
    grade_text = [chinese[g - 1] if x < 0.6 else str(g) for g, x in zip(f["grade"], m.u(n), strict=True)]
    cert = [c.replace("X", "x") if x < 0.2 else c for c, x in zip(f["cert"], m.u(n), strict=True)]
    id_blank = m.u(n) < 0.55
    ids = m.ids(f["id18"], "id_child")
    addr = [
        f"四川省攀枝花市{COUNTY_NAME[c]}{t}{v}{int(x * 12) + 1}组"
        for c, t, v, x in zip(f["county_code"], f["township"], f["village"], m.u(n), strict=True)
    ]
    return {
        "姓名": m.names(f["name"]),
        "性别": m.sex(f["male"]),
        "出生日期": m.dates(f["birth"], lunar=True),
        "民族": m.eth(f["eth"]),
        "残疾人证号": cert,
        "身份证号": ["" if b else v for b, v in zip(id_blank, ids, strict=True)],
        "残疾类别": list(f["category"]),
        "残疾等级": grade_text,
        "孤独症": np.where(f["autism"], "是", "否").tolist(),
        "户籍地址": addr,
        "户口性质": list(f["hukou"]),
        "监护人姓名": m.names(f["g_name"]),
        "监护人联系电话": list(f["g_phone"]),
        "康复服务状况": list(f["rehab"]),
        "困境儿童帮扶金（元/月）": m.money(f["allowance"]),
        "在校残疾学生生活补助（元/年）": m.money(f["student_subsidy"]),
        "发证日期": m.dates(f["issued"]),
    }


def _school_codes(f: pd.DataFrame) -> tuple[list[str], list[str]]:
    kinds = {
        "学前": "幼儿园",
        "小学": "小学",
        "初中": "中学",
        "高中": "高级中学",
        "中职": "职业技术学校",
        "特殊教育": "特殊教育学校",
    }
    codes, names = [], []
    for c, t, st in zip(f["county_code"], f["township"], f["stage"], strict=True):
        stem = t[:2]
        name = f"{COUNTY_NAME[c]}特殊教育学校" if st == "特殊教育" else f"{COUNTY_NAME[c]}{stem}{kinds[st]}"
        codes.append("2151" + c[-3:] + f"{zlib.crc32(name.encode()) % 1000:03d}")
        names.append(name)
    return codes, names


def _education_cols(f: pd.DataFrame, m: Messer) -> dict[str, list]:
    n = len(f)
    codes, names = _school_codes(f)
    xueji = [
        "G" + i if isinstance(i, str) else "L" + f"{zlib.crc32(p.encode()) * 7919 % 10**17:017d}"
        for i, p in zip(f["id18"], f["pid"], strict=True)
    ]
    kind = np.where(f["id18"].notna(), "居民身份证", "无")
    ids = m.ids(f["id18"], "id_child")
    klass = [f"（{int(x * 6) + 1}）班" if x < 0.5 else f"{int(x * 6) + 1}班" for x in m.u(n)]
    home = [
        f"攀枝花市{COUNTY_NAME[c]}{t}{v}"
        for c, t, v in zip(f["county_code"], f["township"], f["village"], strict=True)
    ]
    return {
        "学校标识码": codes,
        "学校名称": names,
        "学校所在区县": m.county(f["county_code"]),
        "学段": list(f["stage"]),
        "年级": list(f["grade"]),
        "班级": klass,
        "全国学籍号": xueji,
        "姓名": m.names(f["name"]),
        "性别": m.sex(f["male"], 0),
        "出生日期": m.dates(f["birth"]),
        "民族": m.eth(f["eth"]),
        "身份证件类型": kind.tolist(),
        "身份证件号": ["" if k == "无" else v for k, v in zip(kind, ids, strict=True)],
        "户口性质": list(f["hukou"]),
        "户口所在地": home,
        "现住址": home,
        "就读方式": list(f["mode"]),
        "是否留守儿童": list(f["flag_lb"]),
        "是否孤儿": list(f["flag_orphan"]),
        "是否残疾": list(f["flag_disabled"]),
        "残疾类型": [DIS_SHORT[c] if c >= 0 else "" for c in f["dis_cat"]],
        "是否建档立卡贫困户": list(f["flag_poor"]),
        "学籍状态": list(f["status"]),
        "监护人姓名": m.names(f["g_name"]),
        "监护人关系": list(f["g_rel"]),
        "监护人联系电话": list(f["g_phone"]),
        "寄宿生生活补助（元/年）": m.money(f["boarding_subsidy"]),
    }


DIS_SHORT = ["视力", "听力", "言语", "肢体", "智力", "精神", "多重"]


def _insurance_cols(f: pd.DataFrame, m: Messer) -> dict[str, list]:
    return {
        "参保地行政区划": list(f["county_code"]),
        "姓名": m.names(f["name"]),
        "公民身份号码": m.ids(f["id18"], "id_child"),
        "性别": m.sex(f["male"], 0.005),
        "出生日期": m.dates(f["birth"]),
        "缴费年度": [str(y) for y in f["year"]],
        "参保状态": list(f["state"]),
        "个人缴费金额（元）": m.money(f["own_payment"], 0.2),
        "资助类别": list(f["subsidy"]),
        "资助金额（元）": m.money(f["subsidy_amount"], 0.2),
        "大病保险": list(f["critical"]),
    }


def _health_cols(f: pd.DataFrame, m: Messer) -> dict[str, list]:
    addr = [
        f"攀枝花市{COUNTY_NAME[c]}{t}{v}"
        for c, t, v in zip(f["county_code"], f["township"], f["village"], strict=True)
    ]
    return {
        "患者姓名": m.names(f["name"]),
        "身份证号": m.ids(f["id18"], "id_child"),
        "性别": m.sex(f["male"]),
        "出生日期": m.dates(f["birth"], lunar=True),
        "现住址": addr,
        "监护人姓名": m.names(f["g_name"]),
        "诊断编码": list(f["dx_code"]),
        "诊断名称": list(f["dx_name"]),
        "确诊日期": m.dates(f["diagnosed"]),
        "年度个人自付医疗费用（元）": m.money(f["oop"], 0),
        "是否达到大病保险起付线": list(f["reached"]),
        "家庭医生签约状态": list(f["doctor"]),
    }


def _reorder(cols: dict[str, list], rng: np.random.Generator, drop_counter: bool = False) -> dict[str, list]:
    """Some offices move a column or two (and drop the row counter)."""
    keys = [k for k in cols if not (drop_counter and k == "序号")]
    if rng.random() < 0.3 and len(keys) > 6:
        i, j = sorted(rng.choice(range(1, len(keys)), size=2, replace=False))
        keys[i], keys[j] = keys[j], keys[i]
    return {k: cols[k] for k in keys}


def write_city(ex: dict[str, pd.DataFrame], out: Path, seed: int, as_of: dt.date) -> pd.DataFrame:
    """Every extract's files under ``out/inbox``; returns records.csv's rows."""
    rng = np.random.default_rng(seed + 2)
    ym = f"{as_of.year}{as_of.month:02d}"
    prev = as_of.replace(day=1) - dt.timedelta(days=1)
    ym_prev, ym_dash = f"{prev.year}{prev.month:02d}", f"{prev.year}-{prev.month:02d}"
    records = []

    def reordered(builder: Builder, drop_counter: bool = False) -> Builder:
        return lambda f, m: _reorder(builder(f, m), m.rng, drop_counter)

    led = ex["civil_affairs_children"]
    for code, name in COUNTY_NAME.items():
        part = led.loc[led["county_code"] == code]
        fname = [
            f"{name}困境儿童和农村留守儿童信息台账{ym_dash}.xlsx",
            f"{name}留守困境儿童台账_{ym_prev}.xlsx",
            f"{name}困境儿童一人一档.xlsx",
        ][int(rng.integers(0, 3))]
        records.append(
            _write(
                out,
                "civil_affairs_children",
                fname,
                part,
                reordered(_ledger_cols, rng.random() < 0.3),
                "xlsx",
                rng,
                f"攀枝花市{name}困境儿童和农村留守儿童信息台账",
                f"{name}民政局",
                as_of,
                notes_after=["填表说明：儿童类别可多选，用顿号隔开。"] if rng.random() < 0.5 else None,
            )
        )
    ast = ex["civil_affairs_assistance"]
    special = ast["category"].eq("特困供养")
    records.append(
        _write(
            out,
            "civil_affairs_assistance",
            f"社会救助对象家庭成员信息_{ym}.csv",
            ast.loc[~special],
            _assist_cols,
            "csv",
            rng,
            "攀枝花市城乡低保及低保边缘家庭成员花名册",
            "攀枝花市民政局",
            as_of,
            encoding="gb18030",
        )
    )
    records.append(
        _write(
            out,
            "civil_affairs_assistance",
            f"特困供养人员家庭成员_{ym}.csv",
            ast.loc[special],
            _assist_cols,
            "csv",
            rng,
            "攀枝花市特困供养人员花名册",
            "攀枝花市民政局",
            as_of,
            encoding="utf-8-sig",
            sep="\t",
        )
    )
    pov = ex["poverty_households"]
    yanbian = pov["county_code"].eq("510422")
    for part, fname in (
        (pov.loc[~yanbian], f"建档立卡脱贫人口及监测对象信息{ym_prev}.xlsx"),
        (pov.loc[yanbian], "盐边县脱贫户监测户人口明细.xlsx"),
    ):
        records.append(
            _write(
                out,
                "poverty_households",
                fname,
                part,
                _poverty_cols,
                "xlsx",
                rng,
                "建档立卡（脱贫/监测）人口信息表",
                "攀枝花市乡村振兴局",
                as_of,
            )
        )
    dis = ex["disability_certificates"]
    fname = f"持证残疾儿童信息_{ym_prev}.xlsx"
    rec = _write(
        out,
        "disability_certificates",
        fname,
        dis,
        reordered(_disability_cols),
        "xlsx",
        rng,
        "攀枝花市持证残疾儿童（0-17岁）信息表",
        "攀枝花市残疾人联合会",
        as_of,
        notes_before=["说明：本表数据来源于全国残疾人人口基础库。", "导出范围：0-17周岁持证残疾人。"],
    )
    records.append(rec)
    copy = f"持证残疾儿童信息_{ym_prev} - 副本.xlsx"  # the same file dropped twice
    shutil.copyfile(
        out / "inbox" / "disability_certificates" / fname, out / "inbox" / "disability_certificates" / copy
    )
    records.append(rec.assign(source_file=copy))
    edu = ex["education_students"]
    encodings = {
        "510402": ("utf-8-sig", ","),
        "510403": ("utf-8", ","),
        "510411": ("utf-8-sig", ","),
        "510421": ("gb18030", ","),
        "510422": ("utf-8-sig", "\t"),
    }
    for code, name in COUNTY_NAME.items():
        part = edu.loc[edu["county_code"] == code]
        enc, sep = encodings[code]
        records.append(
            _write(
                out,
                "education_students",
                f"{name}中小学生学籍信息_{ym}.csv",
                part,
                reordered(_education_cols),
                "csv",
                rng,
                f"{name}中小学生学籍信息",
                f"{name}教育和体育局",
                as_of,
                encoding=enc,
                sep=sep,
            )
        )
    ins = ex["health_insurance"]
    for year, fname, enc in (
        (as_of.year, f"城乡居民医保参保信息_{ym}.csv", "utf-8"),
        (as_of.year - 1, f"城乡居民医保参保信息_{as_of.year - 1}年度.csv", "utf-8"),
    ):
        part = ins.loc[ins["year"] == year]
        records.append(
            _write(
                out,
                "health_insurance",
                fname,
                part,
                _insurance_cols,
                "csv",
                rng,
                "城乡居民基本医疗保险参保信息（未成年人）",
                "攀枝花市医疗保障局",
                as_of,
                encoding=enc,
                titles=[],
                footers=[],
            )
        )
    hc = ex["health_conditions"]
    records.append(
        _write(
            out,
            "health_conditions",
            f"儿童重大疾病及HIV感染登记_{ym_prev}.xlsx",
            hc,
            _health_cols,
            "xlsx",
            rng,
            "儿童重大疾病及艾滋病病毒感染登记表（内部资料 注意保密）",
            "攀枝花市卫生健康委员会",
            as_of,
        )
    )
    return pd.concat(records, ignore_index=True)
