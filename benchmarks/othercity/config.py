"""The city's configuration (places, name pools, rates, mess) lives in ``city.yaml``
so that proportions can be changed without touching code."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

CONFIG = Path(__file__).with_name("city.yaml")


@cache
def load_config(path: Path = CONFIG) -> dict[str, Any]:
    """The parsed ``city.yaml`` (cached: it is read-only)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))
