"""GB 11643 identity numbers as offices typed them or Excel mangled them: a number is
trusted only when it can be (18 characters, check digit, a real date, no Excel zeros);
the rest is kept as a candidate for comparison, never "repaired"."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from collections.abc import Set as AbstractSet
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd
from stdnum.cn import ric

from values.cells import (
    FLOAT_TEXT,
    SCIENTIFIC,
    WHITESPACE,
    apply_unique,
    cell_text,
    is_blank,
)
from values.dates import FIRST_YEAR, LAST_YEAR, LUNAR_WINDOW_DAYS, from_parts, may_be_one_birthday

_ID18 = re.compile(r"\d{17}[\dX]")
_ID15 = re.compile(r"\d{15}")
_FORMULA_TEXT = re.compile(r'="(.*)"')


class IdParse(NamedTuple):
    id_number: str | None
    id_candidate: str | None
    status: str


def parse_id_number(raw: object) -> IdParse:
    """Read a GB 11643 identity number as an office typed or Excel mangled it.

    ``id_number`` is set only for a number that can be trusted: 18 characters, the
    check digit right, a real birth date, and not ending in ``000`` (Excel's
    15-digit rounding leaves that mark, and the rounded number passes the check
    digit one time in eleven); or the exact 18-digit form of a legacy 15-digit
    number (an adult's: status ``legacy15``). ``id_candidate`` keeps the cleaned text for fuzzy
    comparison whatever the status.
    """
    if is_blank(raw):
        return IdParse(None, None, "missing")
    if isinstance(raw, float):
        return _id_from_text(cell_text(raw), from_number=True)
    return _id_from_text(_clean_id_text(str(raw)), from_number=False)


def _clean_id_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    formula = _FORMULA_TEXT.fullmatch(text)
    if formula:
        text = formula.group(1)
    return WHITESPACE.sub("", text).lstrip("'‘’`").replace("-", "").upper()


def _id_from_text(text: str | None, from_number: bool) -> IdParse:
    if not text:
        return IdParse(None, None, "missing")
    if SCIENTIFIC.fullmatch(text):
        return IdParse(None, text, "excel_mangled")
    as_float = FLOAT_TEXT.fullmatch(text)
    if as_float:
        # The number went through a float: beyond 15 digits its tail is Excel's guess.
        text = as_float.group(1)
        if len(text) > 15:
            return IdParse(None, text, "excel_mangled")
    if from_number and len(text) > 15:
        return IdParse(None, text, "excel_mangled")
    if _ID18.fullmatch(text):
        # The birth place is not looked up (stdnum's validate does): it costs 80 µs
        # a number and rejects region codes newer than its table.
        status = _status18(text)
        return IdParse(text if status == "valid" else None, text, status)
    if _ID15.fullmatch(text):
        return IdParse(_eighteen(text), text, "legacy15")
    return IdParse(None, text, "malformed")


def _eighteen(legacy: str) -> str | None:
    """The 18-digit form of a 15-digit number (GB 11643-1999): the century 19 inserted
    before its six-digit birth date, and the check digit appended. The conversion is
    exact, so a parent written with the old number on one list and the new one on
    another is one person; None when the digits hold no date."""
    number = legacy[:6] + "19" + legacy[6:]
    if _encoded_birth_date(number) is None:
        return None
    return number + ric.calc_check_digit(number + "0")  # stdnum reads the first 17 of 18


def _status18(number: str) -> str:
    if number.endswith("000"):
        return "suspect_zeroed"
    if ric.calc_check_digit(number) != number[-1]:
        return "bad_check_digit"
    return "valid" if _encoded_birth_date(number) else "malformed"


def _encoded_birth_date(number: str) -> date | None:
    """Digits 7–14 as a date (what ``stdnum.cn.ric.get_birth_date`` reads, without
    its 25 µs of re-cleaning the number), None when they are no plausible date."""
    return from_parts(number[6:10], number[10:12], number[12:14])


_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ZERO, _X = ord("0"), ord("X")


def parse_id_numbers(values: pd.Series) -> pd.DataFrame:
    """``parse_id_number`` for a whole column, as a frame of its three fields.

    Tidy cells (18 ASCII digits, or 17 and ``X``: nearly all of a city) are checked
    with array arithmetic (ISO 7064 MOD 11-2, as ``stdnum.cn.ric``); every other
    cell goes through ``parse_id_number`` once per distinct value.
    """
    fields = np.full((len(values), 3), None, dtype=object)
    fields[:, 2] = "missing"
    cells = values.to_numpy(dtype=object)
    is_text = np.fromiter((type(v) is str for v in cells), dtype=bool, count=len(cells))
    long = np.flatnonzero(is_text)[np.fromiter((len(v) == 18 for v in cells[is_text]), dtype=bool)]
    codes = np.array(cells[long].tolist(), dtype="<U18").view(np.uint32).reshape(-1, 18).astype(np.int64)
    digits = codes - _ZERO
    tidy = ((digits[:, :17] >= 0) & (digits[:, :17] <= 9)).all(axis=1) & (
        ((digits[:, 17] >= 0) & (digits[:, 17] <= 9)) | (codes[:, 17] == _X)
    )
    tidy_rows = long[tidy]
    fields[tidy_rows] = _tidy_statuses(cells[tidy_rows], codes[tidy], digits[tidy])
    rest = values.notna().to_numpy()
    rest[tidy_rows] = False
    if rest.any():
        fields[rest] = apply_unique(values[rest], parse_id_number).to_numpy(dtype=object)
    return pd.DataFrame(fields, index=values.index, columns=list(IdParse._fields))


def _tidy_statuses(numbers: np.ndarray, codes: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """(id_number, id_candidate, status) rows for tidy 18-character numbers."""
    check = (12 - (digits[:, :17] * _ID_WEIGHTS).sum(axis=1) % 11) % 11
    given = np.where(codes[:, 17] == _X, 10, digits[:, 17])
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
    born = pd.to_datetime(
        pd.DataFrame(
            {
                "year": year,
                "month": digits[:, 10] * 10 + digits[:, 11],
                "day": digits[:, 12] * 10 + digits[:, 13],
            }
        ),
        errors="coerce",
    )
    dated = born.notna().to_numpy() & (year >= FIRST_YEAR) & (year <= LAST_YEAR)
    status = np.select(
        [(codes[:, 15:] == _ZERO).all(axis=1), check != given, ~dated],
        ["suspect_zeroed", "bad_check_digit", "malformed"],
        "valid",
    ).astype(object)
    valid = np.where(status == "valid", numbers, None)
    return np.column_stack([valid, numbers, status])


def birth_dates_from_ids(id_numbers: pd.Series) -> pd.Series:
    """The birth date each valid identity number encodes (NaT where there is none)."""
    return pd.to_datetime(id_numbers.str.slice(6, 14), format="%Y%m%d", errors="coerce")


def could_be_parents(parent_numbers: pd.Series, child_births: pd.Series, ages: tuple[int, int]) -> pd.Series:
    """Whether each parent's number says the parent was ``ages[0]`` to ``ages[1]`` years
    old at the child's birth (True where either date is unknown). A ledger's 母亲身份证号
    with its century mistyped (1903 for 2003) can still pass the check digit; it then
    names nobody, and must not stand apart from the mother it was meant to be."""
    years = (pd.to_datetime(child_births) - birth_dates_from_ids(parent_numbers)).dt.days / 365.25
    return years.isna() | years.between(*ages)


def sexes_from_ids(id_numbers: pd.Series) -> pd.Series:
    """Sex from the 17th digit of each valid number: odd is male (None where there is none)."""
    digit = pd.to_numeric(id_numbers.str.slice(16, 17), errors="coerce")
    return pd.Series(np.where(digit.isna(), None, np.where(digit % 2 == 1, "M", "F")), index=id_numbers.index)


def never_one_child(
    numbers_a: AbstractSet[str],
    births_a: Collection[date],
    numbers_b: AbstractSet[str],
    births_b: Collection[date],
    window_days: int = LUNAR_WINDOW_DAYS,
) -> str | None:
    """Which hard fact says two groups of records are never one child's: two different
    valid numbers (``different_numbers``), or, without a number in common, birth dates
    that may be no one birthday (``birth_dates``); None when neither does.

    Clustering refuses such a join (``linkage.cluster``), and a near-miss across one
    holds no alert (``policy.near_miss``): one rule, so the two cannot drift apart."""
    if len(numbers_a | numbers_b) > 1:
        return "different_numbers"
    # One valid number on both sides outweighs a mistyped birth date.
    if not numbers_a & numbers_b and not may_be_one_birthday(births_a, births_b, window_days):
        return "birth_dates"
    return None
