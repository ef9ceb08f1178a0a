"""Pure parsers for the values department extracts carry: identity numbers, names,
dates, sex, ethnicity and places.

Each parser takes one raw cell (text as read, or a number or date from a
workbook) and returns a clean value or None; it never guesses a value the cell
does not hold (a number Excel rounded is marked, not "repaired"). Reference
tables (counties, ethnic groups, suffixes) are data in ``ingest/mappings/common.yaml``.
``apply_unique`` runs any of them once per distinct value of a column, because
names, dates and places repeat across hundreds of thousands of rows.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import Any, NamedTuple

import numpy as np
import opencc
import pandas as pd
import yaml
from pypinyin import lazy_pinyin
from stdnum.cn import ric

SEPARATOR = "·"
# Excel's 1900 date system, counted from 1899-12-30 past its phantom 1900-02-29.
_EXCEL_EPOCH = date(1899, 12, 30)
# Dates outside these years are typing errors, not people's dates.
_FIRST_YEAR, _LAST_YEAR = 1900, 2099
# Serial numbers are read as dates only from 1920 on, so a bare year (2015) or a
# small count is never taken for a day in 1905.
_FIRST_SERIAL, _LAST_SERIAL = (date(1920, 1, 1) - _EXCEL_EPOCH).days, (date(2099, 12, 31) - _EXCEL_EPOCH).days

_WHITESPACE = re.compile(r"\s+")
_PAREN = re.compile(r"\([^()]*\)")
_SCIENTIFIC = re.compile(r"\d+(\.\d+)?E[+-]?\d+")
_FLOAT_TEXT = re.compile(r"(\d+)\.0*")
_ID18 = re.compile(r"\d{17}[\dX]")
_ID15 = re.compile(r"\d{15}")
_DATE_PARTS = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T ]?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_DATE_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\.0+)?")
_SERIAL = re.compile(r"\d{4,5}(\.\d+)?")
_PHONE_SPLIT = re.compile(r"[,;/、|]+")
_FORMULA_TEXT = re.compile(r'="(.*)"')


@cache
def reference() -> dict[str, Any]:
    """The shared reference tables, loaded once from ``ingest/mappings/common.yaml``."""
    return yaml.safe_load((files("ingest") / "mappings" / "common.yaml").read_text(encoding="utf-8"))


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
    markers, longest = _blank_markers()
    return len(raw) <= longest + 2 and normalise_label(raw) in markers


@cache
def _blank_markers() -> tuple[frozenset[str], int]:
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
    text = _WHITESPACE.sub("", text).strip("*:").upper()
    return text


_BRACKETS = str.maketrans(
    {"[": "(", "]": ")", "【": "(", "】": ")", "〔": "(", "〕": ")", "〈": "(", "〉": ")"}
)


def strip_parenthetical(label: str) -> str:
    """A normalised label without its bracketed parts: ``基本生活费(元/月)`` → ``基本生活费``."""
    return _PAREN.sub("", label)


# ---------------------------------------------------------------- identity numbers


class IdParse(NamedTuple):
    id_number: str | None
    id_candidate: str | None
    status: str


def parse_id_number(raw: object) -> IdParse:
    """Read a GB 11643 identity number as an office typed or Excel mangled it.

    ``id_number`` is set only for a number that can be trusted: 18 characters, the
    check digit right, a real birth date, and not ending in ``000`` (Excel's
    15-digit rounding leaves that mark, and the rounded number passes the check
    digit one time in eleven). ``id_candidate`` keeps the cleaned text for fuzzy
    comparison whatever the status.
    """
    if is_blank(raw):
        return IdParse(None, None, "missing")
    if isinstance(raw, float):
        return _id_from_text(cell_text(raw), from_number=True)
    return _id_from_text(_clean_id_text(str(raw)), from_number=False)


def _clean_id_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    formula = _FORMULA_TEXT.fullmatch(text)
    if formula:
        text = formula.group(1)
    return _WHITESPACE.sub("", text).lstrip("'‘’`").replace("-", "").upper()


def _id_from_text(text: str | None, from_number: bool) -> IdParse:
    if not text:
        return IdParse(None, None, "missing")
    if _SCIENTIFIC.fullmatch(text):
        return IdParse(None, text, "excel_mangled")
    as_float = _FLOAT_TEXT.fullmatch(text)
    if as_float:
        # The number went through a float: beyond 15 digits its tail is Excel's guess.
        text = as_float.group(1)
        if len(text) > 15:
            return IdParse(None, text, "excel_mangled")
    if from_number and len(text) > 15:
        return IdParse(None, text, "excel_mangled")
    if _ID18.fullmatch(text):
        # The birth place is not looked up (stdnum's validate does): it costs 80 µs
        # a number and rejects region codes newer than its table.
        status = _status18(text)
        return IdParse(text if status == "valid" else None, text, status)
    if _ID15.fullmatch(text):
        return IdParse(None, text, "legacy15")
    return IdParse(None, text, "malformed")


def _status18(number: str) -> str:
    if number.endswith("000"):
        return "suspect_zeroed"
    if ric.calc_check_digit(number) != number[-1]:
        return "bad_check_digit"
    return "valid" if _encoded_birth_date(number) else "malformed"


def _encoded_birth_date(number: str) -> date | None:
    """Digits 7–14 as a date (what ``stdnum.cn.ric.get_birth_date`` reads, without
    its 25 µs of re-cleaning the number), None when they are no plausible date."""
    return _from_parts(number[6:10], number[10:12], number[12:14])


_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ZERO, _X = ord("0"), ord("X")


def parse_id_numbers(values: pd.Series) -> pd.DataFrame:
    """``parse_id_number`` for a whole column, as a frame of its three fields.

    Tidy cells (18 ASCII digits, or 17 and ``X``: nearly all of a city) are checked
    with array arithmetic (ISO 7064 MOD 11-2, as ``stdnum.cn.ric``); every other
    cell goes through ``parse_id_number`` once per distinct value.
    """
    fields = np.full((len(values), 3), None, dtype=object)
    fields[:, 2] = "missing"
    cells = values.to_numpy(dtype=object)
    is_text = np.fromiter((type(v) is str for v in cells), dtype=bool, count=len(cells))
    long = np.flatnonzero(is_text)[np.fromiter((len(v) == 18 for v in cells[is_text]), dtype=bool)]
    codes = np.array(cells[long].tolist(), dtype="<U18").view(np.uint32).reshape(-1, 18).astype(np.int64)
    digits = codes - _ZERO
    tidy = ((digits[:, :17] >= 0) & (digits[:, :17] <= 9)).all(axis=1) & (
        ((digits[:, 17] >= 0) & (digits[:, 17] <= 9)) | (codes[:, 17] == _X)
    )
    tidy_rows = long[tidy]
    fields[tidy_rows] = _tidy_statuses(cells[tidy_rows], codes[tidy], digits[tidy])
    rest = values.notna().to_numpy()
    rest[tidy_rows] = False
    if rest.any():
        fields[rest] = apply_unique(values[rest], parse_id_number).to_numpy(dtype=object)
    return pd.DataFrame(fields, index=values.index, columns=list(IdParse._fields))


def _tidy_statuses(numbers: np.ndarray, codes: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """(id_number, id_candidate, status) rows for tidy 18-character numbers."""
    check = (12 - (digits[:, :17] * _ID_WEIGHTS).sum(axis=1) % 11) % 11
    given = np.where(codes[:, 17] == _X, 10, digits[:, 17])
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
    born = pd.to_datetime(
        pd.DataFrame(
            {
                "year": year,
                "month": digits[:, 10] * 10 + digits[:, 11],
                "day": digits[:, 12] * 10 + digits[:, 13],
            }
        ),
        errors="coerce",
    )
    dated = born.notna().to_numpy() & (year >= _FIRST_YEAR) & (year <= _LAST_YEAR)
    status = np.select(
        [(codes[:, 15:] == _ZERO).all(axis=1), check != given, ~dated],
        ["suspect_zeroed", "bad_check_digit", "malformed"],
        "valid",
    ).astype(object)
    valid = np.where(status == "valid", numbers, None)
    return np.column_stack([valid, numbers, status])


def birth_dates_from_ids(id_numbers: pd.Series) -> pd.Series:
    """The birth date each valid identity number encodes (NaT where there is none)."""
    return pd.to_datetime(id_numbers.str.slice(6, 14), format="%Y%m%d", errors="coerce")


def sexes_from_ids(id_numbers: pd.Series) -> pd.Series:
    """Sex from the 17th digit of each valid number: odd is male (None where there is none)."""
    digit = pd.to_numeric(id_numbers.str.slice(16, 17), errors="coerce")
    return pd.Series(np.where(digit.isna(), None, np.where(digit % 2 == 1, "M", "F")), index=id_numbers.index)


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
    texts = [_WHITESPACE.sub("", v) if isinstance(v, str) else "" for v in values]
    joined = _SPACE_NOT_JOINER.sub("", unicodedata.normalize("NFKC", _JOINER.join(texts)))
    joined = _EDGE_DOTS.sub("", _DOT_RUNS.sub(SEPARATOR, joined.translate(_separator_table())))
    markers = _blank_markers()[0]
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


_FOLD_INITIAL = re.compile(r"^(zh|ch|sh|l)")
_FOLD_FINAL = re.compile(r"(?<=[ie])ng$")
_FOLD_JOINED_INITIAL = {"zh": "z", "ch": "c", "sh": "s", "l": "n"}
_FOLD_JOINED = re.compile(r"zh|ch|sh|l|(?<=[ie])ng(?![aeiouv])")


def _fold_syllable(syllable: str) -> str:
    syllable = _FOLD_INITIAL.sub(lambda m: _FOLD_JOINED_INITIAL[m.group(0)], syllable)
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
                self.folded[ord(char)] = _fold_syllable(syllable)
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


def fold_pinyin(pinyin: str | Iterable[str] | None) -> str | None:
    """Pinyin with the mergers of Sichuan speech folded: zh→z, ch→c, sh→s, l→n,
    ing→in, eng→en, applied per syllable.

    Given syllables (a list, or a string with spaces) each is folded exactly. Given
    joined pinyin, zh/ch/sh/l can only start a syllable, and a final ``ng`` is
    folded unless a vowel follows it (then its g starts the next syllable, the
    usual reading of ``xinge``).
    """
    if pinyin is None:
        return None
    if isinstance(pinyin, str) and not _WHITESPACE.search(pinyin.strip()):
        folded = _FOLD_JOINED.sub(lambda m: _FOLD_JOINED_INITIAL.get(m.group(0), "n"), pinyin)
        return folded or None
    parts = pinyin.split() if isinstance(pinyin, str) else pinyin
    return "".join(_fold_syllable(s) for s in parts) or None


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
    names = [_WHITESPACE.sub("", n) if n else "" for n in names]
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


# ---------------------------------------------------------------- dates


def parse_date(raw: object) -> date | None:
    """A date from any of the forms offices write (2015-03-02, 2015/3/2, 2015.03.02,
    20150302, 2015年3月2日), a workbook date cell, or an Excel serial number.
    A date outside 1900–2099 is None."""
    if is_blank(raw):
        return None
    if isinstance(raw, datetime):
        return _plausible(raw.date())
    if isinstance(raw, date):
        return _plausible(raw)
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float | np.integer | np.floating):
        return _from_number(float(raw))
    text = _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", str(raw))).strip()
    parts = _DATE_PARTS.fullmatch(text) or _DATE_DIGITS.fullmatch(text)
    if parts:
        return _from_parts(*parts.group(1, 2, 3))
    if _SERIAL.fullmatch(text):
        return _from_number(float(text))
    return None


def _from_number(value: float) -> date | None:
    if math.isnan(value):
        return None
    if value.is_integer() and 10_000_000 <= value < 100_000_000:
        digits = str(int(value))
        return _from_parts(digits[:4], digits[4:6], digits[6:])
    if _FIRST_SERIAL <= value <= _LAST_SERIAL:
        return _EXCEL_EPOCH + timedelta(days=int(value))
    return None


def _from_parts(year: str, month: str, day: str) -> date | None:
    try:
        return _plausible(date(int(year), int(month), int(day)))
    except ValueError:
        return None


def _plausible(value: date) -> date | None:
    return value if _FIRST_YEAR <= value.year <= _LAST_YEAR else None


# ---------------------------------------------------------------- coded person fields


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


@cache
def _county_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, county in reference()["counties"].items():
        for label in [code, county["name"], *county["aliases"]]:
            table[normalise_label(label)] = code
    return table


def _strip_region_prefix(label: str) -> str:
    for prefix in reference()["region_prefixes"]:
        if label.startswith(prefix) and len(label) > len(prefix):
            return label.removeprefix(prefix)
    return label


def parse_county(raw: object) -> str | None:
    """The 6-digit code of a Panzhihua county from its name (仁和区), short name
    (仁和), prefixed name (攀枝花市仁和区) or code (510411, or a 9/12-digit
    division code within it). Any other place is None."""
    label = normalise_label(raw)
    if not label:
        return None
    table = _county_lookup()
    if label.isdigit() and len(label) in (9, 12):
        label = label[:6]
    for _ in range(2):  # 四川省攀枝花市仁和区: province, then city
        if label in table:
            return table[label]
        label = _strip_region_prefix(label)
    return table.get(label)


@cache
def _township_suffix() -> re.Pattern[str]:
    ref = reference()
    ethnic = sorted({n for n in ref["ethnicities"].values() if n.endswith("族")}, key=len, reverse=True)
    suffixes = sorted(ref["township_suffixes"], key=len, reverse=True)
    ethnic_group, suffix_group = "|".join(ethnic), "|".join(suffixes)
    return re.compile(f"(?:{ethnic_group})*(?:{suffix_group})$|(?:{ethnic_group})+$")


def normalise_township(raw: object) -> str | None:
    """The township's stem: 大田镇, 大田乡 and 大田 are one; 格萨拉彝族乡 is 格萨拉;
    a county prefix (仁和区大田镇) goes. A stem is never shortened below two characters."""
    label = normalise_label(raw)
    if not label:
        return None
    label = _strip_county_prefix(label)
    stem = _township_suffix().sub("", label)
    return stem if len(stem) >= 2 else label


def _strip_county_prefix(label: str) -> str:
    label = _strip_region_prefix(_strip_region_prefix(label))
    for county in reference()["counties"].values():
        if label.startswith(county["name"]) and len(label) > len(county["name"]) + 1:
            return label.removeprefix(county["name"])
    return label


class Village(NamedTuple):
    village: str | None
    kind: str | None


class Address(NamedTuple):
    township: str | None
    village: str | None
    village_kind: str | None


# 省/市/县 prefixes, then a township (镇/乡/街道), then a village or community.
_ADDRESS = re.compile(
    r"^(?:.{0,6}?省)?(?:.{0,6}?市)?(?:.{0,6}?[县区])?"
    r"(?P<township>[^县区市省]{1,8}?(?:街道办事处|街道|镇|乡))?"
    r"(?P<village>[^镇乡]{1,12}?(?:村民委员会|村委会|社区居委会|居委会|社区|村))?"
)


def parse_address(raw: object) -> Address:
    """Township and village out of a free-text address (户籍地址, 现住址, 户口所在地:
    攀枝花市米易县攀莲镇龙华村3组). Extracts without place columns carry one, and
    linkage needs a place for rows with no number and no birth date."""
    text = normalise_label(raw)
    match = _ADDRESS.match(text) if text else None
    if not match or not (match["township"] or match["village"]):
        return Address(None, None, None)
    village = normalise_village(match["village"]) if match["village"] else Village(None, None)
    township = normalise_township(match["township"]) if match["township"] else None
    return Address(township, village.village, village.kind)


def normalise_village(raw: object) -> Village:
    """The village's stem and the kind its suffix says: 村/村委会/村民委员会 → village,
    社区/社区居委会/居委会 → community, no suffix → None (the name alone does not say)."""
    label = normalise_label(raw)
    if not label:
        return Village(None, None)
    ref = reference()
    label = re.sub(ref["village_group_pattern"], "", label) or label
    for suffix, kind in sorted(ref["village_suffixes"].items(), key=lambda kv: -len(kv[0])):
        if label.endswith(suffix) and len(label) > len(suffix):
            return Village(label.removesuffix(suffix), kind)
    return Village(label, None)


def parse_phone(raw: object) -> str | None:
    """The digits of the first phone number in the cell (a cell may hold two)."""
    text = cell_text(raw)
    if not text:
        return None
    for part in _PHONE_SPLIT.split(unicodedata.normalize("NFKC", text)):
        part = part.strip()
        as_float = _FLOAT_TEXT.fullmatch(part)
        digits = as_float.group(1) if as_float else re.sub(r"\D", "", part)
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        if len(digits) >= 7:
            return digits
    return None


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
