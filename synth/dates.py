"""Whole-year ages and the school year, the way policy.md counts them."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd


def add_years(d: date, years: int) -> date:
    """Same day `years` later; 29 February becomes 28 February."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def whole_years(birth: pd.Series, on: date) -> np.ndarray:
    """Age in whole years at `on` (a birthday on `on` counts); -1 where the birth date is unknown."""
    b = pd.DatetimeIndex(birth)
    before_birthday = (b.month > on.month) | ((b.month == on.month) & (b.day > on.day))
    age = on.year - b.year - before_birthday.astype(int)
    return np.where(b.isna(), -1, age).astype(int)


def school_year_start(as_of: date) -> date:
    """The 31 August that opened the school year in force at as_of (the year starts 1 September)."""
    year = as_of.year if (as_of.month, as_of.day) >= (9, 1) else as_of.year - 1
    return date(year, 8, 31)


def days_before(as_of: date, days: np.ndarray) -> pd.Series:
    """Dates `days` before as_of."""
    return pd.Series(pd.Timestamp(as_of) - pd.to_timedelta(days, unit="D"))


def random_dates(rng: np.random.Generator, start: pd.Series | date, end: date, n: int) -> pd.Series:
    """Uniform dates between start (per row or one date) and end, inclusive."""
    start_ts = pd.to_datetime(pd.Series(start)) if not isinstance(start, date) else pd.Timestamp(start)
    span = (pd.Timestamp(end) - start_ts) / timedelta(days=1)
    offset = np.floor(rng.random(n) * (np.maximum(np.asarray(span, dtype=float), 0) + 1))
    return pd.Series(start_ts + pd.to_timedelta(offset, unit="D")).reset_index(drop=True)
