"""Training and scoring with Splink 5: the only module that talks to Splink.

The backend is chosen by the caller (``DuckDBAPI`` on its own working database by
default, ``SparkAPI`` for a province); the model file is the same for both.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from splink import Linker, SettingsCreator, block_on

from linkage.comparisons import (
    ModelComparison,
    comparison_named,
    comparisons,
    prediction_blocking_rules,
    training_blocking_rules,
)
from linkage.config import LinkageConfig
from warehouse.permissions import spill_folder

log = logging.getLogger(__name__)


def duckdb_api(memory_limit: str | None = None):
    """A DuckDB backend on its own in-memory database: a long Splink writer on the
    warehouse file would starve other writers (stack.md)."""
    import duckdb
    from splink import DuckDBAPI

    con = duckdb.connect()
    if memory_limit:
        # Beyond the limit DuckDB spills; by default into ./.tmp of whatever folder
        # the sync was started from: into the warehouse's own 0700 spill folder instead.
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{spill_folder()}'")
    return DuckDBAPI(connection=con)


@contextmanager
def scoring_backend(db_api=None, memory_limit: str | None = None) -> Iterator:
    """The caller's Splink backend, or a DuckDB one closed on exit: its tables of
    blocked pairs hold gigabytes a city's clustering and golden records need."""
    if db_api is not None:
        yield db_api
        return
    own = duckdb_api(memory_limit=memory_limit)
    try:
        yield own
    finally:
        own.duckdb_con.close()


def settings() -> SettingsCreator:
    """The untrained model: comparisons and blocking rules, no parameters.

    Predictions keep each comparison's level (``gamma_*``: Splink 5 writes it only
    with ``retain_matching_columns``) and its weight (``mw_*``, an intermediate
    column); ``_scored_frame`` reads just those out of the predictions table.
    """
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=prediction_blocking_rules(),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )


def _linker(db_api, frame: pd.DataFrame, model: SettingsCreator | dict[str, Any]) -> Linker:
    sdf = db_api.register(frame, dataset_display_name="records")
    return Linker(sdf, model, log_level=logging.WARNING)


def train(
    frame: pd.DataFrame,
    config: LinkageConfig,
    counted: dict[str, dict[str, tuple[float, float]]],
    db_api=None,
) -> dict[str, Any]:
    """Estimate the model's parameters from unlabelled records (no truth is used).

    λ from deterministic rules, u by seeded random sampling, m by EM sessions that
    each block on one field so the others can be estimated; every step is capped by
    ``max_pairs`` so memory stays bounded (stack.md: uncapped EM reached 18 GB).
    ``counted``: comparison → level key → (m, u) of the levels counted on the records
    rather than estimated (``counted.counted_levels``: a school grade's window, which no
    EM session sees, and the village); they replace EM's.
    """
    db_api = db_api or duckdb_api(memory_limit=config.duckdb_memory_limit)
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
    model = linker.misc.save_model_to_json()
    for name, levels in counted.items():
        set_counted_levels(model, comparison_named(name), levels)
    model = floor_probabilities(model, training["probability_floor"])
    check_floor_levels(model, training["probability_floor"])
    return model


def set_counted_levels(
    model: dict[str, Any], comparison: ModelComparison, counted: dict[str, tuple[float, float]]
) -> None:
    """The levels of ``counted`` (key → m, u) get theirs, the one other scored level
    what is left of each; NaN (nothing to count on) leaves training's values."""
    if any(np.isnan(v) for pair in counted.values() for v in pair):
        return
    levels = scored_levels(model, comparison)
    at = {comparison.position(key): pair for key, pair in counted.items()}
    rest = tuple(1 - sum(pair[i] for pair in counted.values()) for i in (0, 1))
    for i, level in enumerate(levels):
        level["m_probability"], level["u_probability"] = at.get(i, rest)


def scored_levels(model: dict[str, Any], comparison: ModelComparison) -> list[dict[str, Any]]:
    """The model file's non-null levels of ``comparison``, in the order of
    ``ModelComparison.position``."""
    ours = next(c for c in model["comparisons"] if c["output_column_name"] == comparison.output_column_name)
    return [lv for lv in ours["comparison_levels"] if not lv.get("is_null_level")]


def floor_probabilities(model: dict[str, Any], floor: float) -> dict[str, Any]:
    """Give every level an m and u of at least ``floor``, then renormalise.

    EM on a few thousand blocked pairs never sees some levels among true matches
    (a mistyped sex, a child recorded in another county); left at m = 0 such a level
    weighs −50 and one typo would split a child. Levels EM could not estimate at all
    get the floor too, so every weight is finite and a reader of the model sees why.
    """
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for key in ("m_probability", "u_probability"):
            values = [max(lv.get(key) or 0.0, floor) for lv in levels]
            total = sum(values)
            for level, value in zip(levels, values, strict=True):
                level[key] = value / total
    return model


