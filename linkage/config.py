"""Linkage settings, read from ``linkage/config.yaml`` (the one place defaults live)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


@dataclass(frozen=True)
class LinkageConfig:
    model_file: Path
    match_threshold: float
    review_lower: float
    tie_margin_bits: float
    sole_candidates: bool
    review_max_pairs: int
    incremental_max_share: float
    duckdb_memory_limit: str
    training: dict[str, Any]
    programmes: dict[str, Any]
    school_age: dict[str, Any]
    carers: dict[str, Any]
    roles_linked: tuple[str, ...]


def load_config(path: Path = HERE / "config.yaml") -> LinkageConfig:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return LinkageConfig(
        model_file=HERE / raw["model_file"],
        match_threshold=float(raw["match_threshold"]),
        review_lower=float(raw["review_lower"]),
        tie_margin_bits=float(raw["tie_margin_bits"]),
        sole_candidates=bool(raw["sole_candidates"]),
        review_max_pairs=int(raw["review_max_pairs"]),
        incremental_max_share=float(raw["incremental_max_share"]),
        duckdb_memory_limit=str(raw["duckdb_memory_limit"]),
        training=raw["training"],
        programmes=raw["programmes"],
        school_age=raw["school_age"],
        carers=raw["carers"],
        roles_linked=tuple(raw["roles_linked"]),
    )
