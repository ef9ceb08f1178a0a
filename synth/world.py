"""The city as it truly is: families, their parents' situations, grandparents, children.

Nothing here is what a department wrote down: ``synth.extracts`` decides who each
department knows about and what it records, ``synth.render`` spoils the writing.
Every step draws from its own random stream, vectorised over all families.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from synth.dates import add_years, days_before, school_year_start, whole_years
from synth.ids import make_ids, usable_regions
from synth.names import Names
from synth.places import make_places
from synth.rng import choose, pick, stream
from synth.schools import make_schools
from synth.traits import add_traits

LOST = ("dead", "missing")
UNABLE = ("prison", "rehab", "disabled", "ill", "revoked", "incapable")
SITUATIONS = (
    "orphaned",
    "unsupported",
    "left_behind",
    "both_away",
    "single_lost",
    "single_unable",
    "one_away",
)
VULNERABLE = ("orphaned", "unsupported", "left_behind")
YEAR = 365.25


@dataclass
class World:
    as_of: date
    places: pd.DataFrame
    schools: pd.DataFrame
    families: pd.DataFrame  # one row per family, indexed 0..F-1 (children's and adults' `family`)
    adults: pd.DataFrame  # parents and grandparents
    children: pd.DataFrame  # every child, plus the few 18-19-year-olds still on the ledger
    names: Names


def build_world(n_children: int, seed: int, as_of: date, rates: dict[str, float], cfg: dict) -> World:
    places = make_places(cfg, stream(seed, "places"))
    schools = make_schools(places, cfg)
    names = Names(cfg)
    families = _families(n_children, places, rates, cfg, stream(seed, "families"))
    children = _children(families, n_children, rates, as_of, cfg, stream(seed, "children"))
    adults = _adults(families, children, cfg, stream(seed, "adults"))
    _name(families, children, adults, names, stream(seed, "names"))
    _number(families, children, adults, rates, cfg, as_of, stream(seed, "ids"))
    add_traits(families, children, adults, schools, rates, cfg, as_of, seed)
    return World(as_of, places, schools, families, adults, children, names)


def _families(n: int, places: pd.DataFrame, rates: dict, cfg: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Enough families, each in a village, to hold exactly n children."""
    guess = max(n, 1)
    pl = places.iloc[rng.choice(len(places), size=guess, p=places["weight"].to_numpy())].reset_index(
        drop=True
    )
    rural = pl["rural"].to_numpy()
    dist = cfg["children_per_family"]
    k = (
        np.where(
            rural,
            rng.choice(4, size=guess, p=_norm(dist["rural"])),
            rng.choice(4, size=guess, p=_norm(dist["urban"])),
        )
        + 1
    )
    cum = np.cumsum(k)
    last = int(np.searchsorted(cum, n))
    fam = pl.iloc[: last + 1].copy()
    fam["n_kids"] = k[: last + 1]
    fam.loc[fam.index[-1], "n_kids"] -= int(cum[last] - n)
    fam = fam.drop(columns="weight").reset_index(drop=True)
    _ethnic_groups(fam, cfg, rng)
    _situations(fam, rates, rng)
    _statuses(fam, rates, cfg, rng)
    _grandparents(fam, rates, cfg, rng)
    return fam


