"""How a staffer's file writes a value (sources.md, *Seen in practice*): names,
dates, sex, ethnicity and places, each in a form the contract allows. Every
function takes the clean value and a uniform draw, so a whole column is messed
with one vectorised draw and stays deterministic for a seed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from benchmarks.othercity.config import load_config

FULLWIDTH_SPACE = "\u3000"
EPOCH = dt.date(1899, 12, 30)  # Excel's day zero (with its 1900 leap-year quirk)


def _pick(value: float, shares: dict[str, float]) -> str:
    edge = 0.0
    for key, share in shares.items():
        edge += share
        if value < edge:
            return key
    return ""


def mess_name(name: str | None, draw: float) -> str | None:
    """A name with a space inside, a full-width space, traditional characters or a
    homophone typo, at the configured rates; otherwise as it is."""
    if not name:
        return name
    cfg = load_config()
    form = _pick(draw, cfg["mess"]["name"])
    if form == "space" and len(name) >= 2:
        return name[0] + " " + name[1:]
    if form == "fullwidth_space" and len(name) >= 2:
        return name[0] + FULLWIDTH_SPACE + name[1:]
    if form == "traditional":
        table = cfg["names"]["traditional"]
        changed = "".join(table.get(c, c) for c in name)
        return changed
    if form == "homophone":
        table = cfg["names"]["homophones"]
        for i in range(len(name) - 1, 0, -1):
            if name[i] in table:
                return name[:i] + table[name[i]] + name[i + 1 :]
    return name


def yi_dot(name: str, draw: float) -> str:
    """A Yi or Lisu name's separator dot as this row writes it (or left out)."""
    if "·" not in name:
        return name
    return name.replace("·", _pick(draw, load_config()["mess"]["yi_dot"]))


def excel_serial(day: dt.date) -> int:
    """The serial number Excel stores for a date (1900 system)."""
    return (day - EPOCH).days


def date_text(day: dt.date | None, style: str) -> Any:
    """A date in one of the contract's forms; ``style`` is chosen per file or per row.
    ``cell`` leaves a date object (an Excel date cell), ``serial`` an Excel serial."""
    if day is None:
        return None
    if style == "iso":
        return day.isoformat()
    if style == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if style == "dot":
        return f"{day.year}.{day.month:02d}.{day.day:02d}"
    if style == "compact":
        return f"{day.year}{day.month:02d}{day.day:02d}"
    if style == "chinese":
        return f"{day.year}年{day.month}月{day.day}日"
    if style == "serial":
        return excel_serial(day)
    if style == "serial_text":
        return str(excel_serial(day))
    if style == "cell":
        return dt.datetime(day.year, day.month, day.day)
    raise ValueError(f"unknown date style {style}")


def lunar(day: dt.date, draw: float) -> dt.date:
    """A lunar-calendar birthday written as if it were the registered one: 20-50 days
    earlier than the registered date."""
    return day - dt.timedelta(days=20 + int(draw * 31))


def sex_text(male: bool, coded: bool) -> str:
    """男/女, or the GB/T 2261.1 code 1/2."""
    if coded:
        return "1" if male else "2"
    return "男" if male else "女"


def ethnicity_text(code: str, draw: float) -> str:
    """汉族, 汉 or the GB 3304 code, by the draw."""
    name = load_config()["ethnicity"][code][0]
    rate = load_config()["mess"]["ethnicity_code"]
    if draw < rate:
        return code
    if draw < rate + (1 - rate) * 0.3:
        return name[:-1] if name.endswith("族") and len(name) > 2 else name
    return name


def county_text(code: str, name: str, draw: float) -> str:
    """区县 as a name, a short name, the full name with the city, or the 6-digit code."""
    style = _pick(draw, load_config()["mess"]["county_style"])
    if style == "short":
        return name[:-1]
    if style == "full":
        return "攀枝花市" + name
    if style == "code":
        return code
    return name


def township_text(name: str, draw: float) -> str:
    """A township's name, sometimes without its 镇/乡/街道 suffix, sometimes the old
    name of a township merged in 2019-2020."""
    cfg = load_config()["mess"]
    old = load_config()["old_township_names"].get(name)
    if old and draw < cfg["township_old_name"]:
        return old
    if draw > 1 - cfg["township_no_suffix"]:
        for suffix in ("街道", "镇", "乡"):
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                return name[: -len(suffix)]
    return name


def village_text(name: str, draw: float) -> str:
    """A village or community as 村/村委会/bare, 社区/社区居委会/bare."""
    style = _pick(draw, load_config()["mess"]["village_style"])
    if style == "long":
        return name + "委会" if name.endswith("村") else name + "居委会"
    if style == "bare":
        return name[:-1] if name.endswith("村") else name[:-2]
    return name


def draws(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` uniform draws as a Python list-friendly array."""
    return rng.random(n)
