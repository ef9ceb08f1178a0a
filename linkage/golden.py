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


def _best_values(rec: pd.DataFrame) -> pd.DataFrame:
    """Per child and field: the most common non-null value in the most trusted source
    holding one (ties: the earliest row). One DuckDB pass per field: pandas group-bys
    over 400,000 rows took 20 s for the twelve fields."""
    import duckdb

    con = duckdb.connect()
    con.register("rec", rec)
    out = pd.DataFrame(index=pd.Index(sorted(rec["child_id"].unique()), name="child_id"))
    for field in [*GOLDEN_FIELDS, "id_birth"]:
        best = con.execute(
            f"""
            WITH counted AS (
                SELECT child_id, trust, "{field}" AS value, count(*) AS n, min("order") AS first
                FROM rec WHERE "{field}" IS NOT NULL GROUP BY ALL
            )
            SELECT child_id, arg_min(value, [trust, -n, first]) AS value FROM counted GROUP BY child_id
            """
        ).df()
        out[field] = best.set_index("child_id")["value"]
    con.close()
    return out


def golden_records(records: pd.DataFrame) -> pd.DataFrame:
    """``records``: staged PERSON rows with ``child_id``. Returns one row per child.

    A valid identity number, when one exists, also fixes sex and birth date: the
    number is what every office keys on, and a lunar birthday in one extract must
    not move the child's age.
    """
    trust = {s: i for i, s in enumerate(SOURCE_TRUST)}
    rec = records[["child_id", "source_system", "birth_date_from_id", *GOLDEN_FIELDS]].assign(
        trust=records["source_system"].map(trust).fillna(len(trust)).astype("int64"),
        order=range(len(records)),
        id_birth=records["birth_date_from_id"].where(records["id_number"].notna()),
    )
    out = _best_values(rec)
    out["birth_date"] = pd.to_datetime(out["id_birth"]).fillna(pd.to_datetime(out["birth_date"]))
    odd = pd.to_numeric(out["id_number"].str[16], errors="coerce") % 2
    out["sex"] = odd.map({1: "M", 0: "F"}).fillna(out["sex"])
    sources = rec[["child_id", "source_system"]].drop_duplicates().sort_values(["child_id", "source_system"])
    grouped = sources.groupby("child_id")["source_system"]
    out["n_records"] = rec.groupby("child_id").size()
    out["sources"] = grouped.agg(",".join)
    return out.drop(columns="id_birth").reset_index()
