"""What the coverage report counts, computed from the registry's frames.

Every function here returns counts only (frames of integers indexed by a place,
category, source or alert label); nothing personal leaves this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from policy.history import HELD
from reports import access
from reports.config import settings
from reports.display import county_labels, pinyin_key
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
    - ``published``: sync_id -> as-of date of every published sync (this one included): the
      trends' x axis, and whether there is a previous sync to compare with.
    - ``history``: registry.coverage_history rows of earlier syncs (see ``history_rows``), or None.
    - ``returns``: ``reports.returns.returns_summary`` of the registry (department returns per
      department and county), or None when none was read.
    - ``departments``: department code -> 中文 name (``rules.departments``).
    - ``completeness``: this sync's syncs.completeness JSON: source -> {whole, reasons
      [{code, detail, confirmed}], ...}.
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
    published: Mapping[int, date] = field(default_factory=dict)
    history: pd.DataFrame | None = None
    returns: pd.DataFrame | None = None
    departments: Mapping[str, str] = field(default_factory=dict)
    completeness: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


KINDS = ("entitled", "receiving")  # per benefit: children due it, children receiving it
_RECEIVING = ("received", "underpaid")
COUNTY, TOWNSHIP = ["county"], ["county", "township"]


def _county_order(labels: pd.Series) -> list[str]:
    """Configured counties first (all of them, zeros are news), then any other label seen."""
    known = list(settings()["counties"].values())
    return known + sorted(set(labels.dropna()) - set(known))


def reported_categories() -> list[str]:
    """The categories the report names, in the policy's order: never a restricted one (its
    children are counted inside 困境儿童 only)."""
    restricted = set(settings()["access"]["restricted_categories"])
    return [c for c in settings()["categories"] if c not in restricted]


def has_register(category: str) -> bool:
    """Whether some department keeps a register of the category (exports.yaml, ``registers``):
    only then is "registered" a count and the registration rate a rate."""
    return category in settings()["report"]["registers"]


def grounding(benefit: str) -> list[str]:
    """The reported categories that ground a benefit (exports.yaml, ``benefit_tables``)."""
    reported = set(reported_categories())
    return [c for c in settings()["report"]["benefit_tables"].get(benefit, []) if c in reported]


def shown_benefits() -> list[str]:
    """Benefits some reported category grounds, in the configured order."""
    return [b for b in settings()["report"]["benefit_tables"] if grounding(b)]


def sensitive_benefit(benefit: str) -> bool:
    """A benefit counted over a sensitive category (困境儿童 holds the restricted children)."""
    return any(c in settings()["access"]["sensitive_categories"] for c in grounding(benefit))


def _receiving(entitlements: pd.DataFrame) -> pd.Series:
    """Whether the child gets the benefit at all (an in-kind benefit has no amount, only a status)."""
    if "status" in entitlements:
        return entitlements["status"].isin(_RECEIVING)
    return entitlements["received_amount"].fillna(0) > 0


def _places(inputs: CoverageInputs) -> pd.DataFrame:
    """child_id → county_code, county (its name) and township; unknown ones labelled as such."""
    report = settings()["report"]
    children = inputs.children
    codes = children["county_code"].astype("string")
    return pd.DataFrame(
        {
            "child_id": children["child_id"],
            "county_code": codes,
            "county": county_labels(codes).fillna(report["unknown_county"]),
            "township": children["township"].astype("string").fillna(report["unknown_township"]),
        }
    )


def _counted(inputs: CoverageInputs) -> pd.DataFrame:
    """Every (child, subject, measure) the report counts, one row each:

    - ``category:<c>``: ``found`` (in the category), ``registered`` (on its register), and per
      benefit the category grounds ``entitled:<b>`` / ``receiving:<b>``;
    - ``benefit:<b>``: ``entitled`` / ``receiving`` over the children of every category that
      grounds it (a child once, whatever number of such categories it is in).
    """
    cats = inputs.categories.loc[
        inputs.categories["category"].isin(reported_categories()), ["child_id", "category", "basis"]
    ]
    members = cats.drop_duplicates(["child_id", "category"])[["child_id", "category"]]
    registered = cats.loc[cats["basis"] == "registered"].drop_duplicates(["child_id", "category"])
    ent = inputs.entitlements.assign(receiving=_receiving(inputs.entitlements))
    due = ent.groupby(["child_id", "benefit"], as_index=False)["receiving"].any()
    grounds = pd.DataFrame(
        [(c, b) for b in shown_benefits() for c in grounding(b)], columns=["category", "benefit"]
    )
    cat_due = members.merge(grounds, on="category").merge(due, on=["child_id", "benefit"])
    cat_due = cat_due.assign(subject="category:" + cat_due["category"], kind=":" + cat_due["benefit"])
    ben_due = cat_due.drop_duplicates(["child_id", "benefit"])
    ben_due = ben_due.assign(subject="benefit:" + ben_due["benefit"], kind="")
    frames = [
        members.assign(subject="category:" + members["category"], measure="found"),
        registered.assign(subject="category:" + registered["category"], measure="registered"),
    ]
    for frame in (cat_due, ben_due):
        frames.append(frame.assign(measure="entitled" + frame["kind"]))
        frames.append(frame[frame["receiving"]].assign(measure=lambda f: "receiving" + f["kind"]))
    return pd.concat([f[["child_id", "subject", "measure"]] for f in frames], ignore_index=True)


def counts(inputs: CoverageInputs, by: list[str]) -> pd.DataFrame:
    """Children per subject, measure and place (``by``: columns of ``_places``), in long form."""
    rows = _counted(inputs).merge(_places(inputs), on="child_id", how="left")
    report = settings()["report"]
    rows = rows.fillna({"county": report["unknown_county"], "township": report["unknown_township"]})
    grouped = rows.groupby(["subject", "measure", *by], dropna=False)["child_id"].nunique()
    return grouped.rename("children").reset_index()


def history_rows(inputs: CoverageInputs) -> pd.DataFrame:
    """This sync's counts per county as registry.coverage_history keeps them (the trends' data)."""
    rows = counts(inputs, ["county_code"])
    rows = rows[~rows["measure"].str.contains(":")]  # a category's benefit columns are not trended
    return rows.assign(sync_id=inputs.sync_id)[["sync_id", "subject", "county_code", "measure", "children"]]


def _wide(long: pd.DataFrame, subject: str, index: list[str]) -> pd.DataFrame:
    part = long[long["subject"] == subject]
    if part.empty:
        return pd.DataFrame()
    return part.pivot_table(index=index, columns="measure", values="children", aggfunc="sum", fill_value=0)


def _category_columns(category: str, table: pd.DataFrame) -> list[str]:
    """found, registered (when the category has a register), then per benefit shown its pair."""
    due = [b for b in shown_benefits() if category in grounding(b) and f"entitled:{b}" in table]
    head = ["found", "registered"] if has_register(category) else ["found"]
    return head + [f"{k}:{b}" for b in due for k in KINDS]


def _with_total(rows: pd.DataFrame, total: str) -> pd.DataFrame:
    unknown = settings()["report"]["unknown_county"]
    if unknown in rows.index and not rows.loc[unknown].any():
        rows = rows.drop(index=unknown)  # a configured county's zeros are news; this row's are not
    rows.loc[total] = rows.sum()
    return rows.astype(int)


def category_tables(inputs: CoverageInputs, long: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Per reported category: rows = counties then the city total; columns found, registered
    (only for a category with a register), and per benefit the category grounds (exports.yaml,
    ``benefit_tables``) ``entitled:<b>`` / ``receiving:<b>`` (children, not payments)."""
    long = counts(inputs, COUNTY) if long is None else long
    total = settings()["report"]["total_row"]
    out = {}
    for category in reported_categories():
        table = _wide(long, f"category:{category}", COUNTY)
        if table.empty:
            continue
        rows = table.reindex(_county_order(long["county"]), fill_value=0)
        out[category] = _with_total(
            rows.reindex(columns=_category_columns(category, rows), fill_value=0), total
        )
    return out


