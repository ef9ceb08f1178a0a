"""GB 11643 identity numbers: made valid, and spoilt the ways Excel and clerks spoil them."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
CHECK_CHARS = "0123456789X"


def check_digit(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character (stdnum wants a placeholder check digit appended)."""
    return ric.calc_check_digit(body17 + "0")


@cache
def region_valid_in(region: str, year: int) -> bool:
    """Whether stdnum knows `region` as a county code in use in `year` (codes come and go)."""
    body = f"{region}{year}0101001"
    try:
        ric.get_birth_place(body + check_digit(body))
    except ValidationError:
        return False
    return True


def usable_regions(
    region: np.ndarray, birth: pd.Series, fallback: list[str], rng: np.random.Generator
) -> np.ndarray:
    """Regions valid at each birth year: 510402 dates from 1983, so an older person born
    in 东区 is given a code that existed then (as a registry would have issued)."""
    years = pd.DatetimeIndex(birth).year.to_numpy()
    ok = np.array([region_valid_in(r, int(y)) for r, y in zip(region, years, strict=True)])
    return np.where(
        ok, region, np.asarray(fallback, dtype=object)[rng.integers(0, len(fallback), len(region))]
    )


def make_ids(region: np.ndarray, birth: pd.Series, male: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unique valid numbers: region + birth date + sequence (odd for men, even for women) + check.

    Sequence numbers are dealt per (region, birth date, sex) from a random start, so
    two people never share a number however many are born on one day.
    """
    frame = pd.DataFrame(
        {"region": region, "birth": pd.to_datetime(birth).dt.strftime("%Y%m%d").to_numpy(), "male": male}
    )
    groups = frame.groupby(["region", "birth", "male"], sort=True)
    rank = groups.cumcount().to_numpy()
    start = rng.integers(0, 499, size=groups.ngroups)[groups.ngroup().to_numpy()]
    slot = (start + rank) % 499
    seq = slot * 2 + np.where(male, 1, 2)  # male 001..997 odd, female 002..998 even
    body = frame["region"].to_numpy(dtype=object) + frame["birth"].to_numpy(dtype=object)
    body = body + np.char.zfill(seq.astype(str), 3).astype(object)
    return np.array([b + check_digit(b) for b in body], dtype=object)
