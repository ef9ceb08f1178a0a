"""Coded person fields (sex, ethnic group) looked up in the vocabularies of
``values/reference.yaml``, and phone numbers."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

from values.cells import (
    FLOAT_TEXT,
    cell_text,
    is_empty,
    normalise_label,
    strip_parenthetical,
)
from values.reference import reference

_PHONE_SPLIT = re.compile(r"[,;/、|]+")


@cache
def vocabulary(name: str) -> dict[str, Any]:
    """A vocabulary of common.yaml (label → code) keyed by normalised label."""
    return {normalise_label(k): v for k, v in reference()["vocabularies"][name].items()}


def lookup(vocabulary: dict[str, Any], raw: object) -> Any:
    """The code a vocabulary gives a label (normalised as the vocabulary's keys
    are), trying it without bracketed remarks second: ``外出务工(省外)`` → away.
    A "nothing recorded" marker is looked up too: ``无`` is a code in some vocabularies."""
    if is_empty(raw):
        return None
    label = normalise_label(raw)
    found = vocabulary.get(label)
    if found is None and "(" in label:
        found = vocabulary.get(strip_parenthetical(label))
    return found


def parse_sex(raw: object) -> str | None:
    """M / F from 男/女, GB/T 2261.1 codes 1/2, or M/F."""
    return lookup(vocabulary("sex"), raw)


@cache
def _ethnicity_lookup() -> dict[str, str]:
    ref = reference()
    table: dict[str, str] = {}
    for code, name in ref["ethnicities"].items():
        table[code] = table[str(int(code))] = table[name] = name
        table[name.removesuffix("族")] = name
    table.update(ref["ethnicity_aliases"])
    return {normalise_label(k): v for k, v in table.items()}


def parse_ethnicity(raw: object) -> str | None:
    """The ethnic group's full name (汉族) from a name, a bare name (汉) or a GB 3304 code (01)."""
    return lookup(_ethnicity_lookup(), raw)


def parse_phone(raw: object) -> str | None:
    """The digits of the first phone number in the cell (a cell may hold two)."""
    text = cell_text(raw)
    if not text:
        return None
    for part in _PHONE_SPLIT.split(unicodedata.normalize("NFKC", text)):
        part = part.strip()
        as_float = FLOAT_TEXT.fullmatch(part)
        digits = as_float.group(1) if as_float else re.sub(r"\D", "", part)
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        if len(digits) >= 7:
            return digits
    return None
