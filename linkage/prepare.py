"""The linkage input: staged records reduced to the columns the model compares.

Everything a comparison needs is computed here once (pinyin pieces, day numbers,
id prefixes, the set of carers' names), so the model's SQL is plain equality and
arithmetic that DuckDB and Spark both run.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import numpy as np
import pandas as pd

from linkage.config import load_config
from values.dates import school_year_cutoff
from values.names import folded_pinyin, split_name

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
    "village",
    "carers",
    "carers_rare",
    "programme_roster",
    "programme_insured",
    "school_born_from",
    "school_born_to",
    "school_graded",
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
    "village",
    "guardian_name",
    "father_name",
    "mother_name",
    "head_name",
    "relationship",
    "household_id",
    "assistance_type",
    "insurance_subsidy",
    "school_stage",
    "school_status",
    "grade",
]

# Statuses whose candidate is an 18-character number worth comparing digit by digit.
_COMPARABLE_ID = {"valid", "bad_check_digit", "suspect_zeroed"}
EPOCH = pd.Timestamp("1970-01-01")


def _per_unique(series: pd.Series, func) -> pd.Series:
    """Apply ``func`` once per distinct non-null value: names and dates repeat a lot."""
    values = series.dropna().unique()
    return series.map(dict(zip(values, map(func, values), strict=True)))


def _name_parts(names: pd.Series) -> pd.DataFrame:
    """Folded pinyin of the surname, the given name and its first character: the
    same syllable-by-syllable folding as staging's ``name_pinyin_folded``, so the
    two parts joined are the whole name's."""

    def parts(name: str) -> tuple[str | None, str | None, str | None]:
        surname, given = split_name(name)
        return (
            folded_pinyin(surname),
            folded_pinyin(given),
            folded_pinyin(given[:1]) if given else None,
        )

    mapped = _per_unique(names, parts)
    filled = mapped.where(mapped.notna(), pd.Series([(None, None, None)] * len(mapped), index=mapped.index))
    return pd.DataFrame(
        filled.tolist(), index=names.index, columns=["surname_folded", "given_folded", "given_first_folded"]
    )


def household_spouses(everyone: pd.DataFrame) -> pd.Series:
    """household_id → the name on its 配偶 row, from all staged rows (adults included).

    A roster names every member's relation to the head (sources.md, extracts 2 and 3):
    a 子/女 has the head and the 配偶 as parents, a grandchild has them as grandparents,
    and either may be the guardian another department names.
    """
    spouses = everyone.loc[everyone["relationship"].eq("spouse"), ["household_id", "name_norm"]].dropna()
    return spouses.drop_duplicates("household_id").set_index("household_id")["name_norm"]


def _carers(staged: pd.DataFrame, spouses: pd.Series | None = None) -> pd.Series:
    """Folded pinyin of every adult named on the row: guardian, parents, head of household,
    and the head's spouse when ``spouses`` (``household_spouses``) is given.

    Head and spouse are left out on their own rows, where they name the person itself
    or its partner, not a carer.
    """
    member = ~staged["relationship"].isin(["head", "spouse"])
    head = staged["head_name"].where(staged["relationship"].ne("head"))
    spouse = (
        staged["household_id"].map(spouses).where(member)
        if spouses is not None and len(spouses)
        else pd.Series(None, index=staged.index, dtype=object)
    )
    columns = [staged["guardian_name"], staged["father_name"], staged["mother_name"], head, spouse]
    folded = [_per_unique(c.astype(object), folded_pinyin) for c in columns]
    stacked = np.column_stack([f.to_numpy(dtype=object) for f in folded])
    return pd.Series(
        [sorted({v for v in row if isinstance(v, str) and v}) for row in stacked], index=staged.index
    )


def common_carers(frame: pd.DataFrame) -> frozenset[str]:
    """The carers' names (folded pinyin) of a linkage frame that the carers of more
    than ``common_share`` of its children bear, and of more than ``common_least``
    children (``linkage/config.yaml`` carers; a grandmother of four is one carer).
    Children are distinct valid identity numbers: a child's several records count
    once, and the line is a share so that it means the same at every city size."""
    settings = load_config().carers
    named = frame.loc[frame["id_valid"].notna(), ["id_valid", "carers"]].explode("carers").dropna()
    named = named.drop_duplicates()
    children = named.groupby("carers").size()
    line = max(settings["common_least"], settings["common_share"] * named["id_valid"].nunique())
    return frozenset(children.index[children > line])


