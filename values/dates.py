"""Dates in any form offices write them, Excel serials included; and the lunar-birthday
window that linkage and clustering both read."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection
from datetime import date, datetime, timedelta

import numpy as np

from values.cells import (
    WHITESPACE,
    is_blank,
)

# Excel's 1900 date system, counted from 1899-12-30 past its phantom 1900-02-29.
_EXCEL_EPOCH = date(1899, 12, 30)
FIRST_YEAR, LAST_YEAR = 1900, 2099
_FIRST_SERIAL, _LAST_SERIAL = (date(1920, 1, 1) - _EXCEL_EPOCH).days, (date(2099, 12, 31) - _EXCEL_EPOCH).days

_DATE_PARTS = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T ]?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_DATE_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\.0+)?")
_SERIAL = re.compile(r"\d{4,5}(\.\d+)?")

# Birth dates this many days apart may still be one child's: a lunar birthday written
# as a solar date. Linkage's birth-date comparison and the clustering guard read it.
LUNAR_WINDOW_DAYS = 50


def may_be_one_birthday(
    a: Collection[date], b: Collection[date], window_days: int = LUNAR_WINDOW_DAYS
) -> bool:
    """Whether two sets of birth dates may be one child's: either holds none, or some date
    of one is within ``window_days`` of some date of the other, or is it with day and month
    swapped. Clustering joins no two groups that may not be (``linkage.cluster``), and a
    record that may not be a child's is nothing it is missing (``policy.near_miss``)."""
    if not a or not b:
        return True
    for x in a:
        for y in b:
            if abs((x - y).days) <= window_days:
                return True
            if x.year == y.year and x.month == y.day and x.day == y.month:
                return True
    return False


# ---------------------------------------------------------------- dates


def parse_date(raw: object) -> date | None:
    """A date from any of the forms offices write (2015-03-02, 2015/3/2, 2015.03.02,
    20150302, 2015年3月2日), a workbook date cell, or an Excel serial number.
    A date outside 1900–2099 is None."""
    if is_blank(raw):
        return None
    if isinstance(raw, datetime):
        return _plausible(raw.date())
    if isinstance(raw, date):
        return _plausible(raw)
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float | np.integer | np.floating):
        return _from_number(float(raw))
    text = WHITESPACE.sub(" ", unicodedata.normalize("NFKC", str(raw))).strip()
    parts = _DATE_PARTS.fullmatch(text) or _DATE_DIGITS.fullmatch(text)
    if parts:
        return from_parts(*parts.group(1, 2, 3))
    if _SERIAL.fullmatch(text):
        return _from_number(float(text))
    return None


def _from_number(value: float) -> date | None:
    if math.isnan(value):
        return None
    if value.is_integer() and 10_000_000 <= value < 100_000_000:
        digits = str(int(value))
        return from_parts(digits[:4], digits[4:6], digits[6:])
    if _FIRST_SERIAL <= value <= _LAST_SERIAL:
        return _EXCEL_EPOCH + timedelta(days=int(value))
    return None


def from_parts(year: str, month: str, day: str) -> date | None:
    try:
        return _plausible(date(int(year), int(month), int(day)))
    except ValueError:
        return None


def _plausible(value: date) -> date | None:
    return value if FIRST_YEAR <= value.year <= LAST_YEAR else None


def school_year_cutoff(as_of: date, start: tuple[int, int]) -> date:
    """The day before the school year in force at ``as_of`` opened (31 August when it opens 1 September)."""
    opened = date(as_of.year, *start)
    if as_of < opened:
        opened = date(as_of.year - 1, *start)
    return opened - timedelta(days=1)
