"""What a perfect registry would derive: policy.md applied to the clean extracts.

This is the independent check of the project's rule engine, so it shares no code
with ``policy/``. It reads only what the extracts say (before any mess), with
perfect knowledge of which rows are the same person; where no extract says
something (a parent's status, a birth date), it is not known here either.

One consequence of the mess is the contract's, not the rules': a household-roster
row has no birth date of its own, only its identity number's, so a roster row whose
number is not usable *as written* (registry.md) makes nobody a child. A child known
only from such rows is not in the registry, and not here. A roster frame may say so
in an ``id_usable`` column (``city.write_city`` fills it from the rendered rows);
without one, a non-blank clean number counts as usable.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from synth.dates import school_year_start, whole_years

LOST = {"dead", "missing"}
UNABLE = {"prison", "rehab", "disabled", "ill", "revoked", "incapable"}
WORK_AWAY = {"province", "out_of_province"}
CATEGORIES = [
    "orphan",
    "hiv",
    "serious_illness",
    "severe_disability",
    "extreme_hardship",
    "poor_family",
    "left_behind",
    "distressed",
    "disabled",
]
EXTRACTS = [
    "civil_affairs_children",
    "civil_affairs_assistance",
    "poverty_households",
    "disability_certificates",
    "education_students",
    "health_insurance",
    "health_conditions",
]


def derive(
    frames: dict[str, pd.DataFrame], children: pd.DataFrame, policy: dict, as_of: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(categories, alerts) as long tables: person_id + category / alert."""
    facts = _facts(frames, children, policy, as_of)
    cats = _categories(facts, policy)
    alerts = _alerts(facts, cats, policy)
    return _long(cats[CATEGORIES], "category"), _long(alerts, "alert")


def _long(flags: pd.DataFrame, name: str) -> pd.DataFrame:
    stacked = flags.stack()
    out = stacked[stacked].reset_index()
    out.columns = ["person_id", name, "_"]
    return out[["person_id", name]].sort_values(["person_id", name]).reset_index(drop=True)


def _any(rows: pd.DataFrame, mask, index: pd.Index) -> pd.Series:
    """Per person: does any of its rows satisfy mask."""
    hit = rows.loc[np.asarray(mask, dtype=bool), "person_id"].unique()
    return pd.Series(index.isin(hit), index=index)


def _max(rows: pd.DataFrame, column: str, index: pd.Index, mask=None) -> pd.Series:
    """Per person: the largest value of column (blank = 0) over its rows (or those in mask)."""
    r = rows if mask is None else rows[np.asarray(mask, dtype=bool)]
    return (
        r.assign(v=r[column].astype(float).fillna(0)).groupby("person_id")["v"].max().reindex(index).fillna(0)
    )


