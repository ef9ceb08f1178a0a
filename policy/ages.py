"""Ages in whole years (周岁) at a given date, for a column of birth dates.

A child born on 29 February turns a year older on 1 March in a common year: the
birthday has not come while (month, day) is still before (2, 29).
"""

from __future__ import annotations

from datetime import date

import pandas as pd


def whole_years(birth_dates: pd.Series, at: date) -> pd.Series:
    """Completed years at ``at``; NA where the birth date is unknown."""
    born = pd.to_datetime(birth_dates, errors="coerce")
    before_birthday = (at.month * 100 + at.day) < (born.dt.month * 100 + born.dt.day)
    years = at.year - born.dt.year - before_birthday.astype(int)
    return years.where(born.notna()).astype("Int64")
