"""Household rosters: civil_affairs_assistance and poverty_households.

A roster lists a household's living members and their 与户主关系. A household is
headed by a grandparent when three generations live together (the children are
then 孙子/孙女, and the roster names no parent of theirs), by a parent otherwise,
and by the eldest child when no adult is left.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from synth.dates import random_dates
from synth.people import identity, present
from synth.rng import choose
from synth.world import World

PLACE = ["county_code", "township", "old_township", "village"]


def members(world: World, families: np.ndarray) -> pd.DataFrame:
    """family, person_id, relationship code, order (head first) of each listed household."""
    fam = world.families
    f = np.asarray(families)
    father, mother = present(world, "father", f), present(world, "mother", f)
    has_gf, has_gm = fam["has_gf"].to_numpy()[f], fam["has_gm"].to_numpy()[f]
    gp_head = (has_gf | has_gm) & (fam["three_generation"].to_numpy()[f] | ~(father | mother))
    father_head = ~gp_head & father
    mother_head = ~gp_head & ~father & mother
    child_head = ~gp_head & ~father & ~mother
    paternal = (fam["gp_side"] == "paternal").to_numpy()[f]

    def part(mask, role, relationship, order) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "family": f[mask],
                "person_id": fam[f"{role}_pid"].to_numpy()[f][mask],
                "relationship": np.broadcast_to(np.asarray(relationship, dtype=object), mask.shape)[mask],
                "order": order,
            }
        )

    parts = [
        part(gp_head & has_gf, "grandfather", "head", 0),
        part(gp_head & ~has_gf, "grandmother", "head", 0),
        part(gp_head & has_gf & has_gm, "grandmother", "spouse", 1),
        part(gp_head & father, "father", np.where(paternal, "son", "other"), 2),
        part(gp_head & mother, "mother", np.where(paternal, "other", "daughter"), 3),
        part(father_head, "father", "head", 0),
        part(father_head & mother, "mother", "spouse", 1),
        part(mother_head, "mother", "head", 0),
    ]
    kids = world.children
    k = kids[kids["family"].isin(f)]
    position = pd.Series(np.arange(len(f)), index=f)
    i = position.reindex(k["family"].to_numpy()).to_numpy()
    male = k["male"].to_numpy()
    eldest = ~k.duplicated("family").to_numpy()  # children are sorted by family, then birth
    relationship = np.select(
        [gp_head[i] & paternal[i], gp_head[i], child_head[i] & eldest, child_head[i]],
        [
            np.where(male, "grandson", "granddaughter"),
            np.where(male, "maternal_grandson", "maternal_granddaughter"),
            "head",
            "sibling",
        ],
        np.where(male, "son", "daughter"),
    )
    parts.append(
        pd.DataFrame(
            {
                "family": k["family"].to_numpy(),
                "person_id": k["person_id"].to_numpy(),
                "relationship": relationship,
                "order": np.where(relationship == "head", 0, 4),
            }
        )
    )
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["family", "order"], kind="stable").reset_index(drop=True)


def _household_frame(world: World, families: np.ndarray) -> pd.DataFrame:
    """Members with their identity, place and head of household."""
    m = members(world, families)
    out = identity(world, m["person_id"])
    out["family"] = m["family"].to_numpy()
    out["relationship"] = m["relationship"].to_numpy()
    fam = world.families
    out[PLACE] = fam[PLACE].to_numpy()[m["family"].to_numpy()]
    heads = out[out["relationship"] == "head"].set_index("family")
    out["head_pid"] = heads["person_id"].reindex(out["family"]).to_numpy()
    out["head_name"] = heads["name"].reindex(out["family"]).to_numpy()
    out["head_id"] = heads["id_number"].reindex(out["family"]).to_numpy()
    out["adult"] = (
        ~out["person_id"].str.startswith("C")
        | world.children.set_index("person_id")["age"].reindex(out["person_id"]).fillna(99).ge(18).to_numpy()
    )
    return out


def assistance_rows(
    world: World, cfg: dict, labels: dict, as_of: date, rng: np.random.Generator
) -> pd.DataFrame:
    fam = world.families
    families = np.flatnonzero((fam["assistance"] != "").to_numpy())
    out = _household_frame(world, families)
    kind = fam["assistance"].to_numpy()[out["family"].to_numpy()]
    out["assistance_type"] = kind
    out["split"] = pd.Series(kind).map(labels["assistance_group"]).to_numpy()
    approved = random_dates(rng, date(2015, 1, 1), as_of, len(fam))
    out["approved"] = approved.to_numpy()[out["family"].to_numpy()]
    number = pd.Series(np.arange(len(fam)) + 1).astype(str).str.zfill(6).to_numpy()
    year = approved.dt.year.astype(str).to_numpy()
    household = fam["county_code"].to_numpy() + year + number
    out["household_no"] = household[out["family"].to_numpy()]
    lo = pd.Series(kind).map({k: v[0] for k, v in cfg["amounts"]["assistance"].items()}).to_numpy(dtype=float)
    hi = pd.Series(kind).map({k: v[1] for k, v in cfg["amounts"]["assistance"].items()}).to_numpy(dtype=float)
    out["amount"] = np.round(lo + rng.random(len(out)) * (hi - lo), -1)
    return out


def poverty_rows(world: World, r: dict, as_of: date, rng: np.random.Generator) -> pd.DataFrame:
    fam = world.families
    families = np.flatnonzero((fam["poverty"] != "").to_numpy())
    out = _household_frame(world, families)
    f = out["family"].to_numpy()
    out["split"] = out["county_code"].to_numpy()
    out["household_type"] = fam["poverty"].to_numpy()[f]
    out["household_no"] = (
        fam["county_code"] + pd.Series(np.arange(len(fam))).astype(str).str.zfill(10)
    ).to_numpy()[f]
    kids = world.children.set_index("person_id").reindex(out["person_id"])
    adults = world.adults.set_index("person_id").reindex(out["person_id"])
    share = world.names.cfg["shares"]
    is_kid = out["person_id"].isin(world.children["person_id"]).to_numpy()
    out["school_status"] = np.where(is_kid, _school_status(kids, r, rng), "非在校生")
    out["health_status"] = np.where(is_kid, _child_health(kids), _adult_health(adults, share, rng))
    out["work_status"] = np.where(
        is_kid & ~out["adult"].to_numpy(dtype=bool),
        np.where(rng.random(len(out)) < share["child_work_blank"], None, "none"),
        _work(adults, world.names.cfg["work_status"], rng),
    )
    out["insured_flag"] = np.where(
        is_kid, (kids["ins_status"] == "paid").to_numpy(), rng.random(len(out)) < share["adult_insured"]
    )
    return out


def _school_status(kids: pd.DataFrame, r: dict, rng: np.random.Generator) -> np.ndarray:
    """在校生状况 in the poverty office's words; a few stale 辍学 for pupils back at school."""
    numerals = "一二三四五六七八九"
    stage = kids["school_stage"].fillna("").to_numpy()
    grade = kids["school_grade"].fillna(1).astype(int).clip(1, 9).to_numpy()
    state = kids["school_state"].fillna("").to_numpy()
    num = np.asarray(list(numerals), dtype=object)[grade - 1]
    junior_num = np.asarray(list(numerals), dtype=object)[np.clip(grade + 5, 0, 8)]
    label = np.select(
        [
            stage == "preschool",
            (stage == "primary") | ((stage == "special") & (grade <= 6)),
            (stage == "junior") | (stage == "special"),
            stage == "senior",
            stage == "vocational",
        ],
        [
            "学前教育",
            "小学" + num + "年级",
            np.where(stage == "junior", junior_num, num) + "年级",
            "高中" + num + "年级",
            "中职",
        ],
        "非在校生",
    )
    stale = (state == "enrolled") & (rng.random(len(kids)) < r["poverty_stale_dropout"])
    return np.select([state == "dropout", stale, state == "enrolled"], ["辍学", "辍学", label], "非在校生")


