"""Linking a sync's staged records into children: score, cluster, name, summarise.

A plain function over frames, called by the Dagster ``linked`` asset and by the
benchmarks alike.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from linkage import golden, prepare
from linkage.cluster import cluster, tied
from linkage.comparisons import IdNumber, Name
from linkage.config import LinkageConfig
from linkage.counted import count_pairs, sync_carers
from linkage.ids import assign_ids
from linkage.prior import sync_prior, with_prior
from linkage.roles import ROLE, child_share, role_weights, weigh_roles
from linkage.sole import sole_candidates
from linkage.splink_model import comparison_levels, level_labels, score, score_new, scoring_backend

# The staged columns link() reads: a city's staged rows hold some seventy columns,
# and reading them all cost gigabytes the linkage never looks at.
STAGED_COLUMNS = list(dict.fromkeys(["record_key", "role", *prepare.STAGED_INPUTS, *golden.STAGED_INPUTS]))


@dataclass(frozen=True)
class Linked:
    records: pd.DataFrame  # record_id, record_key, child_id, match_probability
    children: pd.DataFrame  # golden records (registry.children columns, sync fields unset)
    pairs: pd.DataFrame  # work.pairs
    review: pd.DataFrame  # registry.review_pairs rows for this sync
    refused: pd.DataFrame  # pair_id, reason: reviewers' must-links a hard fact forbade
    lineage: pd.DataFrame  # registry.child_id_lineage rows for this sync
    model: dict[str, Any]  # the model the pairs were scored with: the sync's prior and carers' levels
    common_carers: frozenset[str]  # the sync's common carers' names (prepare.common_carers)
    mode: str  # full / incremental, with the share of new records
    seconds: dict[str, float]  # time per part: prepare, score, cluster, ids, golden


class _Clock:
    """Seconds spent in each part of the linkage, for the sync's metadata and the benchmarks."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def pair_id(key_a: str, key_b: str) -> str:
    """A pair's identity across syncs, whatever the order of its records."""
    return hashlib.sha1("|".join(sorted((key_a, key_b))).encode()).hexdigest()[:16]


def _levels_json(levels: pd.DataFrame, labels: dict[str, dict[int, str]]) -> pd.Series:
    """Each pair's levels as a JSON object, comparison name → level label.

    Built column by column from the few encoded labels: one ``json.dumps`` per pair
    took longer than Splink's scoring on a city.
    """
    parts = [
        f"{json.dumps(name)}: "
        + levels[name]
        .map({k: json.dumps(v, ensure_ascii=False) for k, v in labels[name].items()})
        .fillna("null")
        for name in levels
    ]
    joined = parts[0] if parts else pd.Series("", index=levels.index)
    for part in parts[1:]:
        joined = joined + ", " + part
    return "{" + joined + "}"


PRIOR = "prior"
TF_ADJUSTMENT = "tf_adjustment"


def _weights_json(scored: pd.DataFrame, model: dict[str, Any]) -> pd.Series:
    """Each pair's match weight split by comparison, as a JSON object that sums to
    its match weight: ``prior`` (log2 of the prior odds), then each comparison's
    weight (Splink's ``mw_<comparison>``) with its term-frequency adjustment, then
    ``relationship`` (``linkage.roles``) where a side is an undated roster row.

    The adjustment is ``mw_tf_adj_<comparison>`` where the predictions carry it;
    otherwise it is what the match weight holds beyond the prior and the comparisons'
    weights (Splink's match weight is exactly their sum), given to the one comparison
    with term-frequency levels, or kept as ``TF_ADJUSTMENT`` when several have them.
    Built column by column, as ``_levels_json``.
    """
    prior = model["probability_two_random_records_match"]
    parts = {PRIOR: pd.Series(math.log2(prior / (1 - prior)), index=scored.index)}
    adjusted = []
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        parts[name] = pd.to_numeric(scored[f"mw_{name}"]).astype("float64")
        if f"mw_tf_adj_{name}" in scored:
            parts[name] += pd.to_numeric(scored[f"mw_tf_adj_{name}"]).fillna(0.0)
        elif any(level.get("tf_adjustment_column") for level in comparison["comparison_levels"]):
            adjusted.append(name)
    if f"mw_{ROLE}" in scored:
        parts[ROLE] = scored[f"mw_{ROLE}"].astype("float64")
    if adjusted:
        rest = pd.to_numeric(scored["match_weight"]).astype("float64") - sum(parts.values())
        if len(adjusted) == 1:
            parts[adjusted[0]] += rest
        else:
            parts[TF_ADJUSTMENT] = rest
    joined = None
    for name, weight in parts.items():
        part = f"{json.dumps(name)}: " + weight.round(4).astype(str)
        joined = part if joined is None else joined + ", " + part
    return "{" + joined + "}"