def _norm(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return p / p.sum()


def _ethnic_groups(fam: pd.DataFrame, cfg: dict, rng: np.random.Generator) -> None:
    shares = cfg["ethnic_shares"]
    town = fam["township"].astype(str)
    kind = np.where(
        town.str.contains("彝族乡"),
        "yi_township",
        np.where(town.str.contains("傈僳族乡"), "lisu_township", np.where(fam["rural"], "rural", "urban")),
    )
    table = np.array([shares[k] for k in kind]).reshape(len(fam), 3)
    cum = np.cumsum(table, axis=1)
    u = rng.random(len(fam))
    group = np.select([u < cum[:, 0], u < cum[:, 1], u < cum[:, 2]], ["yi", "lisu", "other"], "han")
    fam["group"] = group.astype(object)
    minority = np.isin(group, ["yi", "lisu"])
    fam["dotted"] = minority & (rng.random(len(fam)) >= cfg["yi_han_style_name"])
    other = pick(rng, cfg["other_minorities"], len(fam))
    fam["ethnicity"] = np.select(
        [group == "yi", group == "lisu", group == "other"], ["07", "20", other], "01"
    )


def _situations(fam: pd.DataFrame, r: dict, rng: np.random.Generator) -> None:
    rural = fam["rural"].to_numpy()
    p = np.column_stack(
        [
            np.full(len(fam), r["situation_orphaned"]),
            np.full(len(fam), r["situation_unsupported"]),
            np.where(rural, r["situation_left_behind_rural"], 0.0),
            np.where(rural, 0.0, r["situation_both_away_urban"]),
            np.full(len(fam), r["situation_single_lost"]),
            np.full(len(fam), r["situation_single_unable"]),
            np.where(rural, r["situation_one_away_rural"], r["situation_one_away_urban"]),
        ]
    )
    u = rng.random(len(fam))[:, None]
    hit = u < np.cumsum(p, axis=1)
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), len(SITUATIONS))
    fam["situation"] = np.array([*SITUATIONS, "normal"], dtype=object)[first]


def _statuses(fam: pd.DataFrame, r: dict, cfg: dict, rng: np.random.Generator) -> None:
    """Each parent's status, consistent with the family's situation."""
    n = len(fam)
    s = fam["situation"].to_numpy()

    def lost() -> np.ndarray:
        return np.where(rng.random(n) < cfg["dead_not_missing"], "dead", "missing").astype(object)

    lost_f, lost_m = lost(), lost()
    unable_f, unable_m = choose(rng, cfg["unable_statuses"], n), choose(rng, cfg["unable_statuses"], n)
    share = cfg["shares"]
    father_hit = rng.random(n) < share["father_affected"]
    variant = rng.random(n)
    away, normal = np.full(n, "away", dtype=object), np.full(n, "normal", dtype=object)
    other_there = np.where(variant < share["single_lost_other_away"], away, normal)
    lb_unable = variant < r["left_behind_one_unable"]
    both_unable = variant < share["unsupported_both_unable"]
    father_away = variant < share["one_away_is_father"]
    conditions = [
        s == "orphaned",
        (s == "unsupported") & both_unable,
        s == "unsupported",
        (s == "left_behind") & lb_unable,
        (s == "left_behind") | (s == "both_away"),
        s == "single_lost",
        s == "single_unable",
        s == "one_away",
    ]
    father = np.select(
        conditions,
        [
            lost_f,
            unable_f,
            np.where(father_hit, lost_f, unable_f),
            np.where(father_hit, away, unable_f),
            away,
            np.where(father_hit, lost_f, other_there),
            np.where(father_hit, unable_f, normal),
            np.where(father_away, away, normal),
        ],
        normal,
    )
    mother = np.select(
        conditions,
        [
            lost_m,
            unable_m,
            np.where(father_hit, unable_m, lost_m),
            np.where(father_hit, unable_m, away),
            away,
            np.where(father_hit, other_there, lost_m),
            np.where(father_hit, normal, unable_m),
            np.where(father_away, normal, away),
        ],
        normal,
    )
    unknown = (s == "normal") & (rng.random(n) < r["father_unknown"])
    fam["father_status"] = np.where(unknown, "unknown", father).astype(object)
    fam["mother_status"] = mother.astype(object)


def _grandparents(fam: pd.DataFrame, r: dict, cfg: dict, rng: np.random.Generator) -> None:
    n = len(fam)
    vulnerable = fam["situation"].isin(VULNERABLE).to_numpy()
    rural = fam["rural"].to_numpy()
    p = np.where(
        vulnerable,
        r["grandparents_vulnerable"],
        np.where(rural, r["grandparents_rural"], r["grandparents_urban"]),
    )
    has = rng.random(n) < p
    father_known = fam["father_status"].to_numpy() != "unknown"
    fam["gp_side"] = np.where(
        father_known & (rng.random(n) < cfg["paternal_grandparents"]), "paternal", "maternal"
    ).astype(object)
    couple = rng.random(n) < cfg["grandparent_couple"]
    grandmother_alone = rng.random(n) < cfg["shares"]["grandmother_alone"]
    fam["has_gf"] = has & (couple | ~grandmother_alone)
    fam["has_gm"] = has & (couple | grandmother_alone)
    fam["three_generation"] = has & (rng.random(n) < r["three_generation_household"])


