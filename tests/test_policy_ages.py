"""Whole years at the as-of date, and the school year in force."""

from datetime import date

import pandas as pd
import pytest

from policy.ages import whole_years
from values.dates import school_year_cutoff


@pytest.mark.parametrize(
    ("born", "at", "years"),
    [
        (date(2008, 6, 30), date(2026, 6, 30), 18),  # the 18th birthday itself
        (date(2008, 7, 1), date(2026, 6, 30), 17),  # the day before it
        (date(2008, 2, 29), date(2026, 2, 28), 17),  # leap-day birthday: not yet in a common year
        (date(2008, 2, 29), date(2026, 3, 1), 18),  # … reached on 1 March
        (date(2008, 2, 29), date(2028, 2, 29), 20),  # … and on 29 February in a leap year
    ],
)
def test_whole_years_turn_on_the_birthday(born: date, at: date, years: int) -> None:
    assert whole_years(pd.Series([born]), at).iloc[0] == years


def test_unknown_birth_date_has_no_age() -> None:
    ages = whole_years(pd.Series([None, date(2020, 1, 1)]), date(2026, 6, 30))
    assert ages.isna().tolist() == [True, False]


@pytest.mark.parametrize(
    ("as_of", "cutoff"),
    [
        (date(2026, 6, 30), date(2025, 8, 31)),  # school year 2025/26 still in force
        (date(2026, 8, 31), date(2025, 8, 31)),
        (date(2026, 9, 1), date(2026, 8, 31)),  # a new school year opened today
    ],
)
def test_school_year_cutoff_is_the_day_before_the_year_opened(as_of: date, cutoff: date) -> None:
    assert school_year_cutoff(as_of, (9, 1)) == cutoff
