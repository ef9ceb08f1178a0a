"""The synthetic city's YAML files, loaded once: rates, the world's data, the extracts' layouts."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


@cache
def _load(name: str) -> dict[str, Any]:
    with open(HERE / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def default_rates() -> dict[str, float]:
    """Every rate of rates.yaml (a fresh dict, so callers may change it)."""
    return {k: float(v) for k, v in _load("rates.yaml").items()}


def merged_rates(overrides: Mapping[str, float] | None) -> dict[str, float]:
    """Defaults with overrides applied; an unknown key is a typo, not a new rate."""
    rates = default_rates()
    unknown = sorted(set(overrides or {}) - set(rates))
    if unknown:
        raise KeyError(f"unknown rate(s): {', '.join(unknown)}")
    rates.update({k: float(v) for k, v in (overrides or {}).items()})
    return rates


def world_config() -> dict[str, Any]:
    return _load("world.yaml")


def extracts_config() -> dict[str, Any]:
    return _load("extracts.yaml")
