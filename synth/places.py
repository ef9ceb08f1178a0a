"""The city's geography: counties, townships, villages (村) and communities (社区)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_places(cfg: dict, rng: np.random.Generator) -> pd.DataFrame:
    """One row per village or community, with the share of the city's families living there.

    A few villages of a township that absorbed another in 2019-2020 keep the old
    township's name in `old_township`: offices that never updated write that.
    """
    old_by_new: dict[str, list[str]] = {}
    for old, new in cfg["merged_townships"].items():
        old_by_new.setdefault(new, []).append(old)
    stems = cfg["village_stems"].split()
    lo, hi = cfg["villages_per_township"]
    spread, community = cfg["village_size_spread"], cfg["community_size"]
    rows = []
    for county_code, townships in cfg["counties_townships"].items():
        county_share = cfg["counties"][county_code][2]
        for township, (rural_share, size) in townships.items():
            n = int(rng.integers(lo, hi + 1))
            chosen = rng.choice(len(stems), size=n, replace=False)
            is_village = rng.random(n) < rural_share
            if rural_share > 0:
                is_village[0] = False  # the township seat is a community
            olds = old_by_new.get(township, [])
            for i in range(n):
                kind = "村" if is_village[i] else "社区"
                rows.append(
                    {
                        "county_code": county_code,
                        "township": township,
                        "old_township": olds[(i - 1) % len(olds)] if olds and 1 <= i <= 2 * len(olds) else "",
                        "village": stems[chosen[i]] + kind,
                        "rural": bool(is_village[i]),
                        "weight": size / n * rng.uniform(*spread) * (1.0 if is_village[i] else community),
                        "county_share": county_share,
                    }
                )
    places = pd.DataFrame(rows)
    places["weight"] = places["weight"] / places.groupby("county_code")["weight"].transform("sum")
    places["weight"] *= places.pop("county_share")
    places["weight"] /= places["weight"].sum()
    return places