def _facts(
    frames: dict[str, pd.DataFrame], children: pd.DataFrame, policy: dict, as_of: date
) -> pd.DataFrame:
    """One row per child any extract knows, with what the extracts say about it."""
    ledger = frames["civil_affairs_children"]
    assistance = frames["civil_affairs_assistance"]
    poverty = frames["poverty_households"]
    disability = frames["disability_certificates"]
    education = frames["education_students"]
    insurance = frames["health_insurance"]
    health = frames["health_conditions"]

    seen = pd.concat([frames[s][["person_id"]].assign(dated=_dated_rows(frames[s], s)) for s in EXTRACTS])
    seen = seen[seen["person_id"].isin(children["person_id"])]
    dated = seen.loc[seen["dated"], "person_id"].unique()
    kids = children.set_index("person_id").loc[sorted(dated)]
    idx = kids.index
    f = pd.DataFrame(index=idx)
    f["age"] = whole_years(kids["birth"], as_of)
    f["age_school"] = whole_years(kids["birth"], school_year_start(as_of))
    f["rural"] = kids["rural"].to_numpy()

    labels = ledger.assign(label=ledger["labels"].str.split(",")).explode("label")
    for code in ("orphan", "unsupported", "hiv", "left_behind"):
        f[f"reg_{code}"] = _any(labels, labels["label"] == code, idx)
    f["on_ledger"] = idx.isin(ledger["person_id"])
    f["labelled"] = _any(labels, labels["label"].fillna("") != "", idx)
    f["allowance"] = _max(ledger, "living_allowance", idx)
    f["unsupervised"] = _any(ledger, _unsupervised(ledger), idx)

    for kind in ("urban_dibao", "rural_dibao", "tekun", "low_income"):
        f[kind] = _any(assistance, assistance["assistance_type"] == kind, idx)
    f["poverty_member"] = idx.isin(poverty["person_id"])
    f["poverty_dropout"] = _any(poverty, poverty["school_status"] == "辍学", idx)
    f = f.join(_parents(ledger, assistance, poverty).reindex(idx).eq(True))

    prefixes = tuple(policy["hiv_code_prefixes"])
    f["hiv_dx"] = _any(health, health["dx_code"].str.upper().str.startswith(prefixes), idx)
    reaches = health["reaches"].map({True: True, False: False})
    by_cost = reaches.isna() & (health["out_of_pocket"].astype(float) >= policy["deductible"])
    f["serious_dx"] = _any(health, reaches.eq(True) | by_cost, idx)
    f["doctor_unsigned"] = _any(health, health["family_doctor"].eq(False), idx)

    f["certified"] = idx.isin(disability["person_id"])
    f["severe_cert"] = _any(disability, disability["grade"].isin([1, 2]), idx)
    rehab_kind = disability["category"].isin(policy["rehabilitation_categories"]) | disability["autism"].eq(
        True
    )
    f["rehab_kind"] = _any(disability, rehab_kind, idx)
    f["rehab_received"] = _any(disability, disability["rehab"].eq(True), idx)
    f["disability_allowance"] = _max(disability, "allowance", idx)
    f["student_subsidy"] = _max(disability, "student_subsidy", idx)

    enrolled = education["status"] == "enrolled"
    in_compulsory = enrolled & (
        education["stage"].isin(["primary", "junior"])
        | ((education["stage"] == "special") & (education["grade"] <= 9))
    )
    f["enrolled"] = _any(education, enrolled, idx)
    f["school_dropout"] = _any(education, education["status"].isin(["dropout", "suspended"]), idx)
    f["in_compulsory"] = _any(education, in_compulsory, idx)
    boarder = in_compulsory & (education["boarding"] == "boarding")
    junior = (education["stage"] == "junior") | (
        (education["stage"] == "special") & (education["grade"] >= 7)
    )
    amounts = policy["boarding_subsidy"]
    education = education.assign(due=np.where(junior, amounts["junior"], amounts["primary"]))
    f["boarder"] = _any(education, boarder, idx)
    f["boarding_due"] = _max(education, "due", idx, boarder)
    f["boarding_paid"] = _max(education, "boarding_subsidy", idx, boarder)

    current = insurance[(insurance["year"].astype(int) == as_of.year) & (insurance["status"] == "paid")]
    f["insured"] = idx.isin(current["person_id"])
    f["full_subsidy"] = _any(current, current["subsidy"].str.startswith("full"), idx)
    f["any_subsidy"] = _any(current, current["subsidy"] != "none", idx)
    return f


_ROSTERS = {"civil_affairs_assistance", "poverty_households"}
# Spoilings of a row's own identity number that leave no usable number (sources.md):
# blank, a wrong check digit, an Excel float or zeroed tail, a 15-digit legacy number.
UNUSABLE_ID_MESS = frozenset({"id_blank", "id_bad_check", "id_excel_float", "id_zeroed", "id_legacy15"})


def written_id_usable(clean_id: pd.Series, mess: pd.Series) -> pd.Series:
    """Whether a row's own identity number, as written, is one the registry may use.

    ``clean_id`` is the number before the mess, ``mess`` the row's comma-joined mess
    codes. Unusable: blank, spoilt beyond repair (``UNUSABLE_ID_MESS``), or ending in
    ``000`` — Excel's zeroed tail, suspect even when the check digit passes (sources.md).
    """
    number = clean_id.fillna("").astype(str)
    spoilt = mess.fillna("").str.split(",").map(lambda codes: not UNUSABLE_ID_MESS.isdisjoint(codes))
    return (number.ne("") & ~number.str.endswith("000") & ~spoilt.astype(bool)).astype(bool)


def _dated_rows(frame: pd.DataFrame, source: str) -> pd.Series:
    """Rows that give their person a birth date: any row of a dated extract; a roster
    row only through a usable identity number."""
    if source not in _ROSTERS:
        return pd.Series(True, index=frame.index)
    if "id_usable" in frame:
        return frame["id_usable"].astype("boolean").fillna(False).astype(bool)
    return frame["id_number"].fillna("").ne("")


