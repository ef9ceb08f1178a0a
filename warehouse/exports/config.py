"""The exports' settings (exports.yaml), read once."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

CONFIG_FILE = Path(__file__).with_name("exports.yaml")


@cache
def settings() -> dict[str, Any]:
    """exports.yaml as a dict; callers must not mutate it."""
    with CONFIG_FILE.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def county_name(code: object) -> str | None:
    """A county's Chinese name; an unknown code is shown as is, so nothing disappears."""
    if code is None or code != code:  # None or NaN
        return None
    return settings()["counties"].get(str(code), str(code))
