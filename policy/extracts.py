"""The sync's staged rows, split once by source system and linkage.

Every rule reads one or two extracts; selecting them from the whole sync (80
columns, half a million rows) for each rule would copy the sync dozens of times.
Only the PERSON columns the rules read are kept; a column the input lacks is
empty. Columns are brought to one representation per declared type (numbers as
float64 with NaN, flags as pandas booleans, text as objects with None), so the
rules behave the same whether a frame comes from a database, Parquet or a test.
"""

from __future__ import annotations

import numpy as np
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
    "birth_date",  # a near-miss record's against the child's (policy.near_miss.kept_apart)
    "name",  # a roster adult's: the ledger's 父亲/母亲 when no number says so (policy.family)
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
    undetermined roster members).

    The rows are held once, grouped by (linked, system): each system's rows are a
    slice of that one frame, not a copy of their own (at a city's size every copy
    of the staged rows is hundreds of megabytes).
    """

    def __init__(self, records: pd.DataFrame) -> None:
        records = normalised(records, _PERSON_TYPES, USED_COLUMNS)
        linked = records["child_id"].notna().to_numpy()
        self.places = records.loc[
            linked, ["child_id", "source_system", "source_file", "source_row", "hukou", "village_kind"]
        ]
        codes, systems = pd.factorize(records["source_system"])
        group = codes * 2 + linked  # rows without a system (code -1) fall before every group
        self._order = np.argsort(group, kind="stable")
        self._rows = records.take(self._order)
        bounds = np.searchsorted(group[self._order], np.arange(2 * len(systems) + 1))
        self._ranges = {
            (system, is_linked): (bounds[2 * code + is_linked], bounds[2 * code + is_linked + 1])
            for code, system in enumerate(systems)
            for is_linked in (False, True)
        }

    def of(self, *systems: str, children: pd.Index | pd.Series | None = None) -> pd.DataFrame:
        """Linked rows of the systems, of the given children only when given."""
        rows = self._pick(systems, linked=True)
        return rows if children is None else rows[rows["child_id"].isin(children)]

    def unlinked(self, *systems: str) -> pd.DataFrame:
        return self._pick(systems, linked=False)

    def _pick(self, systems: tuple[str, ...], linked: bool) -> pd.DataFrame:
        """The systems' rows in the order given to the constructor: one system's as a
        slice, several's gathered by position."""
        ranges = [self._ranges.get((system, linked), (0, 0)) for system in systems]
        if len(ranges) == 1:
            return self._rows.iloc[ranges[0][0] : ranges[0][1]]
        at = np.concatenate([np.arange(start, stop) for start, stop in ranges])
        return self._rows.take(at[np.argsort(self._order[at], kind="stable")])


# The golden record's columns the rules read: its age, its place (alerts are acted on
# there) and whether it is rural. Callers read only these; names and numbers stay put.
CHILD_COLUMNS = ["child_id", "birth_date", "hukou", "county_code", "township", "village", "village_kind"]

_PERSON_TYPES = {c.name: c.type for c in PERSON} | {"child_id": STR}
CHILD_TYPES = {c.name: c.type for c in CHILDREN.columns}


def normalised(frame: pd.DataFrame, types: dict[str, str], columns: list[str] | None = None) -> pd.DataFrame:
    """The frame's ``columns`` (all when not given; one it lacks is empty), each declared
    column in the representation the rules expect; columns already so (the common
    case) are kept as they are. Built in one go: a reindex and an assign would each
    copy the whole frame."""
    wanted = list(frame.columns) if columns is None else columns
    absent = pd.Series(np.nan, index=frame.index)
    return pd.DataFrame(
        {c: _converted(frame.get(c, absent), types.get(c)) for c in wanted},
        index=frame.index,
        copy=False,
    )


def _converted(values: pd.Series, kind: str | None) -> pd.Series:
    if kind in (INT, FLOAT) and values.dtype != "float64":
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if kind == BOOL and values.dtype != "boolean":
        return values.astype("boolean")
    if kind == STR and values.dtype != object:
        return values.astype(object).where(values.notna(), None)
    return values
