"""The truth: policy.md's categories and alerts applied to the clean rows of every
extract, joined by true person (what a perfect linkage would see), at the as-of
date. Only the evidence the rules name counts: ledger labels 孤儿, 艾滋病病毒感染儿童,
事实无人抚养儿童, 农村留守儿童; parents' 状况 from the ledger; 务工状况 of a child's
户主/配偶 on the poverty roster; never a school's flags or an insurance subsidy."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from benchmarks.othercity.extracts import GRADES_MIDDLE, GRADES_PRIMARY, school_year_start
from benchmarks.othercity.people import whole_years

UNABLE_TEXT = {"服刑在押", "强制隔离戒毒", "重残", "重病", "被撤销监护资格", "无监护能力"}
GONE_TEXT = {"死亡", "失踪"}
AWAY_WORK = {"县外省内务工", "省外务工"}
HIV = ("B20", "B21", "B22", "B23", "B24", "Z21")
DEDUCTIBLE = 20_000


def _any(rows: pd.DataFrame, mask: pd.Series | np.ndarray, index: pd.Index) -> pd.Series:
    """Per person of ``index``: does any of its rows satisfy ``mask``."""
    hit = set(rows.loc[np.asarray(mask, dtype=bool), "_pid"])
    return pd.Series(index.isin(list(hit)), index=index)


def _parents(ex: dict[str, pd.DataFrame], persons: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Per child: is its father / mother found dead or missing, unable, or working away.

    A parent is a person: found through the ledger's 父亲/母亲 columns and through the
    rosters (a 子/女 row has the 户主 and 配偶 as parents, told apart by sex); what any
    source records of that person counts for every child of theirs (a status written
    on a sibling's ledger row included)."""
    led = ex["civil_affairs_children"]
    links = [
        led[["_pid", "father"]].rename(columns={"father": "parent"}).assign(side="f"),
        led[["_pid", "mother"]].rename(columns={"mother": "parent"}).assign(side="m"),
    ]
    for name in ("civil_affairs_assistance", "poverty_households"):
        roster = ex[name]
        kids = roster.loc[roster["relation"].isin(["子", "女"]), ["household", "_pid"]]
        adults = roster.loc[roster["relation"].isin(["户主", "本人", "配偶"]), ["household", "_pid"]]
        pairs = kids.merge(adults.rename(columns={"_pid": "parent"}), on="household")
        pairs["side"] = np.where(persons.loc[pairs["parent"], "male"].to_numpy(dtype=bool), "f", "m")
        links.append(pairs[["_pid", "parent", "side"]])
    links_df = pd.concat(links, ignore_index=True).drop_duplicates()
    status = pd.concat(
        [
            led[["father", "father_status"]].set_axis(["parent", "status"], axis=1),
            led[["mother", "mother_status"]].set_axis(["parent", "status"], axis=1),
        ]
    )
    facts = pd.DataFrame(
        {
            "gone": status["status"].isin(GONE_TEXT).groupby(status["parent"]).any(),
            "unable": status["status"].isin(UNABLE_TEXT).groupby(status["parent"]).any(),
            "away": status["status"].eq("外出务工").groupby(status["parent"]).any(),
        }
    )
    pov = ex["poverty_households"]
    away_pov = set(pov.loc[pov["work"].isin(AWAY_WORK), "_pid"])
    facts = facts.reindex(facts.index.union(pd.Index(sorted(away_pov)))).astype(object).eq(True)
    facts.loc[facts.index.isin(away_pov), "away"] = True
    joined = links_df.join(facts, on="parent")
    for fact in ("gone", "unable", "away"):
        joined[fact] = joined[fact].astype(object).eq(True)
    out = pd.DataFrame(index=index)
    for side in ("f", "m"):
        part = joined.loc[joined["side"] == side].groupby("_pid")[["gone", "unable", "away"]].any()
        for fact in ("gone", "unable", "away"):
            out[f"{side}_{fact}"] = part[fact].reindex(index).astype(object).eq(True)
    return out


