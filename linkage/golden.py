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

# The staged columns golden_records() reads, besides child_id.
STAGED_INPUTS = ["source_system", "birth_date_from_id", *GOLDEN_FIELDS]


def _best_value_sql(field: str) -> str:
    """Per child, the most common non-null value of one field in the most trusted
    source holding one (ties: the earliest row)."""
    return f"""
        SELECT child_id, arg_min(value, [trust, -n, first]) AS "{field}"
        FROM (
            SELECT child_id, trust, "{field}" AS value, count(*) AS n, min("order") AS first
            FROM rec WHERE "{field}" IS NOT NULL GROUP BY ALL
        ) GROUP BY child_id
    """


def _summaries(rec: pd.DataFrame) -> pd.DataFrame:
    """One row per child: the best value of each field, the row count and the sources.

    One DuckDB statement over a table copied in once: pandas group-bys over 400,000
    rows took 20 s for the twelve fields, and a pandas join of each child's source
    names another 9 s.
    """
    import duckdb

    fields = [*GOLDEN_FIELDS, "id_birth"]
    joins = "".join(f" LEFT JOIN ({_best_value_sql(f)}) USING (child_id)" for f in fields)
    with duckdb.connect() as con:
        con.register("frame", rec)
        con.execute("CREATE TABLE rec AS SELECT * FROM frame")
        con.unregister("frame")
        return con.execute(
            f"""
            SELECT child_id, {", ".join(f'"{f}"' for f in fields)}, n_records, sources
            FROM (
                SELECT child_id, count(*) AS n_records,
                       string_agg(DISTINCT source_system, ',' ORDER BY source_system) AS sources
                FROM rec GROUP BY child_id
            ){joins}
            ORDER BY child_id
            """
        ).df()


def golden_records(records: pd.DataFrame) -> pd.DataFrame:
    """``records``: staged PERSON rows with ``child_id``. Returns one row per child.

    A valid identity number, when one exists, also fixes sex and birth date: the
    number is what every office keys on, and a lunar birthday in one extract must
    not move the child's age.
    """
    trust = {s: i for i, s in enumerate(SOURCE_TRUST)}
    rec = records[["child_id", "source_system", *GOLDEN_FIELDS]].assign(
        trust=records["source_system"].map(trust).fillna(len(trust)).astype("int64"),
        order=range(len(records)),
        id_birth=records["birth_date_from_id"].where(records["id_number"].notna()),
    )
    out = _summaries(rec)
    out["birth_date"] = pd.to_datetime(out["id_birth"]).fillna(pd.to_datetime(out["birth_date"]))
    odd = pd.to_numeric(out["id_number"].str[16], errors="coerce") % 2
    out["sex"] = odd.map({1: "M", 0: "F"}).fillna(out["sex"])
    return out.drop(columns="id_birth")