def _decided_links(
    decisions: pd.DataFrame, key_to_record: dict[str, str]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[tuple[str, str], str]]:
    """Reviewers' decisions between records of this sync as must / cannot links, and
    the pair id of each must-link (to send a refused one back to review)."""
    must, cannot, must_pair = [], [], {}
    for pid, a, b, decision in zip(
        decisions["pair_id"],
        decisions["record_key_l"],
        decisions["record_key_r"],
        decisions["decision"],
        strict=True,
    ):
        if a in key_to_record and b in key_to_record:
            link_ = (key_to_record[a], key_to_record[b])
            if decision == "same":
                must.append(link_)
                must_pair[link_] = pid
            else:
                cannot.append(link_)
    return must, cannot, must_pair


# Name levels that say "the same name, spelt alike" (missing, exact, same pinyin,
# same Sichuan-folded pinyin), and the level of the same identity number, as positions.
SAME_SOUNDING_NAME = tuple(Name().position(key) for key in Name.SOUNDS_SAME)
SAME_NUMBER = IdNumber().position(IdNumber.SAME)


def _mergeable(levels: pd.DataFrame) -> pd.Series:
    """Pairs the model may merge on its own.

    Two records whose names do not sound the same are merged only on the same
    identity number. Twins agree on everything else — birthday, parents, village —
    and often share a generation character (李明轩 / 李明哲), and those agreements
    are not independent evidence, so the model's sum would overrate them; such
    pairs go to clerical review instead.
    """
    sounds_same = levels["name"].isin(SAME_SOUNDING_NAME)
    same_number = levels["id_number"] == SAME_NUMBER
    return sounds_same | same_number


# Why a pair is asked, most pressing first: the queue is ranked by its first reason.
# held_alert is set after linkage, by the rules that hold an alert back on a near-miss.
REASONS = (
    "held_alert",
    "must_link_refused",
    "conflicting_numbers",
    "tied",
    "sole_candidate",
    "twin_guard",
    "below_threshold",
)
QUEUE_COLUMNS = [
    "pair_id",
    "record_key_l",
    "record_key_r",
    "record_id_l",
    "record_id_r",
    "match_probability",
    "match_weight",
    "levels",
    "weights",
    "reason",
    "reason_detail",
    "holds_alert",
    "rank",
    "decision",
]


def _reasons(pairs: pd.DataFrame, numbers: pd.Series, config: LinkageConfig) -> pd.Series:
    """Why each pair belongs in review, comma-joined in the order of ``REASONS``; empty
    when it does not. ``numbers``: record_id → valid identity number."""
    strong = pairs["match_probability"] >= config.match_threshold
    sole = pairs["sole"].astype(bool)
    left, right = pairs["record_id_l"].map(numbers), pairs["record_id_r"].map(numbers)
    flags = {
        # A strong pair the clustering refuses: one of the two numbers may be mistyped.
        "conflicting_numbers": strong & left.notna() & right.notna() & (left != right),
        # A strong pair of a row that ties two children (``linkage.cluster.tied``).
        "tied": strong & pairs["tied"].astype(bool) & ~sole,
        # Joined below the threshold: the roster row's one candidate (``linkage.sole``).
        "sole_candidate": sole,
        "twin_guard": strong & ~pairs["automatic"].astype(bool),
        "below_threshold": ~strong & ~sole,
    }
    reason = pd.Series("", index=pairs.index)
    for code, flag in flags.items():
        reason = reason.where(~flag, reason + "," + code)
    return reason.str.lstrip(",")


def _refused_rows(
    refused: list[tuple[str, str, str]],
    must_pair: dict[tuple[str, str], str],
    pairs: pd.DataFrame,
    keys: dict[str, str],
) -> pd.DataFrame:
    """Review rows for must-links a hard fact refused, with the pair's scores where
    the pair was scored (a pair below the lower bound has none)."""
    rows = pd.DataFrame(
        [(must_pair[(a, b)], a, b, why) for a, b, why in refused],
        columns=["pair_id", "record_id_l", "record_id_r", "reason_detail"],
    )
    if rows.empty:
        return rows.assign(reason=None)
    involved = set(rows["record_id_l"]) | set(rows["record_id_r"])
    pairs = pairs.loc[pairs["record_id_l"].isin(involved) & pairs["record_id_r"].isin(involved)]
    scored = pairs.assign(
        pair_id=[pair_id(a, b) for a, b in zip(pairs["record_key_l"], pairs["record_key_r"], strict=True)]
    ).drop(columns=["record_id_l", "record_id_r", "reason"], errors="ignore")
    rows = rows.merge(scored.drop_duplicates("pair_id"), on="pair_id", how="left")
    rows["record_key_l"], rows["record_key_r"] = rows["record_id_l"].map(keys), rows["record_id_r"].map(keys)
    return rows.assign(reason="must_link_refused")


