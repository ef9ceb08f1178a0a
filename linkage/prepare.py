"""The linkage input: staged records reduced to the columns the model compares.

Everything a comparison needs is computed here once (pinyin pieces, day numbers,
id prefixes, the set of carers' names), so the model's SQL is plain equality and
arithmetic that DuckDB and Spark both run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.standardise import fold_pinyin, name_pinyin, split_name

LINKAGE_COLUMNS = [
    "unique_id",
    "source_system",
    "name_norm",
    "name_pinyin",
    "name_pinyin_folded",
    "surname_folded",
    "given_folded",
    "given_first_folded",
    "sex",
    "birth_days",
    "birth_iso",
    "birth_swapped",
    "birth_year",
    "id_candidate",
    "id_prefix15",
    "id_zeroed",
    "id_valid",
    "county_code",
    "township",
    "carers",
]

# The staged columns linkage_frame() reads.
STAGED_INPUTS = [
    "record_id",
    "source_system",
    "name_norm",
    "name_pinyin",
    "name_pinyin_folded",
    "sex",
    "birth_date",
    "id_candidate",
    "id_status",
    "id_number",
    "county_code",
    "township",
    "guardian_name",
    "father_name",
    "mother_name",
    "head_name",
    "relationship",
]

# Statuses whose candidate is an 18-character number worth comparing digit by digit.
_COMPARABLE_ID = {"valid", "bad_check_digit", "suspect_zeroed"}
_EPOCH = pd.Timestamp("1970-01-01")


def _per_unique(series: pd.Series, func) -> pd.Series:
    """Apply ``func`` once per distinct non-null value: names and dates repeat a lot."""
    values = series.dropna().unique()
    return series.map(dict(zip(values, map(func, values), strict=True)))


def _folded_pinyin_of(name: str) -> str | None:
    return fold_pinyin(name_pinyin(name)) if name else None


def _name_parts(names: pd.Series) -> pd.DataFrame:
    """Folded pinyin of the surname, the given name and its first character."""

    def parts(name: str) -> tuple[str | None, str | None, str | None]:
        surname, given = split_name(name)
        return (
            _folded_pinyin_of(surname),
            _folded_pinyin_of(given),
            _folded_pinyin_of(given[:1]) if given else None,
        )

    mapped = _per_unique(names, parts)
    filled = mapped.where(mapped.notna(), pd.Series([(None, None, None)] * len(mapped), index=mapped.index))
    return pd.DataFrame(
        filled.tolist(), index=names.index, columns=["surname_folded", "given_folded", "given_first_folded"]
    )


def _carers(staged: pd.DataFrame) -> pd.Series:
    """Folded pinyin of every adult named on the row: guardian, parents, head of household.

    The head is left out on the head's own row, where it names the person itself.
    """
    head = staged["head_name"].where(staged["relationship"].ne("head"))
    columns = [staged["guardian_name"], staged["father_name"], staged["mother_name"], head]
    folded = [_per_unique(c.astype(object), _folded_pinyin_of) for c in columns]
    stacked = np.column_stack([f.to_numpy(dtype=object) for f in folded])
    return pd.Series(
        [sorted({v for v in row if isinstance(v, str) and v}) for row in stacked], index=staged.index
    )


def linkage_frame(staged: pd.DataFrame) -> pd.DataFrame:
    """The model's input table for the given staged records (one row per record)."""
    birth = pd.to_datetime(staged["birth_date"])
    candidate = staged["id_candidate"].where(staged["id_status"].isin(_COMPARABLE_ID))
    out = pd.DataFrame(
        {
            "unique_id": staged["record_id"],
            "source_system": staged["source_system"],
            "name_norm": staged["name_norm"],
            "name_pinyin": staged["name_pinyin"],
            "name_pinyin_folded": staged["name_pinyin_folded"],
            "sex": staged["sex"],
            "birth_days": (birth - _EPOCH).dt.days.astype("Int64"),
            "birth_iso": birth.dt.strftime("%Y-%m-%d"),
            # A swapped date only exists when the day could be a month.
            "birth_swapped": birth.dt.strftime("%Y-%d-%m").where(birth.dt.day <= 12),
            "birth_year": birth.dt.year.astype("Int64"),
            "id_candidate": candidate,
            "id_prefix15": candidate.str[:15],
            "id_zeroed": staged["id_status"].eq("suspect_zeroed"),
            "id_valid": staged["id_number"],
            "county_code": staged["county_code"],
            "township": staged["township"],
        },
        index=staged.index,
    )
    out = out.join(_name_parts(staged["name_norm"]))
    out["carers"] = _carers(staged)
    return out[LINKAGE_COLUMNS].reset_index(drop=True)
