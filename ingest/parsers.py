"""Column parsers: a mapping names one per column, and each reads a whole column.

Every parser runs once per distinct cell value (``apply_unique``) and reports
which non-blank cells it could not read, so staging can set them NULL and flag
them instead of dropping the row.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from values.cells import apply_unique, cell_text, is_blank, normalise_label
from values.codes import lookup, parse_ethnicity, parse_phone, parse_sex, vocabulary
from values.dates import parse_date
from values.ids import parse_id_number, parse_id_numbers
from values.names import clean_name, clean_names
from values.places import normalise_township, normalise_village, parse_address, parse_county

if TYPE_CHECKING:
    from ingest.config import ColumnSpec

_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")
_AMOUNT_NOISE = re.compile(r"[,，\s元¥￥]|/月|/年|每月|每年")
_INT_NOISE = re.compile(r"[\s年]")
_FLOAT_TEXT = re.compile(r"(\d+)\.0*")
_SCIENTIFIC = re.compile(r"\d+(\.\d+)?E[+-]?\d+")
_CODE_SPLIT = re.compile(r"[、，,;；/|\s]+")


def clean_text(raw: object) -> str | None:
    """Free text, trimmed."""
    return cell_text(raw)


def clean_upper(raw: object) -> str | None:
    """A code such as an ICD-10 diagnosis: half-width, no spaces, upper case."""
    return normalise_label(raw) or None


def clean_identifier(raw: object) -> str | None:
    """A number used as an identifier (户编号, 学校标识码): digits kept as written,
    a float's ``.0`` dropped; a number Excel turned into ``1.2E+19`` lost its
    digits and is not an identifier any more."""
    label = normalise_label(raw)
    if not label or _SCIENTIFIC.fullmatch(label):
        return None
    as_float = _FLOAT_TEXT.fullmatch(label)
    return as_float.group(1) if as_float else label


def parse_amount(raw: object) -> float | None:
    """An amount in 元: ``1,200``, ``1200元``, ``1200.00``; "无" is nothing recorded."""
    text = cell_text(raw)
    if text is None:
        return None
    text = _AMOUNT_NOISE.sub("", unicodedata.normalize("NFKC", text))
    return float(text) if _NUMBER.fullmatch(text) else None


def parse_int(raw: object) -> int | None:
    """A whole number such as a year: ``2026``, ``2026.0``, ``2026年``."""
    text = cell_text(raw)
    if text is None:
        return None
    text = _INT_NOISE.sub("", unicodedata.normalize("NFKC", text))
    as_float = _FLOAT_TEXT.fullmatch(text)
    text = as_float.group(1) if as_float else text
    return int(text) if text.isdigit() else None


# Parsers that read one cell, by the name a mapping gives them; "code" (one label),
# "codes" (several in a cell) and "grade" (per school stage) read through the
# column's vocabulary instead.
PARSERS: dict[str, Callable[[object], Any]] = {
    "id": parse_id_number,
    "name": clean_name,
    "date": parse_date,
    "sex": parse_sex,
    "ethnicity": parse_ethnicity,
    "county": parse_county,
    "township": normalise_township,
    "address": parse_address,
    "village": normalise_village,
    "phone": parse_phone,
    "text": clean_text,
    "upper": clean_upper,
    "identifier": clean_identifier,
    "certificate": clean_upper,
    "student_number": clean_upper,
    "amount": parse_amount,
    "int": parse_int,
}
VOCABULARY_PARSERS = frozenset({"code", "codes", "grade"})
# The flag a column gets when a non-blank cell could not be read.
_PROBLEMS = {
    "date": "invalid_date",
    "code": "unknown_value",
    "codes": "unknown_value",
    "grade": "unknown_value",
}


@dataclass(frozen=True)
class Parsed:
    """A parsed column: values (a frame for parsers returning several), and the
    non-blank cells that could not be read, with the flag each one gets."""

    values: pd.Series | pd.DataFrame
    failed: pd.Series
    problem: str | pd.Series


def present(values: pd.Series) -> pd.Series:
    """Cells that hold something (not empty, not a "nothing recorded" marker).

    Only short texts can be markers, so only they are looked at one by one.
    """
    filled = values.notna().to_numpy()
    texts = values.map(type).eq(str).to_numpy()
    if texts.any():
        lengths = values[texts].str.strip().str.len().to_numpy()
        filled[texts] = lengths > 0
        short = np.flatnonzero(texts)[(lengths >= 1) & (lengths <= 6)]
        if len(short):
            filled[short] = ~apply_unique(values.iloc[short], is_blank).to_numpy(dtype=bool)
    return pd.Series(filled, index=values.index)


def parse_column(values: pd.Series, spec: ColumnSpec, stage: pd.Series | None = None) -> Parsed:
    """Read one column with its mapping's parser. ``stage`` (the parsed school
    stage) selects a stage's own grade vocabulary."""
    if spec.parser == "id":
        ids = parse_id_numbers(values)
        failed = ~ids["status"].isin(["valid", "missing"])
        return Parsed(ids, failed, ids["status"])
    if spec.parser == "codes":
        return _parse_codes(values, vocabulary(spec.values))
    if spec.parser == "grade" and stage is not None and spec.by_stage:
        parsed = _parse_by_stage(values, stage, spec)
    elif spec.parser in VOCABULARY_PARSERS:
        parsed = apply_unique(values, partial(lookup, vocabulary(spec.values)))
    elif spec.parser == "name":
        parsed = apply_unique(values, clean_names, batch=True)
    else:
        parsed = apply_unique(values, PARSERS[spec.parser])
    empty = parsed.iloc[:, 0].isna() if isinstance(parsed, pd.DataFrame) else parsed.isna()
    return Parsed(parsed, present_among(values, empty), _PROBLEMS.get(spec.parser, "unparsed"))