def _unsupervised(ledger: pd.DataFrame) -> pd.Series:
    """Ledger rows of a child living alone, with no 实际监护人, or in the care of an unable parent."""
    no_guardian = ledger["guardian_name"].fillna("") == ""
    unable_father = (ledger["guardian_relation"] == "father") & ledger["father_status"].isin(UNABLE)
    unable_mother = (ledger["guardian_relation"] == "mother") & ledger["mother_status"].isin(UNABLE)
    return ledger["lives_alone"].eq(True) | no_guardian | unable_father | unable_mother


def _parents(ledger: pd.DataFrame, assistance: pd.DataFrame, poverty: pd.DataFrame) -> pd.DataFrame:
    """Whether both parents are lost, unable or away, from every source naming them.

    Parents come from the ledger's 父亲/母亲 columns and from rosters (a 子/女 of the
    household has its head and spouse as parents; a grandchild has none from the
    roster). Statuses come from any ledger row naming the parent, and 务工状况
    outside the county on the poverty roster counts as working away.
    """
    links = [
        ledger[["person_id", f"{p}_pid"]].set_axis(["child", "parent"], axis=1) for p in ("father", "mother")
    ]
    for roster in (assistance, poverty):
        household = roster["household_no"]
        heads = roster[roster["relationship"] == "head"].set_index(
            household[roster["relationship"] == "head"]
        )
        spouses = roster[roster["relationship"] == "spouse"].set_index(
            household[roster["relationship"] == "spouse"]
        )
        offspring = roster[roster["relationship"].isin(["son", "daughter"])]
        for adults in (heads, spouses):
            parent = adults["person_id"].reindex(offspring["household_no"]).to_numpy()
            links.append(pd.DataFrame({"child": offspring["person_id"].to_numpy(), "parent": parent}))
    links = pd.concat(links).dropna().drop_duplicates()

    statuses = pd.concat(
        [
            ledger[[f"{p}_pid", f"{p}_status"]].set_axis(["parent", "status"], axis=1)
            for p in ("father", "mother")
        ]
        + [
            poverty.loc[poverty["work_status"].isin(WORK_AWAY), ["person_id"]]
            .set_axis(["parent"], axis=1)
            .assign(status="away")
        ]
    ).dropna()
    per_parent = (
        pd.DataFrame(
            {
                "lost": statuses["status"].isin(LOST),
                "unable": statuses["status"].isin(UNABLE),
                "away": statuses["status"] == "away",
                "parent": statuses["parent"],
            }
        )
        .groupby("parent")
        .any()
    )
    linked = links.join(per_parent, on="parent")
    linked[["lost", "unable", "away"]] = linked[["lost", "unable", "away"]].eq(True)
    # "one parent ... and the other ...": the two facts must be about two parents, so a
    # parent recorded both dead and in prison (or away and ill) is not the pair alone.
    two = linked[linked.groupby("child")["parent"].transform("size") == 2].sort_values(["child", "parent"])
    first, second = (two.groupby("child").nth(i).set_index("child") for i in (0, 1))

    def pair(a: str, b: str) -> pd.Series:
        return (first[a] & second[b]) | (first[b] & second[a])

    return pd.DataFrame(
        {
            "both_lost": pair("lost", "lost"),
            "unable_pair": pair("unable", "unable") | pair("lost", "unable"),
            "away_pair": pair("away", "away") | pair("away", "unable"),
        }
    )


def _categories(f: pd.DataFrame, policy: dict) -> pd.DataFrame:
    minor = f["age"] < policy["child_age"]
    c = pd.DataFrame(index=f.index)
    c["orphan"] = minor & (f["both_lost"] | f["reg_orphan"])
    c["hiv"] = minor & (f["hiv_dx"] | f["reg_hiv"])
    c["serious_illness"] = minor & f["serious_dx"]
    c["severe_disability"] = minor & f["severe_cert"]
    c["hardship_inferred"] = minor & ~c["orphan"] & f["unable_pair"]
    c["hardship_registered"] = minor & ~c["orphan"] & (f["reg_unsupported"] | f["tekun"])
    c["extreme_hardship"] = c["hardship_inferred"] | c["hardship_registered"]
    c["poor_family"] = minor & (f["poverty_member"] | f["urban_dibao"] | f["rural_dibao"])
    young = f["age"] < policy["left_behind_age"]
    c["left_behind_inferred"] = young & f["rural"] & f["away_pair"]
    c["left_behind"] = c["left_behind_inferred"] | (young & f["reg_left_behind"])
    first_six = ["orphan", "hiv", "serious_illness", "severe_disability", "extreme_hardship", "poor_family"]
    c["distressed"] = c[first_six].any(axis=1)
    c["disabled"] = minor & f["certified"]
    return c