def compute_truth(
    ex: dict[str, pd.DataFrame], persons: pd.DataFrame, as_of: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(categories, alerts): one row per child person and code."""
    persons = persons.set_index("pid")
    child_ids = sorted({pid for frame in ex.values() for pid in frame.loc[frame["_child"], "_pid"]})
    index = pd.Index(child_ids)
    p = persons.loc[index]
    age = pd.Series(whole_years(p["birth"], as_of), index=index)
    age_aug = pd.Series(whole_years(p["birth"], school_year_start(as_of)), index=index)
    minor = age < 18
    led, ast, pov = ex["civil_affairs_children"], ex["civil_affairs_assistance"], ex["poverty_households"]
    dis, edu, ins, hc = (
        ex["disability_certificates"],
        ex["education_students"],
        ex["health_insurance"],
        ex["health_conditions"],
    )
    label = lambda text: _any(led, led["labels"].str.contains(text), index)  # noqa: E731
    on_ledger = _any(led, np.ones(len(led), bool), index)
    par = _parents(ex, persons, index)

    orphan_inf = par["f_gone"] & par["m_gone"]
    orphan = minor & (orphan_inf | label("孤儿"))
    hiv = minor & (_any(hc, hc["dx_code"].str.startswith(HIV), index) | label("艾滋病病毒感染儿童"))
    reached = hc["reached"].eq("是") | (hc["reached"].eq("") & (hc["oop"] >= DEDUCTIBLE))
    serious = minor & _any(hc, reached, index)
    severe = minor & _any(dis, dis["grade"] <= 2, index)
    hard_inf = (
        (par["f_unable"] & par["m_unable"])
        | (par["f_gone"] & par["m_unable"])
        | (par["f_unable"] & par["m_gone"])
    )
    tekun = _any(ast, ast["category"].eq("特困供养"), index)
    hard_reg = label("事实无人抚养儿童") | tekun
    hardship = minor & ~orphan & (hard_inf | hard_reg)
    poor = minor & (
        _any(pov, np.ones(len(pov), bool), index)
        | _any(ast, ast["category"].isin(["城市低保", "农村低保"]), index)
    )
    rural = persons.loc[index, "fam"].map(_rural_families(ex)).eq(True)
    away_f, away_m = par["f_away"], par["m_away"]
    lb_inf = (
        (age < 16) & rural & ((away_f & away_m) | (away_f & par["m_unable"]) | (par["f_unable"] & away_m))
    )
    lb_reg = label("农村留守儿童")
    left = (age < 16) & (lb_inf | lb_reg)
    distressed = orphan | hiv | serious | severe | hardship | poor
    disabled = _any(dis, np.ones(len(dis), bool), index)

    cats = {
        "orphan": orphan,
        "hiv": hiv,
        "serious_illness": serious,
        "severe_disability": severe,
        "extreme_hardship": hardship,
        "poor_family": poor,
        "left_behind": left,
        "distressed": distressed,
        "disabled": disabled & minor,
    }

    alerts: dict[str, pd.Series] = {}
    allowance = led.groupby("_pid")["allowance"].max().reindex(index).fillna(0)
    alerts["living_allowance_missing"] = (orphan | hiv) & (allowance <= 0)
    due = pd.Series(50, index=index)
    due[_any(ast, ast["category"].eq("低保边缘家庭"), index)] = 100
    due[_any(ast, ast["category"].isin(["城市低保", "农村低保", "特困供养"]), index)] = 200
    paid = dis.loc[dis["grade"] <= 2].groupby("_pid")["allowance"].max().reindex(index).fillna(0)
    alerts["disability_allowance_missing"] = severe & (paid <= 0)
    alerts["disability_allowance_underpaid"] = severe & (paid > 0) & (paid < due)
    alerts["hardship_unregistered"] = hardship & hard_inf & ~hard_reg
    alerts["orphan_unregistered"] = minor & orphan_inf & ~label("孤儿")
    this_year = ins.loc[(ins["year"] == as_of.year) & ins["state"].eq("参保缴费")]
    insured = _any(this_year, np.ones(len(this_year), bool), index)
    alerts["medical_insurance_missing"] = distressed & ~insured
    full = _any(this_year, this_year["subsidy"].str.startswith("全额资助"), index)
    some = _any(this_year, ~this_year["subsidy"].isin(["无", ""]), index)
    alerts["insurance_subsidy_missing"] = insured & (
        ((orphan | hardship | poor) & ~full) | ((serious | severe) & ~some)
    )
    rehab_kind = ~dis["category"].eq("精神残疾") | dis["autism"]
    rehab_row = rehab_kind & ~dis["rehab"].eq("已享受")
    alerts["rehabilitation_missing"] = disabled & (age <= 6) & _any(dis, rehab_row, index)
    alerts["family_doctor_unsigned"] = distressed & _any(hc, hc["doctor"].eq("未签约"), index)
    compulsory_age = (age_aug >= 6) & (age < 16)
    in_school = _any(edu, edu["status"].eq("在读"), index)
    quit_ = _any(edu, edu["status"].isin(["辍学", "休学"]), index) | _any(
        pov, pov["school"].eq("辍学"), index
    )
    alerts["dropout"] = compulsory_age & ~in_school & quit_
    alerts["not_in_school"] = compulsory_age & ~in_school & ~quit_
    reading = edu.loc[edu["status"].eq("在读")]
    grade = reading["grade"]
    comp_row = reading["stage"].isin(["小学", "初中"]) | (
        reading["stage"].eq("特殊教育") & grade.isin(GRADES_PRIMARY + GRADES_MIDDLE)
    )
    board_due = np.where(
        reading["stage"].eq("初中") | (reading["stage"].eq("特殊教育") & grade.isin(GRADES_MIDDLE)),
        1250,
        1000,
    )
    boarding = comp_row & reading["mode"].eq("住校")
    b_missing = boarding & (reading["boarding_subsidy"] <= 0)
    b_under = boarding & (reading["boarding_subsidy"] > 0) & (reading["boarding_subsidy"] < board_due)
    alerts["boarding_subsidy_missing"] = distressed & _any(reading, b_missing, index)
    alerts["boarding_subsidy_underpaid"] = distressed & _any(reading, b_under, index)
    subsidy = dis.groupby("_pid")["student_subsidy"].max().reindex(index).fillna(0)
    alerts["disabled_student_subsidy_missing"] = disabled & _any(reading, comp_row, index) & (subsidy < 1000)
    alerts["left_behind_unregistered"] = lb_inf & ~on_ledger
    carer_unable = (led["g_rel"].eq("父亲") & led["father_status"].isin(UNABLE_TEXT)) | (
        led["g_rel"].eq("母亲") & led["mother_status"].isin(UNABLE_TEXT)
    )
    unsupervised = led["alone"].eq("是") | led["g_name"].eq("") | carer_unable
    alerts["left_behind_unsupervised"] = left & on_ledger & _any(led, unsupervised, index)
    alerts["aged_out"] = on_ledger & ((age >= 18) | ((age >= 16) & lb_reg))

    cat_rows = [(pid, code) for code, s in cats.items() for pid in s.index[s.to_numpy(dtype=bool)]]
    alert_rows = [(pid, code) for code, s in alerts.items() for pid in s.index[s.to_numpy(dtype=bool)]]
    return (
        pd.DataFrame(cat_rows, columns=["person_id", "category"]).sort_values(["person_id", "category"]),
        pd.DataFrame(alert_rows, columns=["person_id", "alert"]).sort_values(["person_id", "alert"]),
    )


def _rural_families(ex: dict[str, pd.DataFrame]) -> dict:
    """A family is rural when it lives in a 村 (every family's place decides its hukou)."""
    rows = []
    for name in (
        "civil_affairs_children",
        "civil_affairs_assistance",
        "poverty_households",
        "education_students",
        "disability_certificates",
    ):
        f = ex[name]
        if "rural" in f:
            rows.append(f[["fam", "rural"]])
        elif "is_village" in f:
            rows.append(f[["fam", "is_village"]].rename(columns={"is_village": "rural"}))
    both = pd.concat(rows).drop_duplicates("fam")
    return dict(zip(both["fam"], both["rural"], strict=True))