def present_among(values: pd.Series, rows: pd.Series) -> pd.Series:
    """``present`` for the given rows only (False elsewhere): a cell a parser could
    not read is a problem only if it held something, and only those need a look."""
    found = np.zeros(len(values), dtype=bool)
    hit = rows.to_numpy(dtype=bool)
    if hit.any():
        found[hit] = present(values[hit]).to_numpy()
    return pd.Series(found, index=values.index)


def _parse_by_stage(values: pd.Series, stage: pd.Series, spec: ColumnSpec) -> pd.Series:
    default = vocabulary(spec.values)
    own = {code: vocabulary(name) for code, name in spec.by_stage.items()}

    def read(pair: tuple[object, object]) -> Any:
        stage_code, raw = pair if pair is not None else (None, None)
        found = lookup(own[stage_code], raw) if stage_code in own else None
        return found if found is not None else lookup(default, raw)

    pairs = pd.Series(list(zip(stage.where(stage.notna(), None), values, strict=True)), index=values.index)
    return apply_unique(pairs, read)


def _parse_codes(values: pd.Series, table: dict[str, Any]) -> Parsed:
    """Several labels in one cell (孤儿、农村留守儿童): the known codes comma-joined
    in vocabulary order; an unknown label is flagged, the known ones kept."""
    order = {code: i for i, code in enumerate(dict.fromkeys(table.values()))}

    def read(raw: object) -> tuple[str | None, bool]:
        if is_blank(raw):
            return None, False
        labels = [p for p in _CODE_SPLIT.split(unicodedata.normalize("NFKC", str(raw))) if p]
        codes = [lookup(table, label) for label in labels]
        known = sorted({c for c in codes if c is not None}, key=order.__getitem__)
        return (",".join(known) or None), None in codes

    read_cells = apply_unique(values, read)
    joined = read_cells.map(lambda r: r[0])
    unknown = read_cells.map(lambda r: r[1]).astype(bool)
    return Parsed(joined, unknown, "unknown_value")
