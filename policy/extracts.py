"""The sync's staged rows, split once by source system and linkage.

Every rule reads one or two extracts; selecting them from the whole sync (80
columns, half a million rows) for each rule would copy the sync dozens of times.
Only the PERSON columns the rules read are kept; a column the input lacks is
empty. Columns are brought to one representation per declared type (numbers as
float64 with NaN, flags as pandas booleans, text as objects with None), so the
rules behave the same whether a frame comes from a database, Parquet or a test.
"""

from __future__ import annotations

import pandas as pd

from warehouse.tables import BOOL, CHILDREN, FLOAT, INT, PERSON, STR

USED_COLUMNS = [
    "record_id",
    "source_system",
    "source_file",
    "source_row",
    "child_id",
    "sex",
    "id_number",
    "hukou",
    "village_kind",
    "household_id",
    "relationship",
    "guardian_name",
    "guardian_relation",
    "father_name",
    "father_id",
    "father_status",
    "mother_name",
    "mother_id",
    "mother_status",
    "ledger_categories",
    "lives_alone",
    "living_allowance",
    "assistance_type",
    "poverty_household_type",
    "school_status",
    "work_status",
    "disability_category",
    "disability_grade",
    "autism",
    "rehab_received",
    "disability_allowance",
    "disabled_student_subsidy",
    "school_stage",
    "grade",
    "boarding",
    "enrolment_status",
    "boarding_subsidy",
    "insurance_year",
    "insurance_status",
    "insurance_subsidy",
    "insurance_subsidy_amount",
    "diagnosis_code",
    "out_of_pocket",
    "reaches_deductible",
    "family_doctor_signed",
]


class Extracts:
    """Rows of the sync by source system: ``linked`` to a child, or not (adults and
    undetermined roster members)."""

    def __init__(self, records: pd.DataFrame) -> None:
        records = normalised(records.reindex(columns=USED_COLUMNS), _PERSON_TYPES)
        linked = records["child_id"].notna()
        self._empty = records.iloc[:0]
        self._all = {True: records[linked], False: records[~linked]}
        self._by_system = {
            (system, is_linked): frame
            for is_linked, rows in self._all.items()
            for system, frame in rows.groupby("source_system", sort=False)
        }
        self.places = records.loc[
            linked, ["child_id", "source_system", "source_file", "source_row", "hukou", "village_kind"]
        ]

    def of(self, *systems: str, children: pd.Index | pd.Series | None = None) -> pd.DataFrame:
        """Linked rows of the systems, of the given children only when given."""
        rows = self._pick(systems, linked=True)
        return rows if children is None else rows[rows["child_id"].isin(children)]

    def unlinked(self, *systems: str) -> pd.DataFrame:
        return self._pick(systems, linked=False)

    def _pick(self, systems: tuple[str, ...], linked: bool) -> pd.DataFrame:
        """One system's rows as split; several by selection (a concat of mostly
        empty object columns is slow in pandas)."""
        if len(systems) == 1:
            return self._by_system.get((systems[0], linked), self._empty)
        rows = self._all[linked]
        return rows[rows["source_system"].isin(systems)]


_PERSON_TYPES = {c.name: c.type for c in PERSON} | {"child_id": STR}
CHILD_TYPES = {c.name: c.type for c in CHILDREN.columns}


def normalised(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """The frame with each declared column in the representation the rules expect;
    columns already so (the common case) are left as they are."""
    converted = {}
    for column in frame.columns:
        kind, values = types.get(column), frame[column]
        if kind in (INT, FLOAT) and values.dtype != "float64":
            converted[column] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif kind == BOOL and values.dtype != "boolean":
            converted[column] = values.astype("boolean")
        elif kind == STR and values.dtype != object:
            converted[column] = values.astype(object).where(values.notna(), None)
    return frame.assign(**converted)
