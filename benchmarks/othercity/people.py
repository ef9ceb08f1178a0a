"""The true city: families, their children, parents and a grandparent, where they
live and what has happened to the parents. Every extract is a view of this; the
truth files are computed from the extracts' clean rows, joined by true person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmarks.othercity.config import load_config
from benchmarks.othercity.idnumbers import make_ids

UNABLE = ("prison", "drug", "disabled", "ill", "revoked", "incapable")
GONE = ("dead", "missing")
OTHER_AREAS = ["513401", "510107", "513425", "532301", "510524", "513433"]


@dataclass
class City:
    """Families and persons of one synthetic city."""

    families: pd.DataFrame
    persons: pd.DataFrame
    places: pd.DataFrame
    as_of: dt.date


def whole_years(births: pd.Series, on: dt.date) -> np.ndarray:
    """Age in whole years on ``on`` (policy.md: at the sync's as-of date)."""
    b = pd.to_datetime(births)
    years = on.year - b.dt.year
    before = (b.dt.month > on.month) | ((b.dt.month == on.month) & (b.dt.day > on.day))
    return (years - before.astype(int)).to_numpy()


def gazetteer(rng: np.random.Generator) -> pd.DataFrame:
    """Every village (村) and community (社区) of the city, with its township and county."""
    cfg = load_config()
    syll = cfg["village_syllables"]
    rows = []
    for ci, county in enumerate(cfg["counties"]):
        for town, sizes in county["townships"].items():
            used: set[str] = set()
            for kind, count in (("村", sizes["villages"]), ("社区", sizes["communities"])):
                while count:
                    stem = "".join(rng.choice(syll, size=2))
                    if stem in used:
                        continue
                    used.add(stem)
                    rows.append((ci, county["code"], county["name"], town, stem + kind, kind == "村"))
                    count -= 1
    return pd.DataFrame(
        rows, columns=["county", "county_code", "county_name", "township", "village", "is_village"]
    )


def _names(rng: np.random.Generator, surnames: np.ndarray, n: int) -> np.ndarray:
    chars = load_config()["names"]["given_chars"]
    one = rng.choice(chars, size=n)
    two = rng.choice(chars, size=n)
    single = rng.random(n) < 0.3
    given = np.where(single, one, np.char.add(one.astype(str), two.astype(str)))
    return np.char.add(surnames.astype(str), given.astype(str))


def _yi_names(rng: np.random.Generator, n: int, lisu: np.ndarray) -> np.ndarray:
    names = load_config()["names"]
    first = np.where(lisu, rng.choice(names["lisu_first"], size=n), rng.choice(names["yi_first"], size=n))
    given = np.where(lisu, rng.choice(names["lisu_given"], size=n), rng.choice(names["yi_given"], size=n))
    return np.char.add(np.char.add(first.astype(str), "·"), given.astype(str))


def _days_before(on: dt.date, low_years: float, high_years: float, rng, n: int) -> np.ndarray:
    days = rng.integers(int(low_years * 365.25), int(high_years * 365.25), size=n)
    return np.datetime64(on) - days.astype("timedelta64[D]")


def build_city(n_children: int, seed: int, as_of: dt.date) -> City:
    """A city with exactly ``n_children`` persons under 18 in families, plus a few
    aged-out ledger persons and 18-year-old pupils (adults)."""
    rng = np.random.default_rng(seed)
    cfg = load_config()
    pop = cfg["population"]
    places = gazetteer(rng)

    sizes = np.array(list(pop["children_per_family"].keys()), dtype=int)
    probs = np.array(list(pop["children_per_family"].values()), dtype=float)
    n_fam = int(n_children / (sizes * probs / probs.sum()).sum() * 1.05) + 5
    kids = rng.choice(sizes, size=n_fam, p=probs / probs.sum())
    cum = np.cumsum(kids)
    n_fam = int(np.searchsorted(cum, n_children) + 1)
    kids = kids[:n_fam]
    kids[-1] -= int(cum[n_fam - 1] - n_children)
    fam = pd.DataFrame({"fam": np.arange(n_fam), "kids": kids})

    counties = cfg["counties"]
    fam["county"] = rng.choice(
        len(counties), size=n_fam, p=np.array(cfg["county_weights"]) / sum(cfg["county_weights"])
    )
    rural_share = np.array([c["rural"] for c in counties])[fam["county"]]
    fam["rural"] = rng.random(n_fam) < rural_share
    # a place of the right kind in the county
    place_idx = np.empty(n_fam, dtype=int)
    for (ci, is_v), group in places.groupby(["county", "is_village"]).groups.items():
        mask = (fam["county"].to_numpy() == ci) & (fam["rural"].to_numpy() == is_v)
        place_idx[mask] = rng.choice(np.asarray(group), size=int(mask.sum()))
    # a county without villages of that kind: fall back to any of its places
    for ci in range(len(counties)):
        for is_v in (True, False):
            mask = (fam["county"].to_numpy() == ci) & (fam["rural"].to_numpy() == is_v)
            if mask.any() and places.loc[(places.county == ci) & (places.is_village == is_v)].empty:
                choice = places.index[places.county == ci].to_numpy()
                place_idx[mask] = rng.choice(choice, size=int(mask.sum()))
    pl = places.loc[place_idx].reset_index(drop=True)
    for col in ("county_code", "county_name", "township", "village", "is_village"):
        fam[col] = pl[col].to_numpy()
    fam["rural"] = fam["is_village"]
    fam["hukou"] = np.where(
        fam["rural"],
        np.where(rng.random(n_fam) < 0.7, "农业户口", "居民户口"),
        np.where(rng.random(n_fam) < 0.6, "非农业户口", "居民户口"),
    )
    # ethnicity by county; Yi and Lisu families carry Yi-style names
    eth_codes = list(cfg["ethnicity"].keys())
    weights = np.array([cfg["ethnicity"][c][1] for c in eth_codes]).T  # county x code
    u = rng.random(n_fam)
    cumw = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)[fam["county"].to_numpy()]
    fam["eth"] = np.array(eth_codes)[(u[:, None] > cumw).sum(axis=1).clip(0, len(eth_codes) - 1)]

    # parents' situations
    status = {}
    for side in ("f", "m"):
        col = np.empty(n_fam, dtype=object)
        for kind, mask in (("rural", fam["rural"].to_numpy()), ("urban", ~fam["rural"].to_numpy())):
            dist = pop["parent_status"][kind]
            col[mask] = rng.choice(
                list(dist), size=int(mask.sum()), p=np.array(list(dist.values())) / sum(dist.values())
            )
        status[side] = col
    boost = fam["rural"].to_numpy() & (rng.random(n_fam) < pop["both_away_boost"])
    status["m"][boost & (status["f"] == "away") & (status["m"] == "normal")] = "away"
    status["f"][boost & (status["m"] == "away") & (status["f"] == "normal")] = "away"
    # troubles come together: when one parent is gone or unable, the other often is too
    follow = rng.random(n_fam) < pop["second_parent_follows"]
    second = rng.choice(list(GONE + UNABLE), size=n_fam)
    f_bad, m_bad = np.isin(status["f"], GONE + UNABLE), np.isin(status["m"], GONE + UNABLE)
    status["m"] = np.where(follow & f_bad & ~m_bad, second, status["m"])
    status["f"] = np.where(follow & m_bad & ~f_bad, second, status["f"])
    fam["f_status"], fam["m_status"] = status["f"], status["m"]

    surnames = cfg["names"]["surnames"]
    fam_surname = rng.choice(
        list(surnames), size=n_fam, p=np.array(list(surnames.values())) / sum(surnames.values())
    )
    yi = np.isin(fam["eth"], ["07", "20"]) & (rng.random(n_fam) < 0.8)
    fam["yi"] = yi
    fam["surname"] = fam_surname

    # children
    fam_of_child = np.repeat(fam["fam"].to_numpy(), fam["kids"].to_numpy())
    nc = len(fam_of_child)
    child = pd.DataFrame({"fam": fam_of_child})
    child["role"] = "child"
    child["male"] = rng.random(nc) < 0.52
    child["birth"] = _days_before(as_of, 0, 18, rng, nc)
    # twins: two children of one family share a birth date
    multi = fam.loc[(fam["kids"] >= 2) & (rng.random(n_fam) < pop["twin_share"]), "fam"].to_numpy()
    child["twin_group"] = ""
    first_pos = np.searchsorted(fam_of_child, multi)
    child.loc[first_pos + 1, "birth"] = child.loc[first_pos, "birth"].to_numpy()
    child.loc[first_pos, "twin_group"] = [f"T{f}" for f in multi]
    child.loc[first_pos + 1, "twin_group"] = [f"T{f}" for f in multi]
    child["only"] = ""

    # extra persons: aged-out ledger children and 18-year-old pupils (one per picked family)
    extra = []
    for only, share, low, high in (
        ("ledger", pop["aged_out_ledger_share"], 18.05, 19.9),
        ("education", pop["adult_pupils_share"], 18.05, 18.7),
    ):
        k = max(1, int(n_children * share))
        picked = rng.choice(n_fam, size=k, replace=False)
        e = pd.DataFrame({"fam": picked, "role": "child", "male": rng.random(k) < 0.5})
        e["birth"] = _days_before(as_of, low, high, rng, k)
        e["twin_group"] = ""
        e["only"] = only
        extra.append(e)
    child = pd.concat([child, *extra], ignore_index=True)

    # parents and a grandparent per family
    oldest = child.groupby("fam")["birth"].min().reindex(fam["fam"]).to_numpy()
    f_birth = oldest - rng.integers(22 * 365, 38 * 365, size=n_fam).astype("timedelta64[D]")
    # a mother is at least 19 at her first child's birth (every parent is an adult)
    m_birth = np.minimum(
        f_birth + rng.integers(-700, 2500, size=n_fam).astype("timedelta64[D]"),
        oldest - np.timedelta64(19 * 366, "D"),
    )
    adults = []
    for role, male, birth in (
        ("father", np.ones(n_fam, bool), f_birth),
        (
            "mother",
            np.zeros(n_fam, bool),
            m_birth,
        ),
        (
            "grand",
            rng.random(n_fam) < 0.5,
            f_birth - rng.integers(20 * 365, 32 * 365, size=n_fam).astype("timedelta64[D]"),
        ),
    ):
        adults.append(
            pd.DataFrame(
                {"fam": fam["fam"], "role": role, "male": male, "birth": birth, "twin_group": "", "only": ""}
            )
        )
    persons = pd.concat([child, *adults], ignore_index=True)
    persons["birth"] = pd.to_datetime(persons["birth"]).dt.date
    n = len(persons)
    f = fam.set_index("fam").loc[persons["fam"]].reset_index()
    persons["county_code"] = f["county_code"].to_numpy()
    persons["eth"] = f["eth"].to_numpy()
    # mothers and grandmothers of Han families keep their own surnames
    own_surname = np.where(
        persons["role"].isin(["mother"]) | ((persons["role"] == "grand") & ~persons["male"]),
        rng.choice(list(surnames), size=n, p=np.array(list(surnames.values())) / sum(surnames.values())),
        f["surname"].to_numpy(),
    )
    han_names = _names(rng, own_surname, n)
    yi_names = _yi_names(rng, n, (f["eth"] == "20").to_numpy())
    persons["name"] = np.where(f["yi"].to_numpy(), yi_names, han_names)
    # twins get different given names
    persons["id18"] = None
    areas = np.where(
        (persons["role"] != "child") & (rng.random(n) < 0.15),
        rng.choice(OTHER_AREAS, size=n),
        persons["county_code"].to_numpy(),
    )
    ids = make_ids(
        areas, persons["birth"].to_numpy().astype("datetime64[D]"), persons["male"].to_numpy(), rng
    )
    no_number = (persons["role"] == "child") & (rng.random(n) < 0.005)  # never registered (no hukou)
    persons["id18"] = np.where(no_number, None, ids)
    persons["pid"] = np.where(persons["role"] == "child", "K", "A") + pd.Series(np.arange(n)).astype(
        str
    ).str.zfill(7)
    persons["age"] = whole_years(persons["birth"], as_of)
    persons["phone"] = pd.Series(rng.integers(13000000000, 19999999999, size=n)).astype(str)

    roles = persons.pivot_table(index="fam", columns="role", values="pid", aggfunc="first")
    for role in ("father", "mother", "grand"):
        fam[role] = roles[role].reindex(fam["fam"]).to_numpy()

    # latent conditions of children
    kid = persons["role"] == "child"
    m = int(kid.sum())
    cond = rng.random((m, 3))
    persons.loc[kid, "hiv"] = cond[:, 0] < pop["hiv_rate"]
    persons.loc[kid, "ill"] = (cond[:, 0] >= pop["hiv_rate"]) & (
        cond[:, 0] < pop["hiv_rate"] + pop["illness_rate"]
    )
    persons.loc[kid, "disabled"] = cond[:, 1] < pop["disability_rate"]
    for col in ("hiv", "ill", "disabled"):
        persons[col] = persons[col].eq(True)
    persons.loc[persons["only"] != "", ["hiv", "ill", "disabled"]] = False
    return City(families=fam, persons=persons, places=places, as_of=as_of)
