"""The service extracts: disability certificates, school rolls, insurance, the health register."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from synth.dates import random_dates
from synth.people import addresses, guardians, hukou_labels, identity
from synth.rng import pick
from synth.world import World

PLACE = ["county_code", "township", "old_township", "village"]


def _base(world: World, kids: pd.DataFrame) -> pd.DataFrame:
    out = identity(world, kids["person_id"])
    out[PLACE] = kids[PLACE].to_numpy()
    return out


def disability_rows(
    world: World, r: dict, labels: dict, as_of: date, rng: np.random.Generator
) -> pd.DataFrame:
    kids = world.children[(world.children["dis_grade"] > 0).to_numpy()].reset_index(drop=True)
    out = _base(world, kids)
    out["category"] = kids["dis_category"].to_numpy()
    out["grade"] = kids["dis_grade"].to_numpy()
    out["certificate"] = out["id_number"] + out["category"].astype(str) + out["grade"].astype(str)
    out["id_in_certificate"] = rng.random(len(out)) < r["disability_id_in_certificate"]
    out["autism"] = kids["autism"].to_numpy()
    out["address"] = addresses(world, kids, rng)
    out["hukou_label"] = hukou_labels(world.names.cfg, labels, kids["rural"].to_numpy(), rng)
    out[["guardian_name", "guardian_phone"]] = guardians(world, kids, rng)[
        ["guardian_name", "guardian_phone"]
    ].to_numpy()
    out["rehab"] = kids["rehab"].to_numpy()
    out["allowance"] = kids["dis_allowance"].to_numpy()
    out["student_subsidy"] = kids["student_subsidy"].to_numpy()
    first_possible = (kids["birth"] + pd.Timedelta(days=180)).clip(upper=pd.Timestamp(as_of))
    out["issued"] = random_dates(rng, first_possible, as_of, len(out)).to_numpy()
    out["split"] = ""
    return out


def education_rows(
    world: World, r: dict, labels: dict, as_of: date, rng: np.random.Generator
) -> pd.DataFrame:
    kids = world.children
    listed = (
        kids["school_state"].isin(["enrolled", "dropout", "suspended", "transferred", "graduated"]).to_numpy()
    )
    main = kids[listed].reset_index(drop=True)
    moved = kids[kids["transfer_pair"].to_numpy()].reset_index(drop=True)
    rows = pd.concat([main.assign(moved_from=False), moved.assign(moved_from=True)], ignore_index=True)
    out = _base(world, rows)
    stage = rows["school_stage"].to_numpy()
    out["stage"] = stage
    school = _schools(world, rows, rng)
    out[["school_id", "school_name", "school_county"]] = school
    out["county_code"] = school[:, 2]
    out["split"] = school[:, 2]
    out["grade"] = rows["school_grade"].to_numpy()
    out["grade_label"] = _grade_labels(stage, rows["school_grade"].to_numpy(), labels)
    out["class_label"] = pd.Series(rng.integers(1, 7, len(rows))).astype(str).to_numpy() + "班"
    has_id = out["id_number"].to_numpy() != ""
    other_code = (
        "L"
        + rows["county_code"].to_numpy()
        + pd.Series(rng.integers(10**11, 10**12, len(rows))).astype(str).to_numpy()
    )
    out["student_number"] = np.where(has_id, "G" + out["id_number"], other_code)
    out["id_type"] = np.where(has_id, "居民身份证", "无")
    out["hukou_label"] = hukou_labels(world.names.cfg, labels, rows["rural"].to_numpy(), rng)
    out["address"] = addresses(world, rows, rng)
    out["boarding"] = rows["school_mode"].to_numpy()
    _school_flags(rows, out, r, world.names.cfg, labels, rng)
    state = np.where(rows["moved_from"], "transferred", rows["school_state"]).astype(object)
    out["status"] = state
    g = guardians(world, rows, rng)
    out[["guardian_name", "guardian_relation", "guardian_phone"]] = g[
        ["guardian_name", "guardian_relation", "guardian_phone"]
    ].to_numpy()
    out["boarding_subsidy"] = np.where(state == "enrolled", rows["boarding_subsidy"].to_numpy(), np.nan)
    return out.sort_values(["split", "school_id", "person_id"], kind="stable").reset_index(drop=True)


def _schools(world: World, rows: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """The township's school for its own stages, the county's for the others; a 转出 row is
    from a school elsewhere in the county."""
    schools = world.schools
    township_level = schools[schools["township"] != ""].set_index(["county_code", "township", "stage"])
    county_level = schools[schools["township"] == ""].set_index(["county_code", "stage"])
    towns = world.places.groupby("county_code")["township"].unique()
    township = rows["township"].to_numpy().copy()
    moved = rows["moved_from"].to_numpy()
    for i in np.flatnonzero(moved):
        options = [t for t in towns[rows["county_code"].iat[i]] if t != township[i]]
        township[i] = options[int(rng.integers(0, len(options)))] if options else township[i]
    stage = rows["school_stage"].to_numpy()
    local = np.isin(stage, ["preschool", "primary", "junior"])
    keys_t = pd.MultiIndex.from_arrays([rows["county_code"].to_numpy(), township, stage])
    keys_c = pd.MultiIndex.from_arrays([rows["county_code"].to_numpy(), stage])
    t = township_level.reindex(keys_t)
    c = county_level.reindex(keys_c)
    sid = np.where(local, t["school_id"].to_numpy(), c["school_id"].to_numpy())
    name = np.where(local, t["school_name"].to_numpy(), c["school_name"].to_numpy())
    return np.column_stack([sid, name, rows["county_code"].to_numpy()]).astype(object)


def _grade_labels(stage: np.ndarray, grade: np.ndarray, labels: dict) -> np.ndarray:
    numerals = np.asarray(labels["numerals"], dtype=object)
    g = np.clip(grade, 1, 9) - 1
    return np.select(
        [stage == "preschool", stage == "junior", np.isin(stage, ["senior"])],
        [
            np.asarray(labels["preschool_grades"], dtype=object)[np.clip(grade, 1, 3) - 1],
            numerals[np.clip(grade + 5, 0, 8)] + "年级",
            np.asarray(labels["senior_grades"], dtype=object)[np.clip(grade, 1, 3) - 1],
        ],
        numerals[g] + "年级",
    ).astype(object)


def _school_flags(
    rows: pd.DataFrame, out: pd.DataFrame, r: dict, cfg: dict, labels: dict, rng: np.random.Generator
) -> None:
    """The school's own flags: mostly right, and sometimes a lead with nothing behind it
    (a pupil with one parent away flagged 留守, a chronic illness flagged 残疾)."""
    s = rows["situation"].to_numpy()
    certified = rows["dis_grade"].to_numpy() > 0
    truly = {
        "left_behind": s == "left_behind",
        "orphan": s == "orphaned",
        "disabled": certified,
        "poor": (rows["poverty"] != "").to_numpy(),
    }
    near = {
        "left_behind": np.isin(s, ["one_away", "both_away"]),
        "orphan": s == "single_lost",
        "disabled": rows["chronic"].to_numpy(),
        "poor": np.ones(len(rows), bool),
    }
    right, weight = cfg["shares"]["school_flag_right"], cfg["shares"]["school_flag_lead_weight"]
    u = rng.random((len(rows), len(truly)))
    for i, flag in enumerate(truly):
        lead = r["school_flag_lead"] * weight[flag]
        out[f"flag_{flag}"] = (truly[flag] & (u[:, i] < right[flag])) | (near[flag] & (u[:, i] < lead))
    names = pd.Series(rows["dis_category"].to_numpy()).map(labels["disability_category"]).fillna("其他")
    out["flag_disability_type"] = np.where(out["flag_disabled"], names.to_numpy(), None)


def insurance_rows(world: World, cfg: dict, as_of: date, rng: np.random.Generator) -> pd.DataFrame:
    kids = world.children
    this_year = kids[(kids["ins_status"] != "").to_numpy()].assign(
        year=as_of.year, status=lambda k: k["ins_status"]
    )
    last_year = kids[kids["ins_previous"].to_numpy()].assign(year=as_of.year - 1, status="paid")
    rows = pd.concat([this_year, last_year], ignore_index=True)
    out = _base(world, rows)
    out["split"] = rows["county_code"].to_numpy()
    out["year"] = rows["year"].astype(str).to_numpy()
    status = rows["status"].to_numpy()
    paid = status == "paid"
    subsidy = np.where(paid, rows["ins_subsidy"].to_numpy(), "none")
    premium = float(cfg["amounts"]["insurance_premium"])
    aid = np.select(
        [pd.Series(subsidy).str.startswith("full").to_numpy(), subsidy == "partial"],
        [premium, float(cfg["amounts"]["partial_subsidy"])],
        0.0,
    )
    out["status"] = status
    out["subsidy"] = subsidy
    out["subsidy_amount"] = np.where(paid, aid, np.nan)
    out["premium"] = np.where(paid, premium - aid, np.nan)
    out["critical_cover"] = np.where(paid, True, None)
    return out.sort_values(["split", "year", "person_id"], kind="stable").reset_index(drop=True)


def health_rows(world: World, r: dict, cfg: dict, as_of: date, rng: np.random.Generator) -> pd.DataFrame:
    kids = world.children
    hiv = kids["hiv"].to_numpy() & (rng.random(len(kids)) < r["health_hiv_registered"])
    serious = kids["serious"].to_numpy()
    chronic = kids["chronic"].to_numpy()
    rows = kids[hiv | serious | chronic].reset_index(drop=True)
    n = len(rows)
    kind = np.select([rows["hiv"].to_numpy(), rows["serious"].to_numpy()], ["hiv", "serious"], "other")
    out = _base(world, rows)
    codes = {k: pick(rng, list(cfg[f"{k}_diagnoses"]), n) for k in ("hiv", "serious", "other")}
    out["dx_code"] = np.select(
        [kind == "hiv", kind == "serious"], [codes["hiv"], codes["serious"]], codes["other"]
    )
    all_names = {**cfg["hiv_diagnoses"], **cfg["serious_diagnoses"], **cfg["other_diagnoses"]}
    out["dx_name"] = out["dx_code"].map(all_names).to_numpy()
    first_possible = (rows["birth"] + pd.Timedelta(days=30)).clip(upper=pd.Timestamp(as_of))
    out["dx_date"] = random_dates(rng, first_possible, as_of, n).to_numpy()
    deductible = cfg["policy"]["deductible"]
    cost = cfg["amounts"]["health_costs"]
    u = rng.random((n, 4))
    above = np.round(deductible * (1 + (cost["serious_max_times"] - 1) * u[:, 0]), -1)
    trap = (kind == "other") & (u[:, 2] < cfg["shares"]["health_cost_trap"])  # over the figure, yet 否
    below = np.round(
        np.where(kind == "hiv", cost["hiv_max"], deductible * cost["other_max_share"]) * u[:, 0], -1
    )
    over = deductible + np.round(cost["trap_over_max"] * u[:, 1], -1)
    out["out_of_pocket"] = np.where(kind == "serious", above, np.where(trap, over, below))
    blank = (u[:, 1] < r["health_reaches_blank"]) & ~trap
    out["reaches"] = np.where(blank, None, kind == "serious")
    out["family_doctor"] = u[:, 3] < r["family_doctor_signed"]
    out["address"] = addresses(world, rows, rng)
    out["guardian_name"] = guardians(world, rows, rng)["guardian_name"].to_numpy()
    out["split"] = ""
    return out.sort_values(["dx_date", "person_id"], kind="stable").reset_index(drop=True)
