"""Schools: a kindergarten, a primary and a junior school per township; senior, vocational
and special schools per county."""

from __future__ import annotations

import re

import pandas as pd

TOWNSHIP_SUFFIX = re.compile(r"(彝族乡|傈僳族乡|街道|镇|乡)$")


def core_name(township: str) -> str:
    """The township's name without its administrative suffix (大田镇 -> 大田)."""
    return TOWNSHIP_SUFFIX.sub("", township)


def make_schools(places: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    rows = []
    for county_code, county_places in places.groupby("county_code", sort=True):
        county = cfg["counties"][county_code][0]
        prefix = cfg["city"] if county_code in ("510402", "510403") else ""
        for township, town in county_places.groupby("township", sort=False):
            core = core_name(township)
            urban = not town["rural"].any()
            rows += [
                (county_code, township, "preschool", f"{county}{core}中心幼儿园"),
                (county_code, township, "primary", f"{county}{core}小学" if urban else f"{township}中心小学"),
                (county_code, township, "junior", f"{county}{core}中学" if urban else f"{township}初级中学"),
            ]
        rows += [
            (county_code, "", "senior", f"{prefix}{county}第一高级中学"),
            (county_code, "", "vocational", f"{prefix}{county}职业技术学校"),
            (county_code, "", "special", f"{prefix}{county}特殊教育学校"),
        ]
    schools = pd.DataFrame(rows, columns=["county_code", "township", "stage", "school_name"])
    seq = schools.groupby("county_code").cumcount() + 1
    schools["school_id"] = "21" + schools["county_code"] + seq.astype(str).str.zfill(2)
    return schools