def township_tables(inputs: CoverageInputs) -> dict[str, dict[str, pd.DataFrame]]:
    """Per reported category and county: rows = its townships then the county (as total);
    the columns of ``category_tables``."""
    long = counts(inputs, TOWNSHIP)
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for category in reported_categories():
        table = _wide(long, f"category:{category}", TOWNSHIP)
        if table.empty:
            continue
        columns = _category_columns(category, table)
        out[category] = {}
        for county in _county_order(table.index.get_level_values("county").to_series()):
            if county not in table.index.get_level_values("county"):
                continue
            rows = table.loc[county].reindex(columns=columns, fill_value=0)
            rows = rows.sort_index(key=lambda s: pinyin_key(s.to_series()).to_numpy())
            rows.loc[county] = rows.sum()
            out[category][county] = rows.astype(int)
    return out


def benefit_tables(inputs: CoverageInputs, long: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Per benefit some reported category grounds: rows = counties then the city total; columns
    entitled, receiving (children due it through any grounding category, and those receiving it)."""
    long = counts(inputs, COUNTY) if long is None else long
    total = settings()["report"]["total_row"]
    out = {}
    for benefit in shown_benefits():
        table = _wide(long, f"benefit:{benefit}", COUNTY)
        if table.empty:
            continue
        rows = table.reindex(_county_order(long["county"]), fill_value=0)
        out[benefit] = _with_total(rows.reindex(columns=list(KINDS), fill_value=0), total)
    return out


def county_gaps(inputs: CoverageInputs) -> pd.DataFrame:
    """Per configured county: children due at least one benefit the report shows (``due``), and
    those of them missing at least one (``gap``): the map's figures."""
    rows = _counted(inputs)
    benefit = rows["subject"].str.startswith("benefit:")
    due = rows[benefit & (rows["measure"] == "entitled")]
    receiving = rows[benefit & (rows["measure"] == "receiving")]
    missing = due.merge(receiving, on=["child_id", "subject"], how="left", indicator=True)
    missing = missing.loc[missing["_merge"] == "left_only", "child_id"]
    county = _places(inputs).set_index("child_id")["county"]
    names = list(settings()["counties"].values())
    return (
        pd.DataFrame(
            {
                "due": due["child_id"].drop_duplicates().map(county).value_counts(),
                "gap": missing.drop_duplicates().map(county).value_counts(),
            }
        )
        .reindex(names, fill_value=0)
        .fillna(0)
        .astype(int)
    )


def trends(inputs: CoverageInputs) -> pd.DataFrame:
    """City totals per published sync (rows, in sync order) × (subject, measure): the earlier
    syncs' from ``history``, this sync's counted now. A sync without history rows is absent."""
    now = history_rows(inputs)
    earlier = inputs.history if inputs.history is not None else now.iloc[:0]
    published = set(inputs.published) - {inputs.sync_id}
    earlier = earlier[earlier["sync_id"].isin(published)]
    rows = pd.concat([f for f in (earlier, now) if len(f)] or [now], ignore_index=True)
    table = rows.pivot_table(
        index="sync_id", columns=["subject", "measure"], values="children", aggfunc="sum", fill_value=0
    )
    return table.sort_index().astype(int)


def previous_sync(inputs: CoverageInputs) -> int | None:
    """The published sync before this one, None on a first sync."""
    earlier = [s for s in inputs.published if s < inputs.sync_id]
    return max(earlier) if earlier else None


def reported_alerts(inputs: CoverageInputs) -> pd.DataFrame:
    """The alerts the report counts: those a department outside health and civil affairs may
    read (reports.access.shareable), every status."""
    return inputs.alerts[access.shareable(inputs.alerts)]


def alert_changes(inputs: CoverageInputs, syncs: Sequence[int] = ()) -> tuple[pd.DataFrame, pd.Series]:
    """Per alert code: raised in this sync, resolved in it, still open from before, and for each
    of ``syncs`` the alerts open at it (raised by then, not resolved by then); and which rows
    are sensitive (the code can be restricted, or some row of it is)."""
    a = reported_alerts(inputs)
    s = inputs.sync_id
    resolved = a["resolved_sync"].where(a["status"] == "resolved")
    flags = pd.DataFrame(
        {
            "alert": a["alert"],
            "raised": a["first_raised"] == s,
            "resolved": resolved == s,
            "still_open": (a["status"] == "open") & (a["first_raised"] < s),
            **{then: (a["first_raised"] <= then) & ~(resolved <= then) for then in syncs},
        }
    )
    return _titled(flags.groupby("alert")[["raised", "resolved", "still_open", *syncs]].sum(), a, inputs)


def held_alerts(inputs: CoverageInputs) -> tuple[pd.Series, pd.Series]:
    """Per alert code: the reported alerts now held (awaiting a review decision), and which
    codes are sensitive, as for ``alert_changes``."""
    a = reported_alerts(inputs)
    held = a[a["status"] == HELD]
    return _titled(held.groupby("alert").size(), held, inputs)


def _titled(counts: pd.DataFrame | pd.Series, alerts: pd.DataFrame, inputs: CoverageInputs) -> tuple:
    """Counts per alert code in the rules' order under their titles, and which codes are
    sensitive (a code that can be restricted, or one of ``alerts``' restricted rows)."""
    order = [c for c in inputs.texts if c in counts.index] + sorted(set(counts.index) - set(inputs.texts))
    counts = counts.reindex(order)
    restricted_rows = alerts.loc[alerts["restricted"].astype("boolean").fillna(True).astype(bool), "alert"]
    sensitive = access.restricted_capable(counts.index.to_series()) | counts.index.isin(restricted_rows)
    counts.index = [_alert_title(inputs.texts, c) for c in order]
    return counts.astype(int), pd.Series(sensitive.to_numpy(), index=counts.index)


def returns_table(inputs: CoverageInputs) -> tuple[pd.DataFrame, pd.Series]:
    """Department returns per department and county (counts, and the median days to 已办结),
    indexed by "department · county"; a department that may read restricted alerts has
    sensitive rows (its answers can be about restricted children)."""
    summary = inputs.returns
    if summary is None or summary.empty:
        return pd.DataFrame(), pd.Series(dtype=bool)
    unknown = settings()["report"]["unknown_county"]
    counties = county_labels(summary["county_code"].astype("string")).fillna(unknown)
    names = summary["department"].map(lambda d: inputs.departments.get(d, d))
    table = summary.drop(columns=["department", "county_code"]).copy()
    table.index = [f"{d} · {c}" for d, c in zip(names, counties, strict=True)]
    sensitive = summary["department"].map(access.is_privileged).astype(bool)
    return table, pd.Series(sensitive.to_numpy(), index=table.index)


def incomplete_sources(inputs: CoverageInputs) -> list[tuple[str, bool, list[dict[str, Any]]]]:
    """(source, whole, reasons) of every source of this sync with a reason recorded: not arrived
    whole, or whole only by a confirmed drop; in the configured source order."""
    found = {s: r for s, r in inputs.completeness.items() if r.get("reasons")}
    return [
        (s, bool(found[s].get("whole", False)), list(found[s]["reasons"])) for s in _source_order(list(found))
    ]


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
