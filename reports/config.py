"""The exports' settings (exports.yaml), read once."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from values.reference import county_names, restricted, source_names

CONFIG_FILE = Path(__file__).with_name("exports.yaml")


@cache
def settings() -> dict[str, Any]:
    """exports.yaml as a dict, with the counties, source names and restricted sets of
    the reference registry (``values/reference.yaml``) put in; callers must not mutate it."""
    with CONFIG_FILE.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    shared = restricted()
    data["counties"] = county_names()
    data["sources"] = source_names()
    data["access"] |= {
        "privileged_departments": shared["departments"],
        "restricted_sources": shared["sources"],
        "restricted_categories": shared["categories"],
        "generic_detail": shared["generic_detail"],
    }
    return data


def county_name(code: object) -> str | None:
    """A county's Chinese name; an unknown code is shown as is, so nothing disappears."""
    if code is None or code != code:  # None or NaN
        return None
    return settings()["counties"].get(str(code), str(code))
