"""Panzhihua's places: county codes, township and village stems, and the township and
village inside a free-text address."""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

import pandas as pd

from values.cells import (
    normalise_label,
)
from values.reference import reference


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
    county_code: str | None
    township: str | None
    village: str | None
    village_kind: str | None


# 省/市/县 prefixes, then a township (镇/乡/街道), then a village or community.
_ADDRESS = re.compile(
    r"^(?:.{0,6}?省)?(?:.{0,6}?市)?(?P<county>.{0,6}?[县区])?"
    r"(?P<township>[^县区市省]{1,8}?(?:街道办事处|街道|镇|乡))?"
    r"(?P<village>[^镇乡]{1,12}?(?:村民委员会|村委会|社区居委会|居委会|社区|村))?"
)


def parse_address(raw: object) -> Address:
    """County, township and village out of a free-text address (户籍地址, 现住址,
    户口所在地: 攀枝花市米易县攀莲镇龙华村3组). Extracts without place columns carry one,
    and linkage needs a place for rows with no number and no birth date."""
    text = normalise_label(raw)
    match = _ADDRESS.match(text) if text else None
    if not match or not (match["county"] or match["township"] or match["village"]):
        return Address(None, None, None, None)
    county = parse_county(match["county"]) if match["county"] else None
    village = normalise_village(match["village"]) if match["village"] else Village(None, None)
    township = normalise_township(match["township"]) if match["township"] else None
    return Address(county, township, village.village, village.kind)


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


def townships_by_current_name(places: pd.DataFrame) -> pd.Series:
    """Each row's township, an old name replaced by the current one. Offices still write
    the names of townships merged in 2019-2020 (sources.md), and no list of the mergers
    ships with the extracts; but a merged township's villages are named under the new
    one by the offices that moved on. So a township whose villages are all named under
    exactly one other township of the county, which names more of them (or as many, on
    more rows: the old name is the one fewer offices write), is that one's old name,
    when at least ``township_old_name_min_villages`` of those villages are named under
    no third township: common village names (新华, 团结) repeat across a county and do
    not count.

    ``places`` holds county_code, township and village (stems).
    """
    least = reference()["township_old_name_min_villages"]
    rows = places[["county_code", "township", "village"]].dropna()
    named = rows.drop_duplicates()
    named = named.assign(spread=named.groupby(["county_code", "village"])["township"].transform("size"))
    towns = ["county_code", "township"]
    sizes = (
        named.groupby(towns)
        .size()
        .rename("villages")
        .to_frame()
        .join(rows.groupby(towns).size().rename("rows"))
    )
    shared = named.merge(
        named[["county_code", "township", "village"]], on=["county_code", "village"], suffixes=("", "_new")
    )
    shared = shared.loc[shared["township"].ne(shared["township_new"])].assign(own=lambda d: d["spread"].eq(2))
    shared = (
        shared.groupby([*towns, "township_new"])
        .agg(shared=("village", "size"), own=("own", "sum"))
        .reset_index()
    )
    shared = shared.join(sizes, on=towns).join(sizes.add_suffix("_new"), on=["county_code", "township_new"])
    more = shared["villages_new"].gt(shared["villages"]) | (
        shared["villages_new"].eq(shared["villages"]) & shared["rows_new"].gt(shared["rows"])
    )
    old = shared.loc[shared["shared"].eq(shared["villages"]) & shared["own"].ge(least) & more]
    old = old.drop_duplicates(towns, keep=False)
    current = old.set_index(towns)["township_new"]
    renamed = pd.Series(
        current.reindex(pd.MultiIndex.from_frame(places[towns])).to_numpy(), index=places.index
    )
    return places["township"].where(renamed.isna(), renamed)


def village_kinds_named_elsewhere(places: pd.DataFrame) -> pd.Series:
    """Each row's village kind, where its own cell gave the name without a suffix
    (沙华 rather than 沙华村) and other rows name the same village of the same county and
    township with one. policy.md's "registered in a 村" must not turn on how one clerk
    typed the name. A stem named as a 村 by some rows and a 社区 by others stays unknown.

    ``places`` holds county_code, township, village and village_kind.
    """
    key = ["county_code", "township", "village"]
    rows = places[key].fillna("")  # a blank township is a key like any other
    kinds = (
        rows.assign(kind=places["village_kind"])
        .dropna(subset=["kind"])
        .drop_duplicates()
        .drop_duplicates(key, keep=False)
    )
    unknown = places["village_kind"].isna() & places["village"].notna()
    found = rows[unknown].merge(kinds, on=key, how="left")["kind"]
    filled = places["village_kind"].copy()
    filled[unknown] = found.astype(object).where(found.notna(), None).to_numpy()
    return filled
