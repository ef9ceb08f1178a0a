"""The prior of each sync: the probability that two records of *this* sync are one child.

A prior frozen from the training city means something else in a bigger city: the
pairs grow with the square of the records while the true matches grow with them, so a
20,000-child prior overstates every match in a 200,000-child city tenfold. It is
estimated here as training estimates it (Splink's
``estimate_probability_two_random_records_match`` on records sharing a valid identity
number, with the configured recall of that rule), but from the records being linked, so
the match threshold means the same at every size.
"""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

from linkage.counted import agreeing_pairs


def sync_prior(id_valid: pd.Series, recall: float) -> float | None:
    """λ for records whose valid identity numbers are ``id_valid`` (None where none);
    None when no two records share a number, so there is nothing to estimate from
    (a handful of records: the trained prior stands)."""
    n = len(id_valid)
    matching = agreeing_pairs(id_valid.rename("id").to_frame(), ["id"])
    if n < 2 or matching == 0:
        return None
    return min(matching / recall / (n * (n - 1) / 2), 1.0)


def with_prior(model: dict[str, Any], prior: float) -> dict[str, Any]:
    """A copy of the Splink model with its prior set to ``prior``."""
    out = copy.deepcopy(model)
    out["probability_two_random_records_match"] = prior
    return out