def _children(
    fam: pd.DataFrame, n: int, r: dict, as_of: date, cfg: dict, rng: np.random.Generator
) -> pd.DataFrame:
    """Birth dates spaced like siblings' (twins share one), sexes, the aged-out and the boundary cases."""
    k = fam["n_kids"].to_numpy()
    fidx = np.repeat(np.arange(len(fam)), k)
    j = np.arange(len(fidx)) - np.repeat(np.cumsum(k) - k, k)
    twin_family = (k >= 2) & (rng.random(len(fam)) < r["twins"])
    lo, hi = cfg["sibling_gap_years"]
    gap = rng.uniform(lo, hi, len(fidx))
    gap[j == 0] = 0.0
    is_last = j == k[fidx] - 1
    gap[is_last & twin_family[fidx]] = 0.0
    offset = pd.Series(gap).groupby(fidx).cumsum().to_numpy()
    span = np.zeros(len(fam))
    np.maximum.at(span, fidx, offset)
    eldest = span + rng.random(len(fam)) * np.clip(18 - span, 0, None)
    age = eldest[fidx] - offset
    kids = pd.DataFrame({"family": fidx, "birth": days_before(as_of, np.floor(age * YEAR).astype(int))})
    youngest_ok = pd.Timestamp(add_years(as_of, -18) + timedelta(days=1))
    kids["birth"] = kids["birth"].clip(lower=youngest_ok, upper=pd.Timestamp(as_of))
    twin = twin_family[fidx] & (j >= k[fidx] - 2)
    kids["twin_group"] = np.where(twin, "T" + pd.Series(fidx).astype(str).str.zfill(6), "").astype(object)
    kids["aged_extra"] = False
    kids = pd.concat([kids, _aged_out(fam, eldest, n, r, as_of, rng)], ignore_index=True)
    _boundary_birthdays(kids, n, r, as_of, rng)
    kids["male"] = rng.random(len(kids)) < cfg["male_share"]
    kids = kids.sort_values(["family", "birth"], kind="stable").reset_index(drop=True)
    kids["person_id"] = "C" + pd.Series(np.arange(1, len(kids) + 1)).astype(str).str.zfill(7)
    return kids


def _aged_out(
    fam: pd.DataFrame, eldest: np.ndarray, n: int, r: dict, as_of: date, rng: np.random.Generator
) -> pd.DataFrame:
    """18-19-year-olds of vulnerable families, the eldest of their siblings; one turns 18 at as_of."""
    m = round(r["aged_out_extra"] * n)
    if r["aged_out_extra"] > 0:
        m = max(m, 2)
    candidates = np.flatnonzero(fam["situation"].isin(VULNERABLE).to_numpy())
    if len(candidates) < m:
        candidates = np.arange(len(fam))
    chosen = rng.choice(candidates, size=min(m, len(candidates)), replace=False)
    age = np.minimum(np.maximum(rng.uniform(18.0, 19.99, len(chosen)), eldest[chosen] + 1.3), 19.99)
    birth = days_before(as_of, np.floor(age * YEAR).astype(int))
    birth = birth.clip(
        lower=pd.Timestamp(add_years(as_of, -20) + timedelta(days=1)),
        upper=pd.Timestamp(add_years(as_of, -18)),
    )
    if len(birth):
        birth.iloc[0] = pd.Timestamp(add_years(as_of, -18))
    return pd.DataFrame({"family": chosen, "birth": birth, "twin_group": "", "aged_extra": True})