@dataclass(frozen=True)
class FloorLevel:
    """A level whose m training left at the probability floor: its weight is the
    floor's choice, not the records'. ``dead`` when u is at the floor too: the level
    then weighs 0 and carries no evidence either way."""

    comparison: str
    level: str  # the level's key in linkage.comparisons
    label: str
    dead: bool
    reason: str | None  # the comparison object's floor_reason for it


def floor_levels(model: dict[str, Any], floor: float) -> list[FloorLevel]:
    """Levels of a trained (floored) model whose m sits at ``floor``.

    After ``floor_probabilities`` a level EM gave at most ``floor`` holds at most
    ``floor`` (renormalising only lowers it). A u at the floor alone is not listed:
    an agreement random pairs almost never reach (the same identity number) is the
    point of such a level, and its weight still comes from its m.
    """
    ours = {c.output_column_name: c for c in comparisons()}
    out = []
    for comparison in model["comparisons"]:
        creator = ours[comparison["output_column_name"]]
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level, spec in zip(levels, creator.scored_levels(), strict=True):
            if (level.get("m_probability") or 0.0) > floor:
                continue
            out.append(
                FloorLevel(
                    comparison=creator.output_column_name,
                    level=spec.key,
                    label=level.get("label_for_charts", spec.label),
                    dead=(level.get("u_probability") or 0.0) <= floor,
                    reason=spec.floor_reason,
                )
            )
    return out


def check_floor_levels(model: dict[str, Any], floor: float) -> list[FloorLevel]:
    """The model's levels at the floor; raises when one has no stated reason.

    A level meant to carry evidence that training left at the floor is either a
    fault (a condition no pair meets, a prepare column gone wrong) or a fact of the
    training records, and then ``linkage.comparisons`` says which.
    """
    found = floor_levels(model, floor)
    for level in found:
        log.info(
            "level %s.%s at the probability floor%s: %s",
            level.comparison,
            level.level,
            " (m and u: weighs 0)" if level.dead else "",
            level.reason,
        )
    unexplained = [f"{lv.comparison}.{lv.level} ({lv.label})" for lv in found if not lv.reason]
    if unexplained:
        raise ValueError(
            "training left these levels at the probability floor with no reason stated in "
            f"linkage.comparisons: {', '.join(unexplained)}"
        )
    return found


def model_fingerprint(model: dict[str, Any]) -> str:
    """A short hash of the model's content: pairs a sync keeps from the last one must
    have been scored by the same model (a retrained or upgraded one rescores them)."""
    return hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()[:16]


def save_model(model: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model, indent=2, ensure_ascii=False, sort_keys=True), encoding="utf-8")