def _alerts(f: pd.DataFrame, c: pd.DataFrame, policy: dict) -> pd.DataFrame:
    minor = f["age"] < policy["child_age"]
    a = pd.DataFrame(index=f.index)
    a["living_allowance_missing"] = (c["orphan"] | c["hiv"]) & (f["allowance"] <= 0)
    tiers = policy["disability_allowance"]
    due = np.where(
        f["urban_dibao"] | f["rural_dibao"] | f["tekun"],
        tiers["dibao"],
        np.where(f["low_income"], tiers["low_income"], tiers["other"]),
    )
    paid = f["disability_allowance"]
    a["disability_allowance_missing"] = c["severe_disability"] & (paid <= 0)
    a["disability_allowance_underpaid"] = c["severe_disability"] & (paid > 0) & (paid < due)
    a["hardship_unregistered"] = c["hardship_inferred"] & ~c["hardship_registered"]
    a["orphan_unregistered"] = minor & f["both_lost"] & ~f["reg_orphan"]
    a["medical_insurance_missing"] = c["distressed"] & ~f["insured"]
    needs_full = c["orphan"] | c["extreme_hardship"] | c["poor_family"]
    needs_some = c["serious_illness"] | c["severe_disability"]
    a["insurance_subsidy_missing"] = f["insured"] & (
        (needs_full & ~f["full_subsidy"]) | (needs_some & ~f["any_subsidy"])
    )
    a["rehabilitation_missing"] = (
        c["disabled"]
        & (f["age"] <= policy["rehabilitation_max_age"])
        & f["rehab_kind"]
        & ~f["rehab_received"]
    )
    a["family_doctor_unsigned"] = c["distressed"] & f["doctor_unsigned"]
    school_age = (f["age_school"] >= policy["compulsory_school_entry_age"]) & (
        f["age"] < policy["left_behind_age"]
    )
    out_of_school = school_age & ~f["enrolled"]
    a["dropout"] = out_of_school & (f["school_dropout"] | f["poverty_dropout"])
    a["not_in_school"] = out_of_school & ~a["dropout"]
    boarder = c["distressed"] & f["boarder"]
    a["boarding_subsidy_missing"] = boarder & (f["boarding_paid"] <= 0)
    a["boarding_subsidy_underpaid"] = (
        boarder & (f["boarding_paid"] > 0) & (f["boarding_paid"] < f["boarding_due"])
    )
    a["disabled_student_subsidy_missing"] = (
        c["disabled"] & f["in_compulsory"] & (f["student_subsidy"] < policy["disabled_student_subsidy"])
    )
    a["left_behind_unregistered"] = c["left_behind_inferred"] & ~f["on_ledger"]
    a["left_behind_unsupervised"] = c["left_behind"] & f["on_ledger"] & f["unsupervised"]
    over_18 = f["age"] >= policy["child_age"]
    over_16 = f["age"] >= policy["left_behind_age"]
    # "registered ... as a child category whose age limit has passed": a ledger row
    # without any 儿童类别 names no category, so no limit.
    a["aged_out"] = f["labelled"] & (over_18 | (over_16 & f["reg_left_behind"]))
    return a


def organisation(
    staff: pd.DataFrame, places: pd.DataFrame, children: pd.DataFrame, categories: pd.DataFrame
) -> pd.DataFrame:
    """Townships with no staff, and villages with distressed or left-behind children but no 儿童督导员."""
    townships = places.drop_duplicates(["county_code", "township"])[["county_code", "township"]]
    staffed = staff[["county_code", "township"]].drop_duplicates()
    bare = townships.merge(staffed, how="left", indicator=True).query("_merge == 'left_only'")
    needy = categories[categories["category"].isin(["distressed", "left_behind"])]["person_id"].unique()
    villages = children[children["person_id"].isin(needy)][
        ["county_code", "township", "village"]
    ].drop_duplicates()
    supervised = staff[staff["role"] == "supervisor"][
        ["county_code", "township", "village"]
    ].drop_duplicates()
    unsupervised = villages.merge(supervised, how="left", indicator=True).query("_merge == 'left_only'")
    return (
        pd.concat(
            [
                bare[["county_code", "township"]].assign(village="", gap="township_without_staff"),
                unsupervised[["county_code", "township", "village"]].assign(gap="village_without_supervisor"),
            ],
            ignore_index=True,
        )
        .sort_values(["gap", "county_code", "township", "village"])
        .reset_index(drop=True)
    )