def _child_health(kids: pd.DataFrame) -> np.ndarray:
    return np.select(
        [
            kids["serious"].eq(True).to_numpy(),
            kids["dis_grade"].fillna(0).to_numpy() > 0,
            (kids["chronic"].eq(True) | kids["hiv"].eq(True)).to_numpy(),
        ],
        ["serious_illness", "disabled", "chronic"],
        "healthy",
    )


def _adult_health(adults: pd.DataFrame, share: dict, rng: np.random.Generator) -> np.ndarray:
    """健康状况 of an adult: an ill or disabled parent is written so, but stays a parent (not unable)."""
    status = adults["status"].fillna("normal").to_numpy()
    old = adults["role"].isin(["grandfather", "grandmother"]).to_numpy()
    chronic = rng.random(len(adults)) < np.where(old, share["chronic_grandparent"], share["chronic_parent"])
    return np.select(
        [status == "ill", status == "disabled", chronic],
        ["serious_illness", "disabled", "chronic"],
        "healthy",
    )


def _work(adults: pd.DataFrame, shares: dict, rng: np.random.Generator) -> np.ndarray:
    """务工状况: away parents work outside the county; the poverty roster has no other status words."""
    n = len(adults)
    status = adults["status"].fillna("normal").to_numpy()
    old = adults["role"].isin(["grandfather", "grandmother"]).to_numpy()
    away, home, elder = (choose(rng, shares[k], n) for k in ("away", "home", "elder"))
    return np.select([status == "away", old, status == "normal"], [away, elder, home], "none")
