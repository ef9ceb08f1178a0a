"""What is true of each child beyond its family: conditions, school, insurance, money paid.

Departments later record (or fail to record) these; nothing here is yet a row.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from synth.dates import school_year_start, whole_years
from synth.rng import choose, stream

FAMILY_COLUMNS = [
    "county_code",
    "township",
    "old_township",
    "village",
    "rural",
    "ethnicity",
    "group",
    "situation",
]
DIBAO = ("urban_dibao", "rural_dibao", "tekun")
COMPULSORY_STAGES = ("primary", "junior", "special")


def add_traits(
    fam: pd.DataFrame,
    kids: pd.DataFrame,
    adults: pd.DataFrame,
    schools: pd.DataFrame,
    rates: dict,
    cfg: dict,
    as_of: date,
    seed: int,
) -> None:
    for col in FAMILY_COLUMNS:
        kids[col] = fam[col].to_numpy()[kids["family"].to_numpy()]
    kids["age_sy"] = whole_years(kids["birth"], school_year_start(as_of))
    _conditions(kids, rates, cfg, stream(seed, "conditions"))
    _memberships(fam, rates, cfg, stream(seed, "memberships"))
    _flags(fam, kids)
    _schooling(kids, rates, cfg["shares"], stream(seed, "schooling"))
    _insurance(kids, rates, cfg["shares"], stream(seed, "insurance"))
    _payments(kids, rates, cfg, stream(seed, "payments"))


def _exact(
    rng: np.random.Generator, rate: float, eligible: np.ndarray, weight: np.ndarray | None = None
) -> np.ndarray:
    """Exactly round(rate x eligible) children, so a small city still has its rare cases."""
    m = min(int(round(rate * eligible.sum())), int(eligible.sum()))
    w = eligible * (1.0 if weight is None else weight)
    out = np.zeros(len(eligible), bool)
    if m:
        out[rng.choice(len(eligible), size=m, replace=False, p=w / w.sum())] = True
    return out


def _conditions(kids: pd.DataFrame, r: dict, cfg: dict, rng: np.random.Generator) -> None:
    n = len(kids)
    minor = (kids["age"] < 18).to_numpy()
    has_id = (kids["id_number"] != "").to_numpy()
    disabled = minor & has_id & (rng.random(n) < r["disability"])
    category = choose(rng, cfg["disability_categories"], n).astype(int)
    grade = choose(rng, cfg["disability_grades"], n).astype(int)
    kids["dis_category"] = np.where(disabled, category, 0)
    kids["dis_grade"] = np.where(disabled, grade, 0)
    kids["autism"] = disabled & (category == 6) & (rng.random(n) < cfg["autism_share_of_mental"])
    risk = np.where((kids["group"] == "yi").to_numpy() & kids["rural"].to_numpy(), 4.0, 1.0)
    kids["hiv"] = _exact(rng, r["hiv"], minor & (kids["age"] >= 1).to_numpy(), risk)
    kids["serious"] = _exact(rng, r["serious_illness"], minor & ~kids["hiv"].to_numpy())
    kids["chronic"] = _exact(
        rng, r["chronic_condition"], minor & ~kids["hiv"].to_numpy() & ~kids["serious"].to_numpy()
    )


def _memberships(fam: pd.DataFrame, r: dict, cfg: dict, rng: np.random.Generator) -> None:
    """Which families are on the poverty roster and which receive social assistance."""
    n = len(fam)
    s = fam["situation"].to_numpy()
    rural = fam["rural"].to_numpy()
    u = rng.random((n, 6))
    vulnerable = np.isin(s, ["orphaned", "unsupported", "left_behind", "single_lost", "single_unable"])
    single = np.isin(s, ["single_lost", "single_unable"])
    poor = rural & ((u[:, 0] < r["poverty_rural"]) | (vulnerable & (u[:, 1] < r["poverty_vulnerable"])))
    fam["poverty"] = np.where(poor, choose(rng, cfg["poverty_types"], n), "").astype(object)
    tekun = np.isin(s, ["orphaned", "unsupported"]) & (u[:, 2] < r["tekun_household"])
    dibao_p = np.where(rural, r["dibao_rural"], r["dibao_urban"])
    dibao = (
        (u[:, 3] < dibao_p)
        | (single & (u[:, 4] < r["dibao_vulnerable"]))
        | (poor & (u[:, 4] < r["poverty_dibao_overlap"]))
    )
    fam["assistance"] = np.select(
        [tekun, dibao & rural, dibao, u[:, 5] < r["low_income"]],
        ["tekun", "rural_dibao", "urban_dibao", "low_income"],
        "",
    ).astype(object)


def _flags(fam: pd.DataFrame, kids: pd.DataFrame) -> None:
    """The child's situation as it truly is; departments' coverage depends on it."""
    f = kids["family"].to_numpy()
    minor = (kids["age"] < 18).to_numpy()
    kids["assistance"] = fam["assistance"].to_numpy()[f]
    kids["poverty"] = fam["poverty"].to_numpy()[f]
    kids["severe"] = np.isin(kids["dis_grade"], [1, 2])
    kids["distressed"] = minor & (
        kids["situation"].isin(["orphaned", "unsupported"]).to_numpy()
        | np.isin(kids["assistance"], DIBAO)
        | (kids["poverty"] != "").to_numpy()
        | kids["hiv"].to_numpy()
        | kids["serious"].to_numpy()
        | kids["severe"].to_numpy()
    )


def _schooling(kids: pd.DataFrame, r: dict, share: dict, rng: np.random.Generator) -> None:
    """Stage and grade by age on 31 August; the compulsory-age children missing from school."""
    n = len(kids)
    asy = kids["age_sy"].to_numpy()
    age = kids["age"].to_numpy()
    u = rng.random((n, 6))
    held = (u[:, 0] < r["held_back"]) & (asy >= 7)
    g = asy - 5 - held
    minor = age < 18
    pre = minor & (g <= 0) & (asy >= 3) & (u[:, 1] < r["preschool_enrolled"])
    senior = minor & (g >= 10) & (u[:, 1] < r["senior_enrolled"])
    special = (
        minor
        & (g >= 1)
        & (g <= 9)
        & kids["severe"].to_numpy()
        & np.isin(kids["dis_category"], [5, 7])
        & (u[:, 2] < r["special_school_severe"])
    )
    stage = np.select(
        [
            pre,
            special,
            minor & (g >= 1) & (g <= 6),
            minor & (g >= 7) & (g <= 9),
            senior & (u[:, 2] < r["senior_vocational"]),
            senior,
        ],
        ["preschool", "special", "primary", "junior", "vocational", "senior"],
        "",
    ).astype(object)
    grade = np.select(
        [stage == "preschool", np.isin(stage, ["special", "primary"]), stage == "junior"],
        [np.clip(asy - 2 - held, 1, 3), g, g - 6],
        np.clip(g - 9, 1, 3),
    )
    compulsory = (asy >= 6) & (age < 16)
    cuts = np.cumsum(
        [
            r["compulsory_no_row"],
            r["compulsory_dropout"],
            r["compulsory_suspended"],
            r["compulsory_transferred_only"],
        ]
    )
    v = u[:, 3]
    gap = compulsory & (stage != "")
    state = np.select(
        [gap & (v < cuts[0]), gap & (v < cuts[1]), gap & (v < cuts[2]), gap & (v < cuts[3]), stage != ""],
        ["no_row", "dropout", "suspended", "transferred", "enrolled"],
        "none",
    ).astype(object)
    graduated = minor & (state == "none") & (age >= 15) & (u[:, 4] < r["graduated_row"])
    state[graduated] = "graduated"
    stage[graduated] = "junior"
    grade[graduated] = 3
    rural = kids["rural"].to_numpy()
    boarding_p = np.select(
        [stage == "primary", stage == "junior", np.isin(stage, ["senior", "vocational", "special"])],
        [
            np.where(rural, r["boarding_rural_primary"], r["boarding_urban"]),
            np.where(rural, r["boarding_rural_junior"], r["boarding_urban"]),
            share["senior_boarding"],
        ],
        0.0,
    )
    home = (stage == "special") & (u[:, 5] < r["home_delivered"])
    kids["school_stage"] = stage
    kids["school_grade"] = grade.astype(int)
    kids["school_mode"] = np.where(
        home, "home_delivered", np.where(u[:, 4] < boarding_p, "boarding", "day")
    ).astype(object)
    kids["school_state"] = state
    kids["compulsory"] = compulsory
    kids["transfer_pair"] = (state == "enrolled") & (rng.random(n) < r["transfer_pair"])


def _insurance(kids: pd.DataFrame, r: dict, share: dict, rng: np.random.Generator) -> None:
    """Insurance this year (and last), with the subsidy the child's family is given."""
    n = len(kids)
    u = rng.random((n, 6))
    minor = (kids["age"] < 18).to_numpy()
    has_id = (kids["id_number"] != "").to_numpy()
    insured = minor & (u[:, 0] < np.where(has_id, r["insured"], r["insured_no_id"]))
    cuts = np.cumsum([r["insurance_unpaid_row"], r["insurance_suspended_row"], r["insurance_terminated_row"]])
    kids["ins_status"] = np.select(
        [insured, minor & (u[:, 1] < cuts[0]), minor & (u[:, 1] < cuts[1]), minor & (u[:, 1] < cuts[2])],
        ["paid", "unpaid", "suspended", "terminated"],
        "",
    ).astype(object)
    kids["ins_previous"] = minor & (kids["age"] >= 1).to_numpy() & (u[:, 2] < r["insurance_previous_year"])
    s = kids["situation"].to_numpy()
    a = kids["assistance"].to_numpy()
    full = np.select(
        [
            (a == "tekun") | (s == "unsupported"),
            s == "orphaned",
            np.isin(a, ["urban_dibao", "rural_dibao"]),
            kids["poverty"].to_numpy() != "",
        ],
        ["full_tekun", "full_orphan", "full_dibao", "full_poverty"],
        "",
    )
    ill = kids["serious"].to_numpy() | kids["severe"].to_numpy()
    fallback = np.where(u[:, 4] < share["partial_not_none"], "partial", "none")
    kids["ins_subsidy"] = np.select(
        [
            (full != "") & (u[:, 3] < r["full_subsidy_given"]),
            full != "",
            ill & (u[:, 5] < r["ill_subsidy_given"]),
            ill,
            a == "low_income",
        ],
        [full, fallback, "partial", "none", fallback],
        "none",
    ).astype(object)