def _review_queue(
    pairs: pd.DataFrame,
    numbers: pd.Series,
    decided: set[str],
    refused: pd.DataFrame,
    config: LinkageConfig,
) -> pd.DataFrame:
    """The pairs a reviewer is asked about, ranked: first by their most pressing
    reason, then most uncertain first (the reviewer's time goes where the model
    knows least). A pair already decided is not asked again, unless a hard fact
    refused the reviewer's must-link."""
    reason = _reasons(pairs, numbers, config)
    band = pairs.loc[reason != ""].assign(reason=reason[reason != ""])
    band["pair_id"] = [pair_id(a, b) for a, b in zip(band["record_key_l"], band["record_key_r"], strict=True)]
    band = band.loc[~band["pair_id"].isin(decided | set(refused["pair_id"]))]
    band = pd.concat([refused, band], ignore_index=True) if len(refused) else band
    first = band["reason"].str.split(",").str[0].map({r: i for i, r in enumerate(REASONS)})
    uncertainty = (pd.to_numeric(band["match_probability"]) - 0.5).abs().fillna(0.0)
    band = (
        band.assign(_first=first, _uncertainty=uncertainty)
        .sort_values(["_first", "_uncertainty", "pair_id"])
        .head(config.review_max_pairs)
    )
    band = band.assign(holds_alert=None, rank=range(1, len(band) + 1), decision=None)
    return band.reindex(columns=QUEUE_COLUMNS).reset_index(drop=True)


PAIR_COLUMNS = [
    "record_id_l",
    "record_id_r",
    "match_probability",
    "match_weight",
    "levels",
    "weights",
    "automatic",
]


def _score_pairs(
    frame: pd.DataFrame, model: dict[str, Any], config: LinkageConfig, db_api, roles: pd.Series
) -> pd.DataFrame:
    scored = score(frame, model, lower=config.review_lower, db_api=db_api)
    return _with_levels(scored, model, roles, config.review_lower)


def _with_levels(scored: pd.DataFrame, model: dict[str, Any], roles: pd.Series, lower: float) -> pd.DataFrame:
    """Splink's pairs with the relationship term (``linkage.roles``), each comparison's
    level and the weights that sum to the match weight."""
    scored = weigh_roles(scored, roles, lower)
    levels, labels = comparison_levels(scored, model), level_labels(model)
    return scored.assign(
        levels=_levels_json(levels, labels),
        weights=_weights_json(scored, model),
        automatic=_mergeable(levels),
    )[PAIR_COLUMNS]


def _incremental_pairs(
    frame: pd.DataFrame,
    keys: pd.Series,
    previous_pairs: pd.DataFrame,
    is_new: pd.Series,
    model: dict[str, Any],
    config: LinkageConfig,
    db_api,
    roles: pd.Series,
) -> pd.DataFrame:
    """Last sync's pairs between records still present, plus new records scored
    against all: the pairs a full run would score, for a fraction of the work."""
    record_of = dict(zip(keys, frame["unique_id"], strict=True))
    kept = previous_pairs.loc[
        previous_pairs["record_key_l"].isin(record_of) & previous_pairs["record_key_r"].isin(record_of)
    ]
    kept = kept.assign(
        record_id_l=kept["record_key_l"].map(record_of), record_id_r=kept["record_key_r"].map(record_of)
    )
    fresh = score_new(frame.loc[~is_new], frame.loc[is_new], model, lower=config.review_lower, db_api=db_api)
    parts = [kept[PAIR_COLUMNS], _with_levels(fresh, model, roles, config.review_lower)]
    return pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)


def _as_synced(model: dict[str, Any], frame: pd.DataFrame, config: LinkageConfig) -> dict[str, Any]:
    """The trained model with what this sync counts on its own records: the prior
    (``linkage.prior``) and the carers' levels (``counted.sync_carers``)."""
    prior = sync_prior(frame["id_valid"], config.training["prior_recall"])
    model = model if prior is None else with_prior(model, prior)
    return sync_carers(model, count_pairs(frame), config.carers["pseudo_pairs"])


