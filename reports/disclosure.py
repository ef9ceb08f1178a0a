"""Small-cell suppression: counts involving restricted children are shown only from min_cell up.

Which cells are sensitive is decided by what a row is about (a restricted
category, the health extract, an alert code that can be restricted), never by
whether a restricted child happens to be in it: a "<10" that appeared only where
such a child is would itself tell.
"""

from __future__ import annotations

import pandas as pd

from reports.config import settings


def suppress(counts: pd.DataFrame, sensitive: pd.Series, total: object | None = None) -> pd.DataFrame:
    """Counts (Int64) with the small cells of sensitive rows set to NA, to be shown as "<10".

    ``sensitive`` is a boolean per row (same index). When the table shows a total
    row (index label ``total``), a column whose parts have exactly one suppressed
    cell also loses its smallest other sensitive part, or total minus the rest
    would give the suppressed one back.
    """
    min_cell = settings()["access"]["min_cell"]
    out = counts.astype("Int64")
    small = out.lt(min_cell).fillna(False) & sensitive.to_numpy()[:, None]
    if total is not None:
        parts = (out.index != total) & sensitive.to_numpy()
        for col in out.columns:
            hidden = small[col] & parts
            if hidden.sum() == 1:
                rest = out[col][parts & ~hidden]
                if len(rest):
                    small.loc[rest.idxmin(), col] = True
    return out.mask(small)


def shown(value: object) -> str:
    """A count as printed: thousands separated, or the small-cell label when suppressed."""
    if value is None or value is pd.NA:
        return settings()["access"]["small_cell_label"]
    return f"{int(value):,}"
