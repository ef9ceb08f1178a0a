"""Turning warehouse codes into what a clerk reads, and ordering rows the way they look for them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd
from pypinyin import lazy_pinyin

from reports.config import settings

WIDTH_SAMPLE = 5000  # rows a column's width is judged on
FrameOrSeries = TypeVar("FrameOrSeries", pd.DataFrame, pd.Series)


def county_labels(codes: pd.Series) -> pd.Series:
    """County names; an unknown code is shown as is, so nothing disappears."""
    text = codes.astype("string")
    return text.map(settings()["counties"]).fillna(text)


def sex_labels(codes: pd.Series) -> pd.Series:
    return codes.map(settings()["sex"])


def pinyin_key(values: pd.Series) -> pd.Series:
    """A sort key in pinyin order, the order Chinese-locale Excel sorts in.

    Computed once per distinct value: place names and names repeat.
    """
    text = values.fillna("").astype(str)
    unique = text.unique()
    keys = {v: " ".join(lazy_pinyin(v)) + "\x00" + v for v in unique}
    return text.map(keys)


def sort_by_place(frame: pd.DataFrame, name_column: str | None = "name") -> pd.DataFrame:
    """Rows ordered county → township → village (→ name), those of the columns the frame has.

    Counties go in code order, the order the city lists them in; names within a
    county in pinyin order.
    """
    keys = pd.DataFrame(
        {"_county": frame["county_code"].astype("string").fillna("\uffff")}, index=frame.index
    )
    for col in ("township", "village", name_column):
        if col in frame:
            keys[col] = pinyin_key(frame[col])
    order = keys.sort_values(list(keys.columns), kind="stable").index
    return frame.loc[order]


def width_sample(frame: FrameOrSeries) -> FrameOrSeries:
    """The rows a width is judged on: all of a small frame, a fixed sample of a big one.

    Sampling a whole frame once picks the same rows as sampling each of its columns.
    """
    if len(frame) <= WIDTH_SAMPLE:
        return frame
    return frame.sample(WIDTH_SAMPLE, random_state=0)


def display_width(values: pd.Series, header: str, cap: int) -> int:
    """A column width (in Excel's character units) that shows the header and most values whole.

    CJK characters take two units. The 95th percentile, not the maximum, so one
    long remark does not make a column unusably wide; of a fixed sample
    (``width_sample``), which settles it as well as every row of a city-sized sheet
    would. Each distinct value is measured once: places and sentences repeat.
    """
    head = units(header)
    counts = Counter(width_sample(values).dropna().tolist())
    body = np.repeat([units(str(v)) for v in counts], list(counts.values()))
    wide = int(np.percentile(body, 95)) if len(body) else 0
    return min(max(head, wide) + 2, cap)


def units(text: str) -> int:
    """Display units: one per character, two for a wide (CJK) one.

    From the UTF-8 length: an ASCII character takes one byte, a CJK one three.
    """
    return (len(text) + len(text.encode("utf-8"))) // 2


def cell_rows(frame: pd.DataFrame, columns: Sequence[str]) -> Iterator[tuple]:
    """The frame's rows as plain Python values, missing ones as None (an empty cell)."""
    cells = frame[list(columns)].astype(object)
    cells = cells.where(cells.notna(), None)
    return cells.itertuples(index=False, name=None)


def as_dates(values: pd.Series) -> pd.Series:
    """Dates as datetime.date, so Excel shows a date, not a timestamp."""
    parsed = pd.to_datetime(values, errors="coerce")
    return parsed.dt.date.astype(object).where(parsed.notna(), None)
