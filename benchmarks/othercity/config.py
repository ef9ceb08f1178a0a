"""The city's configuration (places, name pools, rates, mess) lives in ``city.yaml``
so that proportions can be changed without touching code."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

CONFIG = Path(__file__).with_name("city.yaml")
SHARE_TABLES = {"id_child", "id_roster_child", "id_adult", "name", "village_style", "county_style", "yi_dot"}


@cache
def load_config(path: Path = CONFIG) -> dict[str, Any]:
    """The parsed ``city.yaml`` (cached; ``use_profile`` merges a profile into it)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> None:
    """Merge ``over`` into ``base``; a table of shares (a dict of plain values) is
    replaced whole, so that its shares stay one distribution."""
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and key not in SHARE_TABLES:
            _merge(base[key], value)
        else:
            base[key] = value


def use_profile(name: str | None) -> None:
    """Start from ``city.yaml`` again and merge the named profile over it (None: none)."""
    load_config.cache_clear()
    if name:
        cfg = load_config()
        _merge(cfg, cfg["profiles"][name])
