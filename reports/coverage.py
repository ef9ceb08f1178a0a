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

from reports import access
from reports.config import settings
from reports.display import county_labels
from reports.staff import townships_without_staff, villages_without_supervisor
from reports.texts import AlertText


@dataclass(frozen=True)
class CoverageInputs:
    """Everything the coverage report is made from. Frames may carry more columns than named.

    - ``children``: registry.children — child_id, county_code, township, village, n_records.
    - ``categories``: registry.child_categories — child_id, category, basis.
    - ``entitlements``: registry.entitlements — child_id, benefit, received_amount, status
      (a child "receives" a benefit when its status is received or underpaid; without a
      status column, when received_amount > 0).
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
    - ``staff``: the staged staff roster (see reports.staff), or None.
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


def reported_categories() -> list[str]:
    """The categories the report names, in the policy's order: never a restricted one (its
    children are counted inside 困境儿童 only)."""
    restricted = set(settings()["access"]["restricted_categories"])
    return [c for c in settings()["categories"] if c not in restricted]


def _benefits_shown(category: str) -> list[str]:
    """The benefits whose columns a category's table shows, in the configured order."""
    return [b for b, shown_in in settings()["report"]["benefit_tables"].items() if category in shown_in]


_RECEIVING = ("received", "underpaid")


def _receiving(entitlements: pd.DataFrame) -> pd.Series:
    """Whether the child gets the benefit at all (an in-kind benefit has no amount, only a status)."""
    if "status" in entitlements:
        return entitlements["status"].isin(_RECEIVING)
    return entitlements["received_amount"].fillna(0) > 0


def category_tables(inputs: CoverageInputs) -> dict[str, pd.DataFrame]:
    """Per reported category: rows = counties then the city total; columns found, registered,
    and per benefit the category grounds (exports.yaml, ``benefit_tables``) ``entitled:<b>`` /
    ``receiving:<b>`` (children, not payments)."""
    wanted = inputs.categories["category"].isin(reported_categories())
    cats = _with_county(inputs, inputs.categories.loc[wanted, ["child_id", "category", "basis"]])
    ent = inputs.entitlements.assign(receiving=_receiving(inputs.entitlements))
    ent = ent[["child_id", "benefit", "receiving"]].merge(
        cats.drop_duplicates(["child_id", "category"])[["child_id", "category", "county"]], on="child_id"
    )
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
    for category in reported_categories():
        if category not in table.index.get_level_values(0):
            continue
        rows = table.loc[category].reindex(_county_order(cats["county"]), fill_value=0)
        unknown = settings()["report"]["unknown_county"]
        if unknown in rows.index and not rows.loc[unknown].any():
            rows = rows.drop(index=unknown)  # a configured county's zeros are news; this row's are not
        due = [b for b in _benefits_shown(category) if rows.get(f"entitled:{b}", pd.Series()).any()]
        rows = rows.reindex(
            columns=["found", "registered", *(f"{k}:{b}" for b in due for k in _KINDS)], fill_value=0
        )
        rows.loc[total] = rows.sum()
        out[category] = rows
    return out


def reported_alerts(inputs: CoverageInputs) -> pd.DataFrame:
    """The alerts the report counts: those a department outside health and civil affairs may
    read (reports.access.shareable), every status."""
    return inputs.alerts[access.shareable(inputs.alerts)]


def alert_changes(inputs: CoverageInputs) -> tuple[pd.DataFrame, pd.Series]:
    """Per alert code: raised in this sync, resolved in it, still open from before; and which
    rows are sensitive (the code can be restricted, or some row of it is)."""
    a = reported_alerts(inputs)
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
    counts.index = [_alert_title(inputs.texts, c) for c in order]
    return counts.astype(int), pd.Series(sensitive.to_numpy(), index=counts.index)


def _alert_title(texts: Mapping[str, AlertText], code: str) -> str:
    """The title anyone may read: the report is not limited to health and civil affairs.

    A title naming a restricted condition is refused, as for the department workbooks.
    """
    text = texts.get(code)
    title = code if text is None else text.public_title or text.title
    if access.reveals_health(title):
        raise ValueError(
            f"alert {code}: its title names a restricted condition and would reach every reader of "
            "the coverage report; give AlertText a public_title"
        )
    return title


def benefit_label(inputs: CoverageInputs, code: str) -> str:
    """A benefit's 中文 name, refused if it names a restricted condition (it reaches everyone)."""
    name = inputs.benefit_names.get(code, code)
    if access.reveals_health(name):
        raise ValueError(f"benefit {code}: its name names a restricted condition; rename it")
    return name


def _source_order(sources: list[str]) -> list[str]:
    known = [s for s in settings()["sources"] if s in sources]
    return known + sorted(set(sources) - set(known))


def source_label(code: str) -> str:
    """A source system's short 中文 name (a suite named after no source is shown as is)."""
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
    n = inputs.child_records["child_id"].value_counts()
    binned = n.clip(upper=top).value_counts().reindex(range(1, top + 1), fill_value=0)
    binned.index = [str(i) for i in range(1, top)] + [f"≥{top}"]
    return binned


def links_by_source_pair(inputs: CoverageInputs) -> tuple[pd.DataFrame, pd.Series]:
    """Children linking two sources (source_a < source_b), and children with several rows in
    one source (source_a = source_b: duplicates the linkage merged)."""
    # Children and sources as integer codes (sources' in sorted order, so a < b holds for
    # codes as for names): grouping and self-joining a city's text columns is slow.
    child = pd.factorize(inputs.child_records["child_id"])[0]
    source, sources = pd.factorize(inputs.child_records["source_system"], sort=True)
    known = (child >= 0) & (source >= 0)
    rec = pd.DataFrame({"child_id": child[known], "source_system": source[known]})
    per_source = rec.groupby(["child_id", "source_system"]).size().rename("n").reset_index()
    pairs = per_source.merge(per_source, on="child_id", suffixes=("_a", "_b"))
    across = pairs["source_system_a"] < pairs["source_system_b"]
    within = (pairs["source_system_a"] == pairs["source_system_b"]) & (pairs["n_a"] > 1)
    kept = pairs[across | within]
    table = kept.groupby(["source_system_a", "source_system_b"])["child_id"].nunique().rename("children")
    table = table.sort_values(ascending=False).reset_index()
    names = {
        col: pd.Series(sources[table[col].to_numpy()], index=table.index)
        for col in ("source_system_a", "source_system_b")
    }
    restricted = settings()["access"]["restricted_sources"]
    sensitive = names["source_system_a"].isin(restricted) | names["source_system_b"].isin(restricted)
    for col, values in names.items():
        table[col] = values.map(source_label)
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