def link(
    load_staged: Callable[[], pd.DataFrame],
    model: dict[str, Any],
    config: LinkageConfig,
    previous: pd.DataFrame,
    decisions: pd.DataFrame,
    known_ids: set[str],
    as_of: date,
    db_api=None,
    previous_pairs: pd.DataFrame | None = None,
) -> Linked:
    """Link the staged records whose role may be a child's.

    ``load_staged`` returns the staged rows (``STAGED_COLUMNS``); they are loaded here so
    that linkage can let go of the columns it has used before scoring.

    ``as_of``: the sync's date, which a school grade is read at
    (``prepare.school_birth_window``). ``previous``: record_key → child_id of the last
    published sync; ``decisions``: reviewed pairs (record_key_l, record_key_r, decision)
    applied as must/cannot links; ``previous_pairs``: the last sync's scored pairs (with
    record keys), scored by this model (``pipelines.steps.linking``). When the share
    of records the last sync did not hold is at most ``incremental_max_share``, only
    pairs involving them are scored and the rest are taken from ``previous_pairs``;
    clustering and ids then run over everything, as in a full run.
    """
    clock = _Clock()
    staged = load_staged()
    candidates = staged.loc[staged["role"].isin(config.roles_linked)].reset_index(drop=True)
    frame = prepare.linkage_frame(candidates, as_of, everyone=staged)
    roles = role_weights(candidates, child_share(staged))
    model = _as_synced(model, frame, config)
    common = prepare.common_carers(frame)
    # From here on only what clustering and golden records read: at a million children
    # every column held through scoring is a gigabyte.
    del staged
    candidates = candidates[
        list(dict.fromkeys(["record_id", "record_key", "role", "household_id", *golden.STAGED_INPUTS]))
    ]
    clock.lap("prepare")
    is_new = ~candidates["record_key"].isin(set(previous["record_key"]))
    incremental = (
        previous_pairs is not None
        and len(previous_pairs) > 0
        and len(previous) > 0
        and is_new.mean() <= config.incremental_max_share
    )
    with scoring_backend(db_api, config.duckdb_memory_limit) as backend:
        if incremental:
            pairs = _incremental_pairs(
                frame, candidates["record_key"], previous_pairs, is_new, model, config, backend, roles
            )
        else:
            pairs = _score_pairs(frame, model, config, backend, roles)
    del frame
    mode = f"{'incremental' if incremental else 'full'} ({is_new.mean():.1%} new records)"
    clock.lap("score")

    keys = dict(zip(candidates["record_id"], candidates["record_key"], strict=True))
    pairs = pairs.assign(
        record_key_l=pairs["record_id_l"].map(keys), record_key_r=pairs["record_id_r"].map(keys)
    )
    key_to_record = {k: r for r, k in keys.items()}
    must, cannot, must_pair = _decided_links(decisions, key_to_record)
    refused_links: list[tuple[str, str, str]] = []
    facts = candidates[["record_id", "id_number", "birth_date"]]
    pairs = pairs.assign(tied=tied(facts, pairs, config.match_threshold, config.tie_margin_bits))
    sole = False
    if config.sole_candidates:
        # A first pass without them says which roster rows joined no child.
        alone = cluster(
            facts, pairs.loc[pairs["automatic"] & ~pairs["tied"]], config.match_threshold, must, cannot
        )
        sole = sole_candidates(candidates, pairs, alone)
    pairs = pairs.assign(sole=sole)
    clusters = cluster(
        facts,
        pairs.loc[pairs["automatic"] & (~pairs["tied"] | pairs["sole"])],
        config.match_threshold,
        must,
        cannot,
        refused=refused_links,
    )
    refused = _refused_rows(refused_links, must_pair, pairs, keys)
    numbers = candidates.set_index("record_id")["id_number"].dropna()

    clock.lap("cluster")
    # An undetermined roster row that joined no child's record is not a child.
    clusters = clusters.merge(candidates[["record_id", "record_key", "role"]], on="record_id")
    has_child = clusters["role"].eq("child").groupby(clusters["cluster_id"]).transform("max")
    clusters = clusters.loc[has_child].drop(columns="role")

    ids = assign_ids(clusters[["record_id", "record_key", "cluster_id"]], previous, known_ids)
    records = ids.records.merge(clusters[["record_id", "match_probability"]], on="record_id")
    clock.lap("ids")
    child_rows = candidates[["record_id", *golden.STAGED_INPUTS]].merge(
        records[["record_id", "child_id"]], on="record_id"
    )
    children = golden.golden_records(child_rows)
    clock.lap("golden")
    return Linked(
        records=records[["record_id", "record_key", "child_id", "match_probability"]],
        children=children,
        pairs=pairs.drop(columns=["tied", "sole"]),
        review=_review_queue(
            pairs, numbers, set(decisions.get("pair_id", pd.Series(dtype=str))), refused, config
        ),
        refused=refused[["pair_id", "reason_detail"]],
        lineage=ids.lineage,
        model=model,
        common_carers=common,
        mode=mode,
        seconds=clock.laps,
    )
