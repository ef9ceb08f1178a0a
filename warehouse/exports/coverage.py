"""What the coverage report counts, computed from the registry's frames.

Every function here returns counts only (frames of integers indexed by a place,
category, source or alert label); nothing personal leaves this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from warehouse.exports import access
from warehouse.exports.config import settings
from warehouse.exports.display import county_labels
from warehouse.exports.staff import townships_without_staff, villages_without_supervisor
from warehouse.exports.texts import AlertText


@dataclass(frozen=True)
class CoverageInputs:
    """Everything the coverage report is made from. Frames may carry more columns than named.

    - ``children``: registry.children — child_id, county_code, township, village, n_records.
    - ``categories``: registry.child_categories — child_id, category, basis.
    - ``entitlements``: registry.entitlements — child_id, benefit, received_amount
      (a child "receives" a benefit when received_amount > 0).
    - ``alerts``: registry.gap_alerts, every status — alert, status, first_raised,
      resolved_sync, restricted.
    - ``child_records``: registry.child_records — child_id, source_system.
    - ``source_counts``: this sync's syncs.sources JSON: source system ->
      {files, rows_read, rows_staged, rows_quarantined, ...}; ``files`` a count or a list.
    - ``id_status``: source_system, id_status, rows — staged rows per identity-number
      status (``SELECT source_system, id_status, count(*) AS rows FROM
      work.staged_records GROUP BY ALL``).
    - ``expectations``: one row per Great Expectations result — suite, expectation,
      success, observed (GX's observed_value; shown only when it is a number).
    - ``review_queue``: uncertain pairs awaiting a decision.
    - ``texts``: alert code -> AlertText, for the alerts' titles.
    - ``benefit_names``: benefit code -> 中文 (a code without one is shown as is).
    - ``staff``: the staged staff roster (see warehouse.exports.staff), or None.
    """

    as_of: date
    sync_id: int
    children: pd.DataFrame
    categories: pd.DataFrame
    entitlements: pd.DataFrame
    alerts: pd.DataFrame
    child_records: pd.DataFrame
    source_counts: Mapping[str, Mapping[str, Any]]
    id_status: pd.DataFrame
    expectations: pd.DataFrame
    review_queue: int
    texts: Mapping[str, AlertText]
    benefit_names: Mapping[str, str] = field(default_factory=dict)
    staff: pd.DataFrame | None = None


_KINDS = ("entitled", "receiving")  # per benefit: children due it, children receiving it


def _county_order(labels: pd.Series) -> list[str]:
    """Configured counties first (all of them, zeros are news), then any other label seen."""
    known = list(settings()["counties"].values())
    return known + sorted(set(labels.dropna()) - set(known))


def _with_county(inputs: CoverageInputs, frame: pd.DataFrame) -> pd.DataFrame:
    county = inputs.children.set_index("child_id")["county_code"]
    labels = county_labels(frame["child_id"].map(county))
    return frame.assign(county=labels.fillna(settings()["report"]["unknown_county"]))


def category_tables(inputs: CoverageInputs) -> dict[str, pd.DataFrame]:
    """Per category: rows = counties then the city total; columns found, registered, and per
    benefit ``entitled:<b>`` / ``receiving:<b>`` (children, not payments)."""
    cats = _with_county(inputs, inputs.categories[["child_id", "category", "basis"]])
    ent = inputs.entitlements[["child_id", "benefit", "received_amount"]].merge(
        cats.drop_duplicates(["child_id", "category"])[["child_id", "category", "county"]], on="child_id"
    )
    ent = ent.assign(receiving=ent["received_amount"].fillna(0) > 0)
    counted = {
        "found": cats,
        "registered": cats[cats["basis"] == "registered"],
    }
    parts = [
        frame.groupby(["category", "county"])["child_id"].nunique().rename(name)
        for name, frame in counted.items()
    ]
    for name, frame in zip(_KINDS, (ent, ent[ent["receiving"]]), strict=True):
        by = frame.groupby(["category", "benefit", "county"])["child_id"].nunique().unstack("benefit")
        parts.append(by.add_prefix(f"{name}:"))
    table = pd.concat(parts, axis=1).fillna(0).astype(int) if len(cats) else pd.DataFrame()
    total = settings()["report"]["total_row"]
    out = {}
    for category in settings()["categories"]:
        if category not in table.index.get_level_values(0):
            continue
        rows = table.loc[category].reindex(_county_order(cats["county"]), fill_value=0)
        due = [c.partition(":")[2] for c in rows.columns if c.startswith("entitled:") and rows[c].any()]
        rows = rows.reindex(
            columns=["found", "registered", *(f"{k}:{b}" for b in due for k in _KINDS)], fill_value=0
        )
        rows.loc[total] = rows.sum()
        out[category] = rows
    return out


def alert_changes(inputs: CoverageInputs) -> tuple[pd.DataFrame, pd.Series]:
    """Per alert code: raised in this sync, resolved in it, still open from before; and which
    rows are sensitive (the code can be restricted, or some row of it is)."""
    a = inputs.alerts
    s = inputs.sync_id
    flags = pd.DataFrame(
        {
            "alert": a["alert"],
            "raised": a["first_raised"] == s,
            "resolved": (a["status"] == "resolved") & (a["resolved_sync"] == s),
            "still_open": (a["status"] == "open") & (a["first_raised"] < s),
        }
    )
    counts = flags.groupby("alert")[["raised", "resolved", "still_open"]].sum()
    order = [c for c in inputs.texts if c in counts.index] + sorted(set(counts.index) - set(inputs.texts))
    counts = counts.reindex(order)
    restricted_rows = a.loc[a["restricted"].astype("boolean").fillna(True).astype(bool), "alert"]
    sensitive = access.restricted_capable(counts.index.to_series()) | counts.index.isin(restricted_rows)
    titles = [
        inputs.texts[c].public_title or inputs.texts[c].title if c in inputs.texts else c for c in order
    ]
    counts.index = titles
    return counts.astype(int), pd.Series(sensitive.to_numpy(), index=counts.index)


def _alert_title(texts: Mapping[str, AlertText], code: str) -> str:
    """The title anyone may read: the report is not limited to health and civil affairs."""
    text = texts.get(code)
    return code if text is None else text.public_title or text.title


def _source_order(sources: list[str]) -> list[str]:
    known = [s for s in settings()["sources"] if s in sources]
    return known + sorted(set(sources) - set(known))


def _source_label(code: str) -> str:
    return settings()["sources"].get(code, code)


def _sensitive_sources(codes: pd.Index) -> pd.Series:
    return pd.Series(codes.isin(settings()["access"]["restricted_sources"]), index=codes)


def source_quality(inputs: CoverageInputs) -> tuple[pd.DataFrame, pd.Series]:
    """Per source: files, rows read / staged / quarantined, valid identity numbers and staged rows."""
    rows = {}
    for source, c in inputs.source_counts.items():
        files = c.get("files", 0)
        rows[source] = {
            "files": len(files) if isinstance(files, list | tuple) else int(files or 0),
            **{k: int(c.get(k) or 0) for k in ("rows_read", "rows_staged", "rows_quarantined")},
        }
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=["files", "rows_read", "rows_staged", "rows_quarantined"]
    )
    ids = inputs.id_status.groupby("source_system")["rows"].sum().rename("id_rows")
    valid = inputs.id_status[inputs.id_status["id_status"] == "valid"].groupby("source_system")["rows"].sum()
    table = table.join(ids, how="outer").join(valid.rename("id_valid"), how="outer").fillna(0).astype(int)
    table = table.reindex(_source_order(list(table.index)))
    return table, _sensitive_sources(table.index)


def id_status_table(inputs: CoverageInputs) -> tuple[pd.DataFrame, pd.Series]:
    """Staged rows per source × identity-number status."""
    table = inputs.id_status.pivot_table(
        index="source_system", columns="id_status", values="rows", aggfunc="sum", fill_value=0
    )
    table = table.reindex(_source_order(list(table.index))).astype(int)
    return table, _sensitive_sources(table.index)


def records_per_child(inputs: CoverageInputs) -> pd.Series:
    """Children by number of linked staged rows: 1, 2, … and the top bin 'n and more'."""
    top = settings()["report"]["records_top_bin"]
    n = inputs.child_records.groupby("child_id").size()
    binned = n.clip(upper=top).value_counts().reindex(range(1, top + 1), fill_value=0)
    binned.index = [str(i) for i in range(1, top)] + [f"≥{top}"]
    return binned


def links_by_source_pair(inputs: CoverageInputs) -> tuple[pd.DataFrame, pd.Series]:
    """Children linking two sources (source_a < source_b), and children with several rows in
    one source (source_a = source_b: duplicates the linkage merged)."""
    rec = inputs.child_records[["child_id", "source_system"]]
    per_source = rec.groupby(["child_id", "source_system"]).size().rename("n").reset_index()
    pairs = per_source.merge(per_source, on="child_id", suffixes=("_a", "_b"))
    across = pairs["source_system_a"] < pairs["source_system_b"]
    within = (pairs["source_system_a"] == pairs["source_system_b"]) & (pairs["n_a"] > 1)
    kept = pairs[across | within]
    table = kept.groupby(["source_system_a", "source_system_b"])["child_id"].nunique().rename("children")
    table = table.sort_values(ascending=False).reset_index()
    restricted = settings()["access"]["restricted_sources"]
    sensitive = table["source_system_a"].isin(restricted) | table["source_system_b"].isin(restricted)
    for col in ("source_system_a", "source_system_b"):
        table[col] = table[col].map(_source_label)
    return table, sensitive


def unstaffed_places(inputs: CoverageInputs) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Townships without any children's staff, and villages with distressed or left-behind
    children but no 儿童督导员; None when no roster was supplied."""
    if inputs.staff is None:
        return None
    children = inputs.children
    townships = townships_without_staff(children, inputs.staff)
    cared = inputs.categories[inputs.categories["category"].isin(["distressed", "left_behind"])]
    places = children[children["child_id"].isin(cared["child_id"])]
    villages = villages_without_supervisor(places, inputs.staff)
    return townships, villages
