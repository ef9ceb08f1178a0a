"""civil_affairs_staff: township child-welfare workers, village supervisors and directors.

Some townships have nobody and some villages no 儿童督导员: the gaps the coverage
report must list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth.names import Names
from synth.world import phones

PLACE = ["county_code", "township", "old_township", "village"]


def staff_rows(places: pd.DataFrame, names: Names, r: dict, rng: np.random.Generator) -> pd.DataFrame:
    townships = places.drop_duplicates(["county_code", "township"])[["county_code", "township"]]
    staffed = townships[rng.random(len(townships)) >= r["staff_township_missing"]]
    covered = places.merge(staffed, on=["county_code", "township"])
    township_staff = staffed.loc[staffed.index.repeat(rng.integers(1, 3, len(staffed)))].assign(
        old_township="", village=None, role="township"
    )
    supervisors = covered[rng.random(len(covered)) >= r["staff_supervisor_missing"]].assign(role="supervisor")
    directors = covered[rng.random(len(covered)) < names.cfg["shares"]["village_director"]].assign(
        role="director"
    )
    rows = pd.concat([township_staff, supervisors, directors], ignore_index=True)[[*PLACE, "role"]]
    rows = rows.sort_values(["county_code", "township", "village"], kind="stable", na_position="first")
    rows = rows.reset_index(drop=True)
    n = len(rows)
    male = rng.random(n) < names.cfg["shares"]["staff_male"]
    rows["name"] = names.surnames(rng, n) + names.han_given(rng, male, adult=True)
    rows["phone"] = phones(rng, n, names.cfg)
    rows["person_id"] = "S" + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(5)
    rows["split"] = ""
    return rows