def _boundary_birthdays(kids: pd.DataFrame, n: int, r: dict, as_of: date, rng: np.random.Generator) -> None:
    """Put a few children exactly on the birthdays where a rule changes its answer."""
    start = school_year_start(as_of)
    one = timedelta(days=1)
    dates = [
        add_years(as_of, -16),  # 16 today: no longer left-behind
        add_years(as_of + one, -16),  # 16 tomorrow: still 15
        add_years(as_of + one, -18),  # 18 tomorrow: still a child
        add_years(start, -6),  # 6 on 31 August: compulsory school age
        add_years(start + one, -6),  # 6 on 1 September: not yet
    ]
    ordinary = np.flatnonzero((kids["twin_group"] == "").to_numpy() & ~kids["aged_extra"].to_numpy())
    m = min(len(ordinary), round(r["boundary_birthdays"] * n))
    chosen = rng.choice(ordinary, size=m, replace=False)
    kids.loc[chosen, "birth"] = [pd.Timestamp(dates[i % len(dates)]) for i in range(m)]


def _adults(fam: pd.DataFrame, kids: pd.DataFrame, cfg: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Parents and grandparents, born a generation before the eldest child."""
    n = len(fam)
    eldest = kids.groupby("family")["birth"].min().reindex(range(n)).to_numpy()
    lo, hi = cfg["mother_age_at_first_birth"]
    mother = pd.Series(eldest - pd.to_timedelta(np.floor(rng.uniform(lo, hi, n) * YEAR), unit="D"))
    lo, hi = cfg["father_older_years"]
    father = mother - pd.to_timedelta(np.floor(rng.uniform(lo, hi, n) * YEAR), unit="D")
    lo, hi = cfg["grandparent_generation_years"]
    side_parent = np.where(fam["gp_side"] == "paternal", father, mother)
    grandfather = pd.Series(side_parent) - pd.to_timedelta(np.floor(rng.uniform(lo, hi, n) * YEAR), unit="D")
    grandmother = grandfather + pd.to_timedelta(np.floor(rng.uniform(-3, 2, n) * YEAR), unit="D")
    known_father = (fam["father_status"] != "unknown").to_numpy()
    parts = [
        _role(fam, known_father, "father", True, father, fam["father_status"]),
        _role(fam, np.ones(n, bool), "mother", False, mother, fam["mother_status"]),
        _role(fam, fam["has_gf"].to_numpy(), "grandfather", True, grandfather, "normal"),
        _role(fam, fam["has_gm"].to_numpy(), "grandmother", False, grandmother, "normal"),
    ]
    adults = pd.concat(parts).sort_values(["family", "order"], kind="stable").reset_index(drop=True)
    adults["person_id"] = "A" + pd.Series(np.arange(1, len(adults) + 1)).astype(str).str.zfill(7)
    for role in ("father", "mother", "grandfather", "grandmother"):
        sel = adults[adults["role"] == role]
        fam[f"{role}_pid"] = (
            pd.Series(sel["person_id"].to_numpy(), index=sel["family"].to_numpy())
            .reindex(range(n))
            .astype(object)
        )
        fam[f"{role}_pid"] = fam[f"{role}_pid"].where(fam[f"{role}_pid"].notna(), None)
    return adults.drop(columns="order")


def _role(fam: pd.DataFrame, present: np.ndarray, role: str, male: bool, birth, status) -> pd.DataFrame:
    order = ("father", "mother", "grandfather", "grandmother").index(role)
    status_values = np.broadcast_to(np.asarray(status, dtype=object), (len(fam),))
    return pd.DataFrame(
        {
            "family": np.flatnonzero(present),
            "order": order,
            "role": role,
            "male": male,
            "birth": pd.Series(birth).to_numpy()[present],
            "status": status_values[present],
        }
    )


def _name(
    fam: pd.DataFrame, kids: pd.DataFrame, adults: pd.DataFrame, names: Names, rng: np.random.Generator
) -> None:
    """Family names pass from father (or mother) to children; Yi and Lisu families keep the dot."""
    n = len(fam)
    group = fam["group"].to_numpy()
    dotted = fam["dotted"].to_numpy()
    fam["surname"] = np.where(dotted, names.minority_family(rng, group), names.surnames(rng, n))
    fam["mother_surname"] = np.where(dotted, names.minority_family(rng, group), names.surnames(rng, n))
    f = adults["family"].to_numpy()
    role = adults["role"].to_numpy()
    own_line = np.where(
        (role == "father") | ((role == "grandfather") & (fam["gp_side"].to_numpy()[f] == "paternal")),
        fam["surname"].to_numpy()[f],
        fam["mother_surname"].to_numpy()[f],
    )
    married_in = role == "grandmother"
    other = np.where(dotted[f], names.minority_family(rng, group[f]), names.surnames(rng, len(f)))
    family_name = np.where(married_in, other, own_line)
    adults["name"] = _full_names(
        names, rng, family_name, group[f], dotted[f], adults["male"].to_numpy(), True
    )

    kf = kids["family"].to_numpy()
    use_mother = (fam["father_status"].to_numpy()[kf] == "unknown") | (
        ~dotted[kf] & (rng.random(len(kids)) < names.cfg["shares"]["child_takes_mother_surname"])
    )
    child_family = np.where(use_mother, fam["mother_surname"].to_numpy()[kf], fam["surname"].to_numpy()[kf])
    kids["name"] = _full_names(
        names, rng, child_family, group[kf], dotted[kf], kids["male"].to_numpy(), False
    )
    for _ in range(20):  # siblings, twins included, never share a name
        clash = kids.duplicated(["family", "name"]).to_numpy()
        if not clash.any():
            break
        kids.loc[clash, "name"] = _full_names(
            names,
            rng,
            child_family[clash],
            group[kf][clash],
            dotted[kf][clash],
            kids["male"].to_numpy()[clash],
            False,
        )


def _full_names(names: Names, rng, family, group, dotted, male, adult: bool) -> np.ndarray:
    han = names.han_given(rng, male, adult)
    minority = names.minority_given(rng, np.where(group == "lisu", "lisu", "yi"), male)
    return names.full(family, np.where(dotted, minority, han), dotted)


def _number(
    fam: pd.DataFrame,
    kids: pd.DataFrame,
    adults: pd.DataFrame,
    r: dict,
    cfg: dict,
    as_of: date,
    rng: np.random.Generator,
) -> None:
    """Identity numbers for all at once (so none repeats), some children without one, phones."""
    county = fam["county_code"].to_numpy()
    af = adults["family"].to_numpy()
    elsewhere = np.where(
        adults["role"] == "father",
        r["father_from_elsewhere"],
        np.where(adults["role"] == "mother", r["mother_from_elsewhere"], 0.0),
    )
    adult_region = np.where(
        rng.random(len(adults)) < elsewhere, pick(rng, cfg["other_regions"], len(adults)), county[af]
    )
    region = np.concatenate([county[kids["family"].to_numpy()], adult_region])
    birth = pd.concat([kids["birth"], adults["birth"]], ignore_index=True)
    male = np.concatenate([kids["male"].to_numpy(), adults["male"].to_numpy()])
    ids = make_ids(usable_regions(region, birth, cfg["fallback_regions"], rng), birth, male, rng)
    kids["age"] = whole_years(kids["birth"], as_of)
    no_id = rng.random(len(kids)) < np.where(kids["age"] < 1, r["child_no_id_infant"], r["child_no_id"])
    kids["id_number"] = np.where(no_id, "", ids[: len(kids)]).astype(object)
    adults["id_number"] = ids[len(kids) :]
    adults["phone"] = phones(rng, len(adults), cfg)


def phones(rng: np.random.Generator, n: int, cfg: dict) -> np.ndarray:
    """Mobile numbers, and a few 0812 landlines."""
    mobile = pick(rng, cfg["phone_prefixes"], n) + np.char.zfill(
        rng.integers(0, 10**8, n).astype(str), 8
    ).astype(object)
    landline = "0812-" + np.char.zfill(rng.integers(2_000_000, 9_999_999, n).astype(str), 7).astype(object)
    return np.where(rng.random(n) < cfg["landline_share"], landline, mobile)