def _payments(kids: pd.DataFrame, r: dict, cfg: dict, rng: np.random.Generator) -> None:
    """Allowances, rehabilitation and subsidies as actually paid (blank when nothing)."""
    n = len(kids)
    u = rng.random((n, 6))
    policy = cfg["policy"]
    a = kids["assistance"].to_numpy()
    tiers = policy["disability_allowance"]
    due = np.where(
        np.isin(a, DIBAO), tiers["dibao"], np.where(a == "low_income", tiers["low_income"], tiers["other"])
    )
    lower = pd.Series(due).map(cfg["amounts"]["disability_underpaid"]).to_numpy()
    severe = kids["severe"].to_numpy()
    share = cfg["shares"]
    nothing = np.where(u[:, 1] < share["zero_not_blank"], 0.0, np.nan)
    kids["dis_allowance"] = np.where(
        severe & (u[:, 0] < r["disability_allowance_paid"]),
        due,
        np.where(
            severe & (u[:, 0] < r["disability_allowance_paid"] + r["disability_allowance_underpaid"]),
            lower,
            nothing,
        ),
    )
    kids["rehab"] = u[:, 2] < np.where(
        kids["age"] <= policy["rehabilitation_max_age"], r["rehab_received"], share["rehab_over_six"]
    )
    stage = kids["school_stage"].to_numpy()
    grade = kids["school_grade"].to_numpy()
    in_compulsory = (kids["school_state"] == "enrolled").to_numpy() & np.isin(stage, COMPULSORY_STAGES)
    kids["student_subsidy"] = np.where(
        in_compulsory & (u[:, 3] < r["disabled_student_subsidy_paid"]),
        policy["disabled_student_subsidy"],
        np.where(
            in_compulsory & (u[:, 1] < share["disabled_subsidy_half"]),
            policy["disabled_student_subsidy"] / 2,
            nothing,
        ),
    )
    boarding = in_compulsory & (kids["school_mode"] == "boarding").to_numpy()
    junior = (stage == "junior") | ((stage == "special") & (grade >= 7))
    amounts = policy["boarding_subsidy"]
    owed = np.where(junior, amounts["junior"], amounts["primary"]).astype(float)
    distressed = kids["distressed"].to_numpy()
    cut = r["boarding_subsidy_distressed"]
    paid = np.where(
        distressed,
        np.where(
            u[:, 4] < cut, owed, np.where(u[:, 4] < cut + r["boarding_subsidy_underpaid"], owed / 2, nothing)
        ),
        np.where(u[:, 4] < r["boarding_subsidy_other"], owed, nothing),
    )
    kids["boarding_subsidy"] = np.where(boarding, paid, np.nan)
