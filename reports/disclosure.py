"""Small-cell suppression: counts involving restricted children are shown only from min_cell up.

Which cells are sensitive is decided by what a row is about (a restricted
category, the health extract, an alert code that can be restricted), never by
whether a restricted child happens to be in it: a "<10" that appeared only where
such a child is would itself tell.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reports.config import settings


def suppress(
    counts: pd.DataFrame,
    sensitive: pd.Series,
    total: object | None = None,
    sums: Sequence[tuple[str, Sequence[str]]] = (),
    hidden: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Counts (Int64) with the small cells of sensitive rows set to NA, to be shown as "<10".

    ``sensitive`` is a boolean per row (same index). A hidden cell must not come back as
    the difference of shown ones, so each sum the page shows is closed: a sum with exactly
    one hidden cell also loses its smallest shown part, until no sum has one.

    - ``total``: the label of a total row; each column is the sum of the other sensitive rows.
    - ``sums``: (column, parts) that hold in every row, e.g. entitled = receiving + gap.
    - ``hidden``: cells hidden already (a bool frame of some of the labels), e.g. a county
      suppressed in the county table, here the total of its townships.
    """
    min_cell = settings()["access"]["min_cell"]
    out = counts.astype("Int64")
    rows = sensitive.to_numpy(dtype=bool)
    small = np.ascontiguousarray(out.lt(min_cell).fillna(False).to_numpy(dtype=bool) & rows[:, None])
    if hidden is not None:
        small |= hidden.reindex(index=out.index, columns=out.columns, fill_value=False).to_numpy(dtype=bool)
    values = np.ascontiguousarray(out.to_numpy(dtype="float64", na_value=0.0))
    width = out.shape[1]
    relations = []  # each: flat cell positions, the whole first
    if total is not None and total in out.index:
        whole = out.index.get_loc(total)
        parts = [i for i in range(len(out)) if rows[i] and i != whole]
        relations += [[r * width + c for r in [whole, *parts]] for c in range(width)]
    for column, pieces in sums:
        cols = [out.columns.get_loc(c) for c in [column, *pieces]]
        relations += [[r * width + c for c in cols] for r in range(len(out)) if rows[r]]
    flat, shut = values.reshape(-1), small.reshape(-1)  # views: setting shut sets small
    grown = True
    while grown:
        grown = False
        for cells in relations:
            if shut[cells].sum() != 1:
                continue
            parts = [cell for cell in cells[1:] if not shut[cell]]
            if parts:
                shut[min(parts, key=lambda cell: flat[cell])] = True
                grown = True
    return out.mask(small)


def shown(value: object) -> str:
    """A count as printed: thousands separated, or the small-cell label when suppressed."""
    if value is None or pd.isna(value):
        return settings()["access"]["small_cell_label"]
    return f"{int(value):,}"
