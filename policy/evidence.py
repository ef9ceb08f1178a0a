"""Evidence: the source rows and fields a category or alert was derived from.

Kept as a long frame of items while rules are evaluated (one row per cited field,
with the key columns of what it supports), and turned into one JSON text per key
at the end: ``[{"system": …, "file": …, "row": …, "field": …, "value": …}, …]``.
Values are the coded facts (``"dead"``, ``0``, ``true``), never a name or an
identity number: only coded and amount columns are ever cited.
"""

from __future__ import annotations

import json
from datetime import date
from numbers import Integral, Real

import numpy as np
import pandas as pd

ITEM_COLUMNS = ["system", "file", "row", "field", "value"]


def cite(rows: pd.DataFrame, field: str, **keys: pd.Series | str) -> pd.DataFrame:
    """One item per row of ``rows`` citing ``field``, with key columns attached."""
    items = pd.DataFrame(
        {
            "system": rows["source_system"].to_numpy(),
            "file": rows["source_file"].to_numpy(),
            "row": rows["source_row"].to_numpy(),
            "field": field,
            "value": json_text(rows[field]).to_numpy(),
        }
    )
    for name, value in keys.items():
        items[name] = value.to_numpy() if isinstance(value, pd.Series) else value
    return items


def empty(*keys: str) -> pd.DataFrame:
    return pd.DataFrame(columns=[*keys, *ITEM_COLUMNS])


def json_text(values: pd.Series) -> pd.Series:
    """Each value as JSON text, computed once per distinct value of the column."""
    present = values.notna()
    out = pd.Series("null", index=values.index, dtype=object)
    if present.any():
        table = {v: _json_scalar(v) for v in pd.unique(values[present])}
        out[present] = values[present].map(table)
    return out


def _json_scalar(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "null"
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    return json.dumps(str(value), ensure_ascii=False)


def to_json(items: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One JSON list per key, as column ``evidence``: items de-duplicated and sorted by
    system, file, row and field.

    Sorting and joining run on integer codes and NumPy arrays, and each distinct
    (system, file) and (field, value) is written once: at a city's size (about a
    million items) pandas' multi-column object sorts and per-group joins cost tens
    of seconds.
    """
    if items.empty:
        return pd.DataFrame(columns=[*keys, "evidence"])
    group = _combined_code([pd.factorize(items[k])[0] for k in keys])
    source, source_text = _texts(items["system"], items["file"], '{{"system": {}, "file": {}, "row": ')
    fact, fact_text = _texts(items["field"], items["value"], ', "field": {}, "value": {}}}', raw_second=True)
    row = pd.to_numeric(items["row"]).fillna(-1).to_numpy(dtype=np.int64)
    item = _combined_code([source, row + 1, fact])
    order = np.lexsort((item, group))
    group, item = group[order], item[order]
    new_item = np.r_[True, (group[1:] != group[:-1]) | (item[1:] != item[:-1])]
    new_key = np.r_[True, group[1:] != group[:-1]][new_item]
    source, row, fact = source[order][new_item], row[order][new_item], fact[order][new_item]
    text = (
        np.where(new_key, "[", ", ").astype(object)
        + source_text[source]
        + np.where(row < 0, "null", row.astype(str)).astype(object)
        + fact_text[fact]
    )
    starts = np.flatnonzero(new_key)
    out = items[keys].iloc[order[new_item][starts]].reset_index(drop=True)
    out["evidence"] = np.add.reduceat(text, starts) + "]"
    return out


def _combined_code(codes: list[np.ndarray]) -> np.ndarray:
    """One int64 per combination of several factorize codes, ordered as they are."""
    combined = np.zeros(len(codes[0]), dtype=np.int64)
    for code in codes:
        combined = combined * (int(code.max()) + 1) + code
    return combined


def _texts(
    first: pd.Series, second: pd.Series, template: str, raw_second: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Sortable codes for the pairs of two columns, and each distinct pair's JSON text.

    The codes follow the sorted order of the pairs, so sorting by code sorts by value.
    """
    first_codes, first_values = pd.factorize(first, sort=True, use_na_sentinel=False)
    second_codes, second_values = pd.factorize(second, sort=True, use_na_sentinel=False)
    pairs, codes = np.unique(_combined_code([first_codes, second_codes]), return_inverse=True)
    width = len(second_values)
    text = np.array(
        [
            template.format(
                _json_scalar(first_values[p // width]),
                second_values[p % width] if raw_second else _json_scalar(second_values[p % width]),
            )
            for p in pairs
        ],
        dtype=object,
    )
    return codes, text


def join_strings(frame: pd.DataFrame, keys: list[str], column: str, sep: str) -> pd.DataFrame:
    """``column`` joined with ``sep`` per key, in the frame's order within each key.

    A groupby sum of pre-separated strings: pandas' ``agg(sep.join)`` calls Python
    once per group, which at a city's size costs tens of seconds.
    """
    frame = frame.sort_values(keys, kind="stable")
    first = ~frame.duplicated(keys)
    pieces = frame[column].where(first, sep + frame[column])
    return pieces.groupby([frame[k] for k in keys], sort=False).sum().reset_index()
