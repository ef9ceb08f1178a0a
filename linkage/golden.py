"""One golden record per child from its staged rows.

Each field is taken from the most trusted source that has it: the civil-affairs
ledger was checked door to door (一人一档), schools hold birth certificates, the
insurance bureau holds the identity number it bills. Within a source, the most
common value wins; ties go to the earliest row, so the result is deterministic.
"""

from __future__ import annotations

import pandas as pd

SOURCE_TRUST = [
    "civil_affairs_children",
    "education_students",
    "health_insurance",
    "disability_certificates",
    "health_conditions",
    "civil_affairs_assistance",
    "poverty_households",
]

GOLDEN_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "id_number",
    "ethnicity",
    "hukou",
    "county_code",
    "township",
    "village",
    "village_kind",
    "guardian_name",
    "guardian_phone",
]


def _best(records: pd.DataFrame, field: str) -> pd.Series:
    """Per child: the most common non-null value in the most trusted source holding one."""
    values = records[["child_id", "trust", "order", field]].dropna(subset=[field])
    counts = values.groupby(["child_id", "trust", field], sort=False).agg(
        n=("order", "size"), first=("order", "min")
    )
    counts = counts.reset_index().sort_values(
        ["child_id", "trust", "n", "first"], ascending=[True, True, False, True]
    )
    return counts.drop_duplicates("child_id").set_index("child_id")[field]


def golden_records(records: pd.DataFrame) -> pd.DataFrame:
    """``records``: staged PERSON rows with ``child_id``. Returns one row per child.

    A valid identity number, when one exists, also fixes sex and birth date: the
    number is what every office keys on, and a lunar birthday in one extract must
    not move the child's age.
    """
    trust = {s: i for i, s in enumerate(SOURCE_TRUST)}
    rec = records.assign(
        trust=records["source_system"].map(trust).fillna(len(trust)),
        order=range(len(records)),
    )
    out = pd.DataFrame(index=pd.Index(sorted(rec["child_id"].unique()), name="child_id"))
    for field in GOLDEN_FIELDS:
        out[field] = _best(rec, field)
    from_id = _best(
        rec.assign(id_birth=rec["birth_date_from_id"].where(rec["id_number"].notna())), "id_birth"
    )
    out["birth_date"] = from_id.reindex(out.index).fillna(out["birth_date"])
    sex_from_id = out["id_number"].str[16].map(lambda d: None if pd.isna(d) else ("M" if int(d) % 2 else "F"))
    out["sex"] = sex_from_id.fillna(out["sex"])
    grouped = rec.groupby("child_id")
    out["n_records"] = grouped.size()
    out["sources"] = grouped["source_system"].agg(lambda s: ",".join(sorted(set(s))))
    return out.reset_index()