def _programmes(staged: pd.DataFrame) -> pd.DataFrame:
    """The family's programme as a roster names it and as an insurance subsidy names it
    (``linkage/config.yaml`` programmes; ``comparisons.Programme``)."""
    vocabulary = load_config().programmes
    roster = staged["assistance_type"].map(vocabulary["assistance_type"])
    roster = roster.where(staged["source_system"].ne("poverty_households"), vocabulary["poverty_households"])
    insured = staged["insurance_subsidy"].map(vocabulary["insurance_subsidy"])
    out = pd.DataFrame({"programme_roster": roster, "programme_insured": insured}, index=staged.index)
    return out.astype(object).where(out.notna(), None)


def school_birth_window(staged: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The days (since 1970) a child was born between, by the school stage and grade a
    row names at ``as_of`` (``comparisons.SchoolAge``), and whether a grade gave them
    (``school_graded``); NA where it names no stage.

    A child in year n of schooling was ``entry_age + n - 1`` on the day before the
    school year in force opened, give or take ``slack_years``; a stage named without
    its grade (学前教育) allows any of its years (``linkage/config.yaml`` school_age)."""
    settings = load_config().school_age
    opens = settings["school_year_opens"]
    cutoff = school_year_cutoff(as_of, (opens["month"], opens["day"]))
    stage = staged["school_stage"].where(staged["school_stage"].notna(), staged["school_status"])
    first, last = ({name: span[end] for name, span in settings["stage_years"].items()} for end in (0, 1))
    grade = pd.to_numeric(staged["grade"])
    year = stage.map(first) - 1 + grade
    earliest = year.where(grade.notna(), stage.map(first))
    latest = year.where(grade.notna(), stage.map(last))
    oldest = settings["entry_age"] + settings["slack_years"]
    youngest = settings["entry_age"] - 1 - settings["slack_years"]
    day = pd.Timestamp(cutoff)

    def days(n: int, age: int) -> int:
        return (day - pd.DateOffset(years=n + age) - EPOCH).days

    born_from = _per_unique(latest, lambda n: days(int(n), oldest) + 1)
    born_to = _per_unique(earliest, lambda n: days(int(n), youngest))
    return pd.DataFrame(
        {
            "school_born_from": born_from.astype("Int64"),
            "school_born_to": born_to.astype("Int64"),
            "school_graded": grade.notna().astype("boolean").where(born_from.notna()),
        },
        index=staged.index,
    )


def linkage_frame(
    staged: pd.DataFrame,
    as_of: date,
    everyone: pd.DataFrame | None = None,
    common: Collection[str] | None = None,
) -> pd.DataFrame:
    """The model's input table for the given staged records (one row per record).

    ``as_of``: the sync's date, which a school grade is read at (``school_birth_window``).
    ``everyone``: all staged rows of the sync, adults included, so that a roster
    member's carers include its household's 配偶 (``household_spouses``).
    ``common``: the sync's common carers' names, which ``carers_rare`` leaves out
    (``common_carers``); by default counted on these records, which are then the sync's."""
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
            "birth_days": (birth - EPOCH).dt.days.astype("Int64"),
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
            "village": staged["village"],
        },
        index=staged.index,
    )
    out = out.join(_name_parts(staged["name_norm"])).join(_programmes(staged))
    # Only an undated row's grade is evidence: a dated one is compared on its date.
    window = school_birth_window(staged, as_of)
    window.loc[birth.notna(), :] = pd.NA
    out = out.join(window)
    out["carers"] = _carers(staged, household_spouses(everyone) if everyone is not None else None)
    common = set(common_carers(out) if common is None else common)
    out["carers_rare"] = out["carers"].map(lambda names: [n for n in names if n not in common])
    return out[LINKAGE_COLUMNS].reset_index(drop=True)
