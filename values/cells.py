"""A cell as read: empty or blank, its text, a label in one comparable form; and
``apply_unique``, which runs a parser once per distinct value of a column because names,
dates and places repeat across hundreds of thousands of rows."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from values.reference import reference

WHITESPACE = re.compile(r"\s+")
# A number as text after it went through a float (``5104.0``), and as Excel writes a
# number of more than 15 digits (``5.10402201503021E+17``).
FLOAT_TEXT = re.compile(r"(\d+)\.0*")
SCIENTIFIC = re.compile(r"\d+(\.\d+)?E[+-]?\d+")
_PAREN = re.compile(r"\([^()]*\)")

# ---------------------------------------------------------------- cell text


def is_empty(raw: object) -> bool:
    """True for a cell with nothing in it: None, NaN/NaT or whitespace."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    try:
        return bool(pd.isna(raw))
    except (TypeError, ValueError):
        return False


def is_blank(raw: object) -> bool:
    """True for an empty cell or one saying "nothing recorded" (无, /, -)."""
    if is_empty(raw):
        return True
    if not isinstance(raw, str):
        return False
    markers, longest = blank_markers()
    return len(raw) <= longest + 2 and normalise_label(raw) in markers


@cache
def blank_markers() -> tuple[frozenset[str], int]:
    """The normalised markers, and the longest one's length (longer text is no marker)."""
    markers = frozenset(normalise_label(m) for m in reference()["blank_markers"])
    return markers, max(map(len, markers))


def cell_text(raw: object) -> str | None:
    """A cell's text: a number as Excel keeps it (``1.0`` → ``1``; an 18-digit
    number → ``5.10402201503021E+17``, its 15 significant digits, so a mangled
    identity number stays recognisable), a date in ISO form; None when empty."""
    if is_empty(raw):
        return None
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        if raw.is_integer() and abs(raw) < 1e15:
            return str(int(raw))
        return f"{raw:.15G}"
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw).strip()


def normalise_label(raw: object) -> str:
    """A label or header in one comparable form.

    Full-width and half-width forms are one (NFKC), square and lenticular brackets
    are round ones, whitespace and line breaks go, a leading ``*`` (required-field
    marker) and a trailing colon go, Latin letters are upper case.
    """
    text = raw if isinstance(raw, str) else (cell_text(raw) or "")
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_BRACKETS)
    text = WHITESPACE.sub("", text).strip("*:").upper()
    return text


_BRACKETS = str.maketrans(
    {"[": "(", "]": ")", "【": "(", "】": ")", "〔": "(", "〕": ")", "〈": "(", "〉": ")"}
)


def strip_parenthetical(label: str) -> str:
    """A normalised label without its bracketed parts: ``基本生活费(元/月)`` → ``基本生活费``."""
    return _PAREN.sub("", label)


# ---------------------------------------------------------------- identity numbers

# ---------------------------------------------------------------- per unique value


def apply_unique(
    values: pd.Series, parse: Callable[[Any], Any], batch: bool = False
) -> pd.Series | pd.DataFrame:
    """``parse`` applied once per distinct value of ``values`` (blank cells once in all).

    With ``batch``, ``parse`` takes the list of distinct values and returns the
    list of results (``clean_names``), or a frame with one row per value
    (``name_key_frame``). A parser returning a NamedTuple gives a frame with one
    column per field; any other parser gives a Series. The index is ``values``'s.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = [*uniques, None]
    results = parse(distinct) if batch else [parse(u) for u in distinct]
    codes = np.where(codes < 0, len(distinct) - 1, codes)
    if isinstance(results, pd.DataFrame):
        return pd.DataFrame({c: results[c].to_numpy()[codes] for c in results.columns}, index=values.index)
    sample = results[-1]
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        table = pd.DataFrame.from_records(results, columns=list(sample._fields))
        out = table.take(codes)
        out.index = values.index
        return out
    # fromiter keeps a tuple result as one object where np.array would spread it.
    column = np.fromiter(results, dtype=object, count=len(results))
    return pd.Series(column[codes], index=values.index, name=values.name, dtype=object)