def load_model(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def check_model(model: dict[str, Any]) -> None:
    """Refuse a model file whose comparisons are not this code's: level by level, the
    SQL in the file's dialect must be what ``linkage.comparisons`` renders, so that
    the levels code reads by key (``Name.SAME_PINYIN``) and the constants clustering
    shares (``BirthDate.lunar_window_days``) are the file's."""
    if not (model.get("retain_matching_columns") and model.get("retain_intermediate_calculation_columns")):
        raise ValueError(
            "model keeps no gamma_* or mw_* columns in its predictions: retrain (see settings())"
        )
    source = model.get("sql_dialect", "duckdb")
    ours = {c.output_column_name: c for c in comparisons()}
    theirs = [c["output_column_name"] for c in model["comparisons"]]
    if sorted(theirs) != sorted(ours):
        raise ValueError(f"model compares {theirs}, linkage.comparisons {sorted(ours)}: retrain")
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        was = ours[name].create_comparison_dict(source)["comparison_levels"]
        if [lv["sql_condition"] for lv in was] != [
            lv["sql_condition"] for lv in comparison["comparison_levels"]
        ]:
            raise ValueError(f"model comparison {name!r} was not trained from linkage.comparisons: retrain")


def for_dialect(model: dict[str, Any], dialect: str) -> dict[str, Any]:
    """The model with its comparison SQL written for the backend ``dialect``.

    A saved model holds each level's SQL in the dialect it was trained on, and Splink
    runs that text verbatim on another backend: on Spark DuckDB's ``"col_l"`` is a
    string literal and ``len(list)`` a string length. So the SQL is rendered again from
    ``linkage.comparisons`` for the backend, once the file's SQL is checked to be this
    code's rendering in the file's own dialect (``check_model``, on every backend);
    the parameters stay the file's. Blocking rules carry their dialect and Splink
    translates them itself.
    """
    check_model(model)
    if dialect == model.get("sql_dialect", "duckdb"):
        return model
    ours = {c.output_column_name: c for c in comparisons()}
    out = copy.deepcopy(model)
    for comparison in out["comparisons"]:
        rendered = ours[comparison["output_column_name"]].create_comparison_dict(dialect)["comparison_levels"]
        for level, new in zip(comparison["comparison_levels"], rendered, strict=True):
            level["sql_condition"] = new["sql_condition"]
    out["sql_dialect"] = dialect
    return out


def _scored_frame(linker: Linker, predictions, model: dict[str, Any]) -> pd.DataFrame:
    """The columns of Splink's predictions that linkage reads, as a pandas frame: per
    comparison its level (``gamma_*``) and its match weight (``mw_*``, with
    ``mw_tf_adj_*`` for term-frequency levels; prior + these = ``match_weight``), for
    the review workbook and explanations.

    Splink keeps every intermediate column (Bayes factors, term-frequency columns);
    at a million children carrying them into pandas cost gigabytes.
    """
    names = [c["output_column_name"] for c in model["comparisons"]]
    adjusted = [
        c["output_column_name"]
        for c in model["comparisons"]
        if any(lv.get("tf_adjustment_column") for lv in c["comparison_levels"])
    ]
    columns = ", ".join(
        [*(f"gamma_{n}" for n in names), *(f"mw_{n}" for n in names), *(f"mw_tf_adj_{n}" for n in adjusted)]
    )
    return linker.misc.query_sql(
        "SELECT unique_id_l AS record_id_l, unique_id_r AS record_id_r, match_probability, "
        f"match_weight, {columns} FROM {predictions.physical_name}",
        output_type="pandas",
    )


def score(frame: pd.DataFrame, model: dict[str, Any], lower: float, db_api) -> pd.DataFrame:
    """Every blocked pair scoring at least ``lower``, with its comparison levels
    (``db_api``: see ``scoring_backend``)."""
    linker = _linker(db_api, frame, for_dialect(model, db_api.sql_dialect.sql_dialect_str))
    return _scored_frame(linker, linker.inference.predict(threshold_match_probability=lower), model)


def comparison_levels(scored: pd.DataFrame, model: dict[str, Any]) -> pd.DataFrame:
    """Per scored pair and comparison, the level it fell in: 0 = the most specific
    level, -1 = a value missing (``ModelComparison.position``).

    Read from the ``gamma_*`` column Splink writes for each comparison (-1 for the
    null level, then counting down to 0 for the last level), not inferred from weights.
    """
    levels = {}
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        n = sum(1 for lv in comparison["comparison_levels"] if not lv.get("is_null_level"))
        gamma = scored[f"gamma_{name}"].to_numpy(dtype=np.int64)
        if ((gamma < -1) | (gamma >= n)).any():
            raise ValueError(f"gamma_{name} outside -1..{n - 1}: the model is not the one scored")
        levels[name] = np.where(gamma == -1, -1, n - 1 - gamma)
    return pd.DataFrame(levels, index=scored.index)


def level_labels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    """comparison → level position → label, for the review queue."""
    out = {}
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        out[comparison["output_column_name"]] = {
            -1: "缺失 missing",
            **{i: lv.get("label_for_charts", lv["sql_condition"]) for i, lv in enumerate(levels)},
        }
    return out


def tf_columns(model: dict[str, Any]) -> list[str]:
    """The columns whose term frequencies the model's levels adjust by."""
    return sorted(
        {
            level["tf_adjustment_column"]
            for comparison in model["comparisons"]
            for level in comparison["comparison_levels"]
            if level.get("tf_adjustment_column")
        }
    )


def score_new(
    existing: pd.DataFrame, new: pd.DataFrame, model: dict[str, Any], lower: float, db_api
) -> pd.DataFrame:
    """Pairs that involve a new record: new × existing and new × new.

    Term frequencies are computed on all records, as a full run computes them, so a
    pair scores the same whichever way it was found.
    """
    model = for_dialect(model, db_api.sql_dialect.sql_dialect_str)
    linker = _linker(db_api, pd.concat([existing, new], ignore_index=True), model)
    for column in tf_columns(model):
        linker.table_management.compute_tf_table(column)
    old_sdf = db_api.register(existing, dataset_display_name="existing_records")
    new_sdf = db_api.register(new, dataset_display_name="new_records")
    frames = [
        _scored_frame(linker, predictions, model)
        for predictions in (
            linker.inference.predict_between(old_sdf, new_sdf, threshold_match_probability=lower),
            linker.inference.predict_within(new_sdf, threshold_match_probability=lower),
        )
    ]
    return (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else frames[0]
    )
