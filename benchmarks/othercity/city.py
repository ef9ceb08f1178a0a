"""One call that makes a whole city: population, clean extracts, truth, files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from benchmarks.othercity.config import use_profile
from benchmarks.othercity.extracts import build_extracts
from benchmarks.othercity.people import build_city
from benchmarks.othercity.truth import compute_truth
from benchmarks.othercity.writer import write_city


def make_city(
    n_children: int, seed: int, as_of: dt.date, out: Path, profile: str | None = None
) -> dict[str, int]:
    """Write ``out/inbox/<source>/…`` and ``out/truth/{records,children,categories,alerts}.csv``;
    returns counts for a summary line (no names or numbers). ``profile`` names a set of
    other proportions in ``city.yaml`` (``profiles``)."""
    use_profile(profile)
    city = build_city(n_children, seed, as_of)
    extracts = build_extracts(city, seed)
    categories, alerts = compute_truth(extracts, city.persons, as_of)
    records = write_city(extracts, out, seed, as_of)
    truth = out / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    records.to_csv(truth / "records.csv", index=False)
    child_ids = set(records.loc[records["is_child"] == "true", "person_id"])
    p = city.persons.loc[city.persons["pid"].isin(child_ids)]
    children = pd.DataFrame(
        {
            "person_id": p["pid"],
            "twin_group": p["twin_group"],
            "birth_date": [b.isoformat() for b in p["birth"]],
            "sex": p["male"].map({True: "M", False: "F"}),
            "county_code": p["county_code"],
            "has_id_number": p["id18"].notna(),
        }
    ).sort_values("person_id")
    children.to_csv(truth / "children.csv", index=False)
    categories.to_csv(truth / "categories.csv", index=False)
    alerts.to_csv(truth / "alerts.csv", index=False)
    return {
        "rows": len(records),
        "children": len(children),
        "categories": len(categories),
        "alerts": len(alerts),
    }
