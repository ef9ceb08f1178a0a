"""Training and scoring with Splink 5: the only module that talks to Splink.

The backend is chosen by the caller (``DuckDBAPI`` on its own working database by
default, ``SparkAPI`` for a province); the model file is the same for both.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
from splink import Linker, SettingsCreator, block_on

from linkage.comparisons import comparisons, prediction_blocking_rules, training_blocking_rules
from linkage.config import LinkageConfig

log = logging.getLogger(__name__)


def duckdb_api(path: str = ":memory:", memory_limit: str | None = None):
    """A DuckDB backend on its own database: a long Splink writer on the warehouse
    file would starve other writers (stack.md)."""
    import duckdb
    from splink import DuckDBAPI

    con = duckdb.connect(path)
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return DuckDBAPI(connection=con)


def settings() -> SettingsCreator:
    """The untrained model: comparisons and blocking rules, no parameters."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=prediction_blocking_rules(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _linker(db_api, frame: pd.DataFrame, model: SettingsCreator | dict[str, Any]) -> Linker:
    sdf = db_api.register(frame, dataset_display_name="records")
    return Linker(sdf, model, log_level=logging.WARNING)


def train(frame: pd.DataFrame, config: LinkageConfig, db_api=None) -> dict[str, Any]:
    """Estimate the model's parameters from unlabelled records (no truth is used).

    λ from deterministic rules, u by seeded random sampling, m by EM sessions that
    each block on one field so the others can be estimated; every step is capped by
    ``max_pairs`` so memory stays bounded (stack.md: uncapped EM reached 18 GB).
    """
    db_api = db_api or duckdb_api()
    linker = _linker(db_api, frame, settings())
    training = config.training
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_valid")], recall=training["prior_recall"]
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=training["u_max_pairs"], seed=training["seed"])
    for rule in training_blocking_rules():
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=training["em_max_pairs"]
        )
    return linker.misc.save_model_to_json()


def save_model(model: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model, indent=2, ensure_ascii=False, sort_keys=True), encoding="utf-8")


def load_model(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def score(frame: pd.DataFrame, model: dict[str, Any], lower: float, db_api=None) -> pd.DataFrame:
    """Every blocked pair scoring at least ``lower``, with its comparison levels."""
    db_api = db_api or duckdb_api()
    linker = _linker(db_api, frame, model)
    pairs = linker.inference.predict(threshold_match_probability=lower).as_pandas_dataframe()
    return pairs.rename(columns={"unique_id_l": "record_id_l", "unique_id_r": "record_id_r"})


def level_labels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    """comparison name → gamma value → label, for the review queue."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        n = len(levels)
        labels[comparison["output_column_name"]] = {
            n - 1 - i: lv.get("label_for_charts", lv["sql_condition"]) for i, lv in enumerate(levels)
        }
        labels[comparison["output_column_name"]][-1] = "缺失 missing"
    return labels
