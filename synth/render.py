"""Clean values to the cells a department writes, with the mess each kind of column suffers.

Every column kind of extracts.yaml has one writer here. A writer returns the cells
and the mess it applied, as (row positions, code) pairs; a row's mess codes are
those of its own person's columns, and `other_`-prefixed ones for the other people
it names (parents, head of household, guardian).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from synth.ids import CHECK_CHARS, FULL_WIDTH
from synth.layout import TEXT_DATE_STYLES, FilePlan
from synth.names import Names
from synth.schools import core_name

EXCEL_EPOCH = date(1899, 12, 30)
Mess = list[tuple[np.ndarray, str]]


@dataclass
class Context:
    frame: pd.DataFrame
    plan: FilePlan
    rates: dict[str, float]
    labels: dict
    world_cfg: dict
    names: Names
    rng: np.random.Generator


def render_columns(ctx: Context, columns: list[list[str]]) -> tuple[list[np.ndarray], Mess]:
    """Cells of each column in order, and the mess applied."""
    cells, mess = [], []
    for _header, field, kind in columns:
        values = ctx.frame[field] if field else pd.Series(np.arange(len(ctx.frame)))
        base, _, arg = kind.partition(":")
        out, applied = WRITERS[base](ctx, values, arg)
        cells.append(out)
        mess += applied
    return cells, mess


def _objects(values) -> np.ndarray:
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _blank(values: pd.Series) -> np.ndarray:
    return values.isna().to_numpy() | (values.astype(object) == "").to_numpy()


def _text(ctx: Context, values: pd.Series, _arg: str):
    return _objects(values.astype(object).where(values.notna(), None)), []


def _counter(ctx: Context, values: pd.Series, _arg: str):
    return _objects(range(1, len(values) + 1)), []


def _amount(ctx: Context, values: pd.Series, _arg: str):
    out = [None if np.isnan(x) else (int(x) if x == int(x) else x) for x in values.astype(float).tolist()]
    return _objects(out), []


def _mapped(ctx: Context, values: pd.Series, table: str):
    mapping = ctx.labels[table]
    return _objects(None if pd.isna(x) or x == "" else mapping[x] for x in values.tolist()), []


def _yes_no(ctx: Context, values: pd.Series, _arg: str):
    return _objects(None if x is None or pd.isna(x) else ("是" if x else "否") for x in values.tolist()), []


def _labels(ctx: Context, values: pd.Series, _arg: str):
    names = ctx.labels["ledger_label"]
    seps = ctx.labels["label_separators"]
    choice = ctx.rng.integers(0, len(seps), len(values))
    return _objects(
        seps[c].join(names[x] for x in v.split(",")) for v, c in zip(values, choice, strict=True)
    ), []


def _grade(ctx: Context, values: pd.Series, _arg: str):
    if ctx.plan.grade_style == "number":
        return _objects(int(x) for x in values), []
    return _objects(ctx.labels["disability_grade"][int(x)] for x in values), []


def _picked(rng: np.random.Generator, n: int, rates: list[float]) -> np.ndarray:
    """Index of the one mess (0..len-1) applied to each cell, len(rates) for none."""
    u = rng.random(n)
    return np.searchsorted(np.cumsum(rates), u, side="right")


# ------------------------------------------------------------------ places
def _county(ctx: Context, values: pd.Series, _arg: str):
    cfg = ctx.world_cfg
    code = values.to_numpy(dtype=object)
    name = np.array([cfg["counties"][c][0] for c in code], dtype=object)
    short = np.array([cfg["counties"][c][1] for c in code], dtype=object)
    r = ctx.rates
    which = _picked(ctx.rng, len(code), [r["county_short"], r["county_prefixed"], r["county_code"]])
    out = np.select([which == 0, which == 1, which == 2], [short, cfg["city"] + name, code], name)
    mess = [
        (np.flatnonzero((which == 0) & (short != name)), "county_short"),
        (np.flatnonzero(which == 1), "county_prefixed"),
        (np.flatnonzero(which == 2), "county_code"),
    ]
    return _objects(out), mess


def _township(ctx: Context, values: pd.Series, _arg: str):
    town = values.to_numpy(dtype=object)
    blank = _blank(values)
    old = ctx.frame["old_township"].fillna("").to_numpy(dtype=object)
    use_old = ctx.plan.old_township & (old != "") & ~blank
    out = np.where(use_old, old, town)
    drift = ~blank & (ctx.rng.random(len(out)) < ctx.rates["township_suffix"])
    office = ctx.rng.random(len(out)) < ctx.rates["township_office_suffix"]
    for i in np.flatnonzero(drift):
        t = out[i]
        out[i] = t + "办事处" if t.endswith("街道") and office[i] else core_name(t)
    return _objects(out), [
        (np.flatnonzero(use_old), "township_old"),
        (np.flatnonzero(drift), "township_suffix"),
    ]


VILLAGE_SUFFIX = re.compile(r"(村|社区)$")


def _village(ctx: Context, values: pd.Series, _arg: str):
    out = values.to_numpy(dtype=object).copy()
    blank = _blank(values)
    r = ctx.rates
    which = _picked(ctx.rng, len(out), [r["village_suffix"], r["village_committee"]])
    which[blank] = 2
    for i in np.flatnonzero(which == 0):
        out[i] = VILLAGE_SUFFIX.sub("", out[i])
    for i in np.flatnonzero(which == 1):
        out[i] = out[i] + ("居委会" if out[i].endswith("社区") else "委会")
    out[blank] = None
    return _objects(out), [
        (np.flatnonzero(which == 0), "village_suffix"),
        (np.flatnonzero(which == 1), "village_committee"),
    ]


# ------------------------------------------------------------------ people
def _name(ctx: Context, values: pd.Series, prefix: str):
    out = values.astype(object).where(values.notna(), None).to_numpy(dtype=object).copy()
    blank = _blank(values)
    scale = ctx.rates["other_mess"] if prefix else 1.0
    r = ctx.rates
    kinds = ["name_spaces", "name_fullwidth", "name_traditional", "name_homophone"]
    which = _picked(ctx.rng, len(out), [r[k] * scale for k in kinds])
    which[blank] = len(kinds)
    spot = ctx.rng.random(len(out))
    hit: dict[str, list[int]] = {k: [] for k in [*kinds, "name_separator"]}
    for i in np.flatnonzero(which < len(kinds)):
        kind = kinds[which[i]]
        changed = _spoil_name(out[i], kind, spot[i], ctx)
        if changed != out[i]:
            out[i] = changed
            hit[kind].append(i)
    sep = ctx.names.sep
    variants = ctx.world_cfg["separator_variants"]
    dotted = np.array([isinstance(x, str) and sep in x for x in out])
    swap = dotted & (ctx.rng.random(len(out)) < r["name_separator"] * scale)
    pick = ctx.rng.integers(0, len(variants), len(out))
    for i in np.flatnonzero(swap):
        out[i] = out[i].replace(sep, variants[pick[i]])
        hit["name_separator"].append(i)
    return out, [(np.asarray(v, dtype=int), prefix + k) for k, v in hit.items()]


def _spoil_name(name: str, kind: str, spot: float, ctx: Context) -> str:
    at = 1 + int(spot * max(len(name) - 1, 1))
    if kind == "name_spaces":
        return name[:at] + " " + name[at:]
    if kind == "name_fullwidth":
        return name[:at] + "\u3000" + name[at:]
    if kind == "name_traditional":
        return ctx.names.traditional(name)
    return ctx.names.homophone(name, ctx.rng)


def _self_name(ctx: Context, values: pd.Series, _arg: str):
    return _name(ctx, values, "")


def _other_name(ctx: Context, values: pd.Series, _arg: str):
    return _name(ctx, values, "other_")


ID_KINDS = [
    "id_blank",
    "id_bad_check",
    "id_excel_float",
    "id_zeroed",
    "id_fullwidth",
    "id_spaces",
    "id_apostrophe",
    "id_legacy15",
]


def _ids(ctx: Context, values: pd.Series, prefix: str, adult: np.ndarray):
    out = values.astype(object).where(values.notna(), None).to_numpy(dtype=object).copy()
    blank = _blank(values)
    out[blank] = None
    scale = ctx.rates["other_mess"] if prefix else 1.0
    r = ctx.rates
    which = _picked(ctx.rng, len(out), [r[k] * scale for k in ID_KINDS])
    which[blank] = len(ID_KINDS)
    spot = ctx.rng.random(len(out))
    hit: dict[str, list[int]] = {k: [] for k in [*ID_KINDS, "id_lower_x"]}
    excel = ctx.plan.fmt != "csv"
    for i in np.flatnonzero(which < len(ID_KINDS)):
        kind = ID_KINDS[which[i]]
        changed = _spoil_id(out[i], kind, spot[i], bool(adult[i]), excel)
        if changed is not out[i]:
            out[i] = changed
            hit[kind].append(i)
    lower = np.array([isinstance(x, str) and len(x) == 18 and x.endswith("X") for x in out]) & (
        which == len(ID_KINDS)
    )
    lower &= ctx.rng.random(len(out)) < r["id_lower_x"]
    for i in np.flatnonzero(lower):
        out[i] = out[i][:-1] + "x"
        hit["id_lower_x"].append(i)
    return out, [(np.asarray(v, dtype=int), prefix + k) for k, v in hit.items()]


def _spoil_id(number: str, kind: str, spot: float, adult: bool, excel: bool):
    """The number as spoilt; the same object when this spoiling cannot apply to it."""
    if kind == "id_blank":
        return None
    if kind == "id_bad_check":
        good = CHECK_CHARS.index(number[-1].upper())
        return number[:-1] + CHECK_CHARS[(good + 1 + int(spot * 9)) % 11]
    if kind in ("id_excel_float", "id_zeroed"):
        if number.endswith("X"):
            return number  # text in Excel: never turned into a float
        zeroed = number[:15] + "000"
        if kind == "id_zeroed":
            return zeroed
        return float(zeroed) if excel else f"{float(zeroed):.5E}"
    if kind == "id_fullwidth":
        return number.translate(FULL_WIDTH)
    if kind == "id_spaces":
        return [
            f"{number[:6]} {number[6:14]} {number[14:]}",
            f" {number}",
            f"{number} ",
            number[:9] + " " + number[9:],
        ][int(spot * 4)]
    if kind == "id_apostrophe":
        return "'" + number
    if not adult or int(number[6:10]) >= 1990:
        return number
    return number[:6] + number[8:17]  # 15-digit legacy number: two-digit year, no check character


def _self_id(ctx: Context, values: pd.Series, _arg: str):
    adult = ctx.frame["adult"].to_numpy(dtype=bool) if "adult" in ctx.frame else np.zeros(len(values), bool)
    out, mess = _ids(ctx, values, "", adult)
    if "id_in_certificate" in ctx.frame:  # disability: the number only inside 残疾人证号
        moved = ctx.frame["id_in_certificate"].to_numpy(dtype=bool) & ~_blank(values)
        out[moved] = None
        mess = [(rows[~np.isin(rows, np.flatnonzero(moved))], code) for rows, code in mess]
        mess.append((np.flatnonzero(moved), "id_in_certificate"))
    return out, mess


def _other_id(ctx: Context, values: pd.Series, _arg: str):
    return _ids(ctx, values, "other_", np.ones(len(values), bool))


def _sex(ctx: Context, values: pd.Series, _arg: str):
    male = (values == "M").to_numpy()
    code_style = ctx.plan.sex_style == "code"
    if code_style:
        one, two = (1, 2) if ctx.plan.fmt != "csv" else ("1", "2")
        out = np.where(male, one, two).astype(object)
        if ctx.plan.fmt != "csv":
            out = _objects(int(x) for x in out)
    else:
        out = np.where(male, "男", "女").astype(object)
    blank = ctx.rng.random(len(out)) < ctx.rates["sex_blank"]
    out[blank] = None
    mess = [(np.flatnonzero(blank), "sex_blank")]
    if code_style:
        mess.append((np.flatnonzero(~blank), "sex_code"))
    return out, mess


ETHNICITY_STYLES = ["full", "short", "code"]


def _ethnicity(ctx: Context, values: pd.Series, _arg: str):
    names = ctx.world_cfg["ethnicities"]
    code = values.to_numpy(dtype=object)
    style = np.full(len(code), ETHNICITY_STYLES.index(ctx.plan.ethnicity_style))
    drift = ctx.rng.random(len(code)) < ctx.rates["ethnicity_drift"]
    style[drift] = ctx.rng.integers(0, 3, int(drift.sum()))
    full = np.array([names[c] for c in code], dtype=object)
    short = np.array([n[:-1] if n.endswith("族") else n for n in full], dtype=object)
    out = np.select([style == 1, style == 2], [short, code], full)
    return _objects(out), [
        (np.flatnonzero(style == 1), "ethnicity_short"),
        (np.flatnonzero(style == 2), "ethnicity_code"),
    ]


# ------------------------------------------------------------------ dates


def format_date(d: date, style: str, excel: bool):
    if style == "cell":
        return d if excel else d.isoformat()
    if style == "serial":
        n = (d - EXCEL_EPOCH).days
        return n if excel else str(n)
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "dot":
        return f"{d.year}.{d.month:02d}.{d.day:02d}"
    if style == "compact":
        return f"{d.year}{d.month:02d}{d.day:02d}"
    if style == "chinese":
        return f"{d.year}年{d.month}月{d.day}日"
    return d.isoformat()


def _dates(values: pd.Series) -> list[date | None]:
    return [None if pd.isna(x) else pd.Timestamp(x).date() for x in values.tolist()]


def _date(ctx: Context, values: pd.Series, _arg: str):
    excel = ctx.plan.fmt != "csv"
    return _objects(
        None if d is None else format_date(d, ctx.plan.date_style, excel) for d in _dates(values)
    ), []


def _birth_date(ctx: Context, values: pd.Series, _arg: str):
    """The file's date style, but some cells in another text form, as a serial number, or
    the lunar birthday written instead of the registered one."""
    r = ctx.rates
    days = _dates(values)
    which = _picked(ctx.rng, len(days), [r["date_text"], r["date_serial"], r["date_lunar"]])
    other_text = ctx.rng.integers(0, len(TEXT_DATE_STYLES), len(days))
    shift = ctx.rng.integers(20, 51, len(days))
    excel = ctx.plan.fmt != "csv"
    out = np.empty(len(days), dtype=object)
    hit: dict[str, list[int]] = {"date_text": [], "date_serial": [], "date_lunar": []}
    for i, d in enumerate(days):
        if d is None:
            out[i] = None
            continue
        style = ctx.plan.date_style
        if which[i] == 0:
            style = TEXT_DATE_STYLES[other_text[i]] if TEXT_DATE_STYLES[other_text[i]] != style else "iso"
        elif which[i] == 1:
            style = "serial"
        elif which[i] == 2:
            d = d - timedelta(days=int(shift[i]))
            hit["date_lunar"].append(i)
        out[i] = format_date(d, style, excel)
        if style in TEXT_DATE_STYLES:
            hit["date_text"].append(i)
        elif style == "serial":
            hit["date_serial"].append(i)
    return out, [(np.asarray(v, dtype=int), k) for k, v in hit.items()]


WRITERS = {
    "counter": _counter,
    "county": _county,
    "county_code": _text,
    "township": _township,
    "village": _village,
    "name": _self_name,
    "other_name": _other_name,
    "id": _self_id,
    "other_id": _other_id,
    "sex": _sex,
    "ethnicity": _ethnicity,
    "birth_date": _birth_date,
    "date": _date,
    "amount": _amount,
    "text": _text,
    "map": _mapped,
    "labels": _labels,
    "yes_no": _yes_no,
    "grade": _grade,
    "certificate": _text,
}
