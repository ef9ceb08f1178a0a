"""The reference registry: facts about the city and the policy's sources that every
package reads (counties, ethnic groups, place suffixes, vocabularies, source systems,
restricted sets, the child age), stated once in ``values/reference.yaml``."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml


@cache
def reference() -> dict[str, Any]:
    """The reference tables, loaded once."""
    return yaml.safe_load((files("values") / "reference.yaml").read_text(encoding="utf-8"))


def county_names() -> dict[str, str]:
    """County code → official name, in the reference's order."""
    return {code: county["name"] for code, county in reference()["counties"].items()}


def source_names() -> dict[str, str]:
    """Source system → the short 中文 name people see, in the reference's order."""
    return dict(reference()["sources"])


def restricted() -> dict[str, list[str]]:
    """The restricted ``sources`` and ``categories``, and the ``departments`` that may see them."""
    return reference()["restricted"]


def child_age() -> int:
    """Under this age at the as-of date a person is a child."""
    return int(reference()["child_age"])
