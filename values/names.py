"""Names as the registry compares them: cleaned (half-width, simplified, one minority
separator) and read as pinyin, with one folding of Sichuan speech used by staging and
linkage alike."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from typing import NamedTuple

import opencc
import pandas as pd
from pypinyin import lazy_pinyin

from values.cells import (
    WHITESPACE,
    blank_markers,
)
from values.reference import reference

SEPARATOR = "·"


# ---------------------------------------------------------------- names


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def _separator_table() -> dict[int, str]:
    return str.maketrans({c: SEPARATOR for c in reference()["name_separators"]})


# Many names are joined by a line break for one pass over them: names lose their
# whitespace first, NFKC makes no line break, and OpenCC converts line by line.
_JOINER = "\n"
_SPACE_NOT_JOINER = re.compile(r"[^\S\n]+")
_DOT_RUNS = re.compile(f"{SEPARATOR}+")
_EDGE_DOTS = re.compile(f"^{SEPARATOR}|{SEPARATOR}$", re.MULTILINE)


def _joined_map(texts: list[str], convert: Callable[[str], str]) -> list[str]:
    """``convert`` applied to each of ``texts`` (free of line breaks) in one call."""
    return convert(_JOINER.join(texts)).split(_JOINER)


def clean_names(values: Iterable[object]) -> list[str | None]:
    """``clean_name`` of many values in one pass over their joined text: one NFKC,
    one OpenCC call (a call per name costs ~10 µs, and a city has 200,000 names)."""
    texts = [WHITESPACE.sub("", v) if isinstance(v, str) else "" for v in values]
    joined = _SPACE_NOT_JOINER.sub("", unicodedata.normalize("NFKC", _JOINER.join(texts)))
    joined = _EDGE_DOTS.sub("", _DOT_RUNS.sub(SEPARATOR, joined.translate(_separator_table())))
    markers = blank_markers()[0]
    names = _t2s().convert(joined).split(_JOINER)
    return [name if name and name.upper() not in markers else None for name in names]


def clean_name(raw: object) -> str | None:
    """A name as the registry compares it: no spaces, half-width, simplified, and a
    Yi or Lisu name's separator written ``·`` (it arrives as ``•``, ``.``, ``．``, ``・``)."""
    return clean_names([raw])[0]


def name_norm(name: str | None) -> str | None:
    """The cleaned name without the separator dot: 阿牛·木呷 and 阿牛木呷 compare equal."""
    if not name:
        return None
    return name.replace(SEPARATOR, "") or None


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name): the part before the dot of a minority name, a listed
    compound surname (欧阳), or else the first character."""
    if SEPARATOR in name:
        surname, _, given = name.partition(SEPARATOR)
        return surname, given.replace(SEPARATOR, "")
    if len(name) >= 3 and name[:2] in _compound_surnames():
        return name[:2], name[2:]
    return name[:1], name[1:]


@cache
def _compound_surnames() -> frozenset[str]:
    return frozenset(reference()["compound_surnames"])


# Sichuan speech merges zh/ch/sh into z/c/s, l into n, and ing/eng into in/en
# (李星 is heard and written 尼新). The folding is per syllable, read from the
# characters: joined pinyin cannot be cut back into syllables (xinge is xin·ge or
# xing·e), so every folded form in the registry comes from ``fold_syllable``.
_FOLD_INITIAL = re.compile(r"^(zh|ch|sh|l)")
_FOLD_INITIALS = {"zh": "z", "ch": "c", "sh": "s", "l": "n"}
_FOLD_FINAL = re.compile(r"(?<=[ie])ng$")


def fold_syllable(syllable: str) -> str:
    """One toneless pinyin syllable with the mergers of Sichuan speech folded:
    zh→z, ch→c, sh→s, l→n, ing→in, eng→en."""
    syllable = _FOLD_INITIAL.sub(lambda m: _FOLD_INITIALS[m.group(0)], syllable)
    return _FOLD_FINAL.sub("n", syllable)


class _PinyinTables:
    """Character → toneless syllable, and → its folded syllable, as ``str.translate``
    tables grown as characters are met.

    Characters are read one by one, not as a phrase: a name is not a word, and a
    per-character reading is consistent between two sources of the same name,
    which is what matching needs. Translating a whole name is one C call.
    """

    def __init__(self) -> None:
        self.plain: dict[int, str] = {ord(SEPARATOR): ""}
        self.folded: dict[int, str] = {ord(SEPARATOR): ""}

    def covering(self, text: str) -> _PinyinTables:
        for char in set(text):
            if ord(char) not in self.plain:
                syllable = lazy_pinyin(char)[0].lower()
                self.folded[ord(char)] = fold_syllable(syllable)
                self.plain[ord(char)] = syllable
        return self


_PINYIN = _PinyinTables()


def name_syllables(name: str | None) -> list[str]:
    """Toneless pinyin, one syllable per character (the dot has none)."""
    if not name:
        return []
    tables = _PINYIN.covering(name)
    return [tables.plain[ord(c)] for c in name if c != SEPARATOR]


def name_pinyin(name: str | None) -> str | None:
    """Toneless pinyin of the name without the dot, syllables joined by nothing."""
    if not name:
        return None
    return name.translate(_PINYIN.covering(name).plain) or None


def folded_pinyin(name: str | None) -> str | None:
    """The name's pinyin folded syllable by syllable (``fold_syllable`` of each
    character's reading), joined by nothing: staging's ``name_pinyin_folded`` and
    linkage's folded surname, given name and carers are all this."""
    if not name:
        return None
    return name.translate(_PINYIN.covering(name).folded) or None


class NameKeys(NamedTuple):
    name_norm: str | None
    name_pinyin: str | None
    name_pinyin_folded: str | None
    surname_pinyin: str | None
    given_pinyin: str | None


def name_key_frame(names: Iterable[str | None]) -> pd.DataFrame:
    """Every comparison form of many cleaned names, one column per ``NameKeys``
    field; the folded pinyin is folded syllable by syllable. Each translation is
    one call over the joined names, and no per-name tuple is built."""
    names = [WHITESPACE.sub("", n) if n else "" for n in names]
    tables = _PINYIN.covering("".join(names))
    splits = [split_name(n) for n in names]
    columns = (
        [n.replace(SEPARATOR, "") for n in names],
        _joined_map(names, lambda t: t.translate(tables.plain)),
        _joined_map(names, lambda t: t.translate(tables.folded)),
        _joined_map([s for s, _ in splits], lambda t: t.translate(tables.plain)),
        _joined_map([g for _, g in splits], lambda t: t.translate(tables.plain)),
    )
    return pd.DataFrame(
        {
            field: [part or None for part in column]
            for field, column in zip(NameKeys._fields, columns, strict=True)
        },
        dtype=object,
    )


def name_keys_many(names: Iterable[str | None]) -> list[NameKeys]:
    """Every comparison form of many cleaned names (see ``name_key_frame``)."""
    return [NameKeys(*row) for row in name_key_frame(names).itertuples(index=False, name=None)]


def name_keys(name: str | None) -> NameKeys:
    """Every comparison form of one cleaned name (see ``name_keys_many``)."""
    return name_keys_many([name])[0]
