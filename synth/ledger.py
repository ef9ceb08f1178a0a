"""civil_affairs_children: the children civil affairs has filed, and what it wrote about them.

Coverage is drawn per family (siblings are filed together or not at all), so the
ledger misses whole families of orphans and left-behind children, as in life.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from synth.dates import random_dates
from synth.people import adult_field, guardians, hukou_labels, identity
from synth.rng import pick
from synth.world import UNABLE, World

PLACE = ["county_code", "township", "old_township", "village"]


def ledger_rows(world: World, r: dict, labels: dict, as_of: date, rng: np.random.Generator) -> pd.DataFrame:
    kids = world.children
    fam = world.families
    f = kids["family"].to_numpy()
    n_fam = len(fam)
    u_family = rng.random((n_fam, 5))
    age = kids["age"].to_numpy()
    s = kids["situation"].to_numpy()
    minor = age < 18
    kind = {
        "orphan": s == "orphaned",
        "unsupported": s == "unsupported",
        "left_behind": s == "left_behind",
        "hiv": kids["hiv"].to_numpy(),
        "ill_disabled": kids["serious"].to_numpy() | kids["severe"].to_numpy(),
        "poor": (kids["poverty"] != "").to_numpy()
        | kids["assistance"].isin(["urban_dibao", "rural_dibao"]).to_numpy(),
        "other": np.isin(s, ["single_lost", "single_unable"]),
    }
    left_behind_rate = np.where(age < 16, r["ledger_left_behind"], r["ledger_left_behind_over16"])
    p = np.max(
        [
            kind["orphan"] * r["ledger_orphan"],
            kind["unsupported"] * r["ledger_unsupported"],
            kind["left_behind"] * left_behind_rate,
            kind["hiv"] * r["ledger_hiv"],
            kind["ill_disabled"] * r["ledger_ill_disabled"],
            kind["poor"] * r["ledger_poor"],
            kind["other"] * r["ledger_other"],
        ],
        axis=0,
    )
    on_ledger = (minor & (u_family[f, 0] < p)) | kids["aged_extra"].to_numpy()
    rows = kids.loc[on_ledger].reset_index(drop=True)
    sel = {k: v[on_ledger] for k, v in kind.items()}
    uf = u_family[rows["family"].to_numpy()]
    out = identity(world, rows["person_id"])
    out[PLACE] = rows[PLACE].to_numpy()
    out["split"] = rows["county_code"].to_numpy()
    out["hukou_label"] = hukou_labels(world.names.cfg, labels, rows["rural"].to_numpy(), rng)
    out["labels"] = _labels(sel, uf, r)
    _parents(world, rows, out, r, rng)
    _guardian(world, rows, out, uf, r, rng)
    registered_support = out["labels"].str.contains("orphan|unsupported|hiv").to_numpy()
    lo, hi = world.names.cfg["amounts"]["living_allowance"]
    allowance = np.round(rng.uniform(lo, hi, len(rows)), -1)
    unpaid = np.where(rng.random(len(rows)) < world.names.cfg["shares"]["zero_not_blank"], 0.0, np.nan)
    out["living_allowance"] = np.where(
        registered_support & (uf[:, 3] < r["ledger_living_allowance_paid"]), allowance, unpaid
    )
    out["file_opened"] = random_dates(rng, date(2018, 1, 1), as_of, len(rows))
    out["remark"] = pick(rng, world.names.cfg["remarks"], len(rows))
    return out.sort_values(["county_code", "township", "village", "person_id"], kind="stable").reset_index(
        drop=True
    )


def _labels(kind: dict[str, np.ndarray], uf: np.ndarray, r: dict) -> np.ndarray:
    """Ledger categories, comma-joined codes; some orphans and unsupported children misfiled."""
    orphan_as = np.where(uf[:, 1] < r["ledger_orphan_mislabel"], "unsupported", "orphan")
    unsupported_as = np.where(uf[:, 1] < r["ledger_unsupported_mislabel"], "other", "unsupported")
    parts = [
        np.where(kind["orphan"], orphan_as, ""),
        np.where(kind["unsupported"], unsupported_as, ""),
        np.where(kind["left_behind"], "left_behind", ""),
        np.where(kind["hiv"], "hiv", ""),
        np.where(kind["ill_disabled"], "ill_disabled", ""),
        np.where(kind["poor"], "poor", ""),
    ]
    joined = pd.DataFrame(parts).T.apply(lambda row: ",".join(dict.fromkeys(x for x in row if x)), axis=1)
    return np.where(joined == "", "other", joined).astype(object)


def _parents(world: World, rows: pd.DataFrame, out: pd.DataFrame, r: dict, rng: np.random.Generator) -> None:
    fam = world.families.iloc[rows["family"].to_numpy()].reset_index(drop=True)
    for role in ("father", "mother"):
        pid = fam[f"{role}_pid"].to_numpy(dtype=object)
        recorded = rng.random(len(rows)) < r["ledger_parent_id_recorded"]
        ids = adult_field(world, pid, "id_number")
        out[f"{role}_pid"] = pid
        out[f"{role}_name"] = adult_field(world, pid, "name")
        out[f"{role}_id"] = np.where(recorded, ids, None)
        out[f"{role}_status"] = fam[f"{role}_status"].to_numpy()


def _guardian(
    world: World, rows: pd.DataFrame, out: pd.DataFrame, uf: np.ndarray, r: dict, rng: np.random.Generator
) -> None:
    """The usual guardian, except left-behind children living alone, with no guardian written,
    or in the care of the parent who cannot care for them."""
    g = guardians(world, rows, rng)
    left_behind = (rows["situation"] == "left_behind").to_numpy()
    alone = left_behind & (uf[:, 2] < r["ledger_lives_alone"])
    nobody = left_behind & ~alone & (uf[:, 2] < r["ledger_lives_alone"] + r["ledger_no_guardian"])
    fs, ms = out["father_status"].to_numpy(), out["mother_status"].to_numpy()
    unable_parent = (
        left_behind
        & ~alone
        & ~nobody
        & (np.isin(fs, UNABLE) | np.isin(ms, UNABLE))
        & (uf[:, 4] < r["ledger_guardian_unable_parent"])
    )
    parent = np.where(np.isin(fs, UNABLE), "father", "mother")
    parent_pid = np.where(parent == "father", out["father_pid"], out["mother_pid"])
    g.loc[unable_parent, "guardian_name"] = adult_field(world, parent_pid[unable_parent], "name")
    g.loc[unable_parent, "guardian_phone"] = adult_field(world, parent_pid[unable_parent], "phone")
    g.loc[unable_parent, "guardian_relation"] = parent[unable_parent]
    g.loc[alone | nobody, ["guardian_name", "guardian_relation", "guardian_phone"]] = None
    out[["guardian_name", "guardian_relation", "guardian_phone"]] = g[
        ["guardian_name", "guardian_relation", "guardian_phone"]
    ].to_numpy()
    out["lives_alone"] = alone
