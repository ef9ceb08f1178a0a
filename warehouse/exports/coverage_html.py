"""coverage_report.html: one self-contained page (inline CSS and SVG, no script, no network)."""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from html import escape
from pathlib import Path
from string import Template

import pandas as pd

from warehouse.exports import coverage
from warehouse.exports.config import settings
from warehouse.exports.coverage import CoverageInputs
from warehouse.exports.disclosure import shown, suppress
from warehouse.exports.display import county_labels, sort_by_place
from warehouse.exports.svg import bar_chart

TEMPLATE = Path(__file__).with_name("coverage_report.html")


def write_coverage_report(path: Path, report: CoverageInputs) -> Path:
    """Write the report; it holds counts only, small ones involving restricted children hidden."""
    labels = _labels()
    tables = coverage.category_tables(report)
    sections = [
        ("overview", _overview(report, tables)),
        ("coverage", _coverage(report, tables)),
        ("changes", _changes(report)),
        ("sources", _sources(report)),
        ("linkage", _linkage(report)),
        ("organisation", _organisation(report)),
    ]
    names = labels["sections"]
    body = "\n".join(
        f'<section id="{key}"><h2>{escape(names[key])}</h2>\n{html}</section>' for key, html in sections
    )
    page = Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        title=escape(settings()["report"]["title"]),
        meta=escape(labels["meta"].format(as_of=report.as_of.isoformat(), sync_id=report.sync_id)),
        nav="".join(f'<a href="#{key}">{escape(names[key])}</a>' for key, _ in sections),
        body=body,
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, path)
    return path


def _labels() -> dict:
    return settings()["report"]["labels"]


def _sensitive_categories(categories: Sequence[str]) -> pd.Series:
    return pd.Series(
        [c in settings()["access"]["sensitive_categories"] for c in categories], index=categories
    )


# --- building blocks ---------------------------------------------------------


def _table(
    rows: pd.DataFrame, corner: str, total: str | None = None, text_columns: frozenset | set = frozenset()
) -> str:
    """A frame of display strings as an HTML table; its index is the first column.

    Cells are right-aligned figures unless their column is in text_columns.
    """
    head = "".join(f"<th>{escape(str(h))}</th>" for h in [corner, *rows.columns])
    kinds = ["" if c in text_columns else ' class="num"' for c in rows.columns]
    body = []
    for label, cells in rows.iterrows():
        css = ' class="total"' if total is not None and label == total else ""
        tds = "".join(f"<td{k}>{escape(str(c))}</td>" for k, c in zip(kinds, cells, strict=True))
        body.append(f"<tr{css}><td>{escape(str(label))}</td>{tds}</tr>")
    return (
        f'<div class="wrap"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
    )


def _counts_shown(counts: pd.DataFrame) -> pd.DataFrame:
    return counts.astype(object).map(shown)


def _rate(part: pd.Series, whole: pd.Series) -> pd.Series:
    """part / whole as a percentage; '—' when either is hidden or whole is 0."""
    out = []
    for p, w in zip(part, whole, strict=True):
        hidden = p is pd.NA or w is pd.NA
        out.append("—" if hidden or not w else f"{p / w:.1%}")
    return pd.Series(out, index=part.index)


def _series(counts: pd.DataFrame, columns: dict[str, str]) -> dict[str, list[int | None]]:
    """Chart series (legend -> values) from suppressed counts; hidden cells become None."""
    return {name: [None if v is pd.NA else int(v) for v in counts[col]] for col, name in columns.items()}


def _note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


# --- sections ----------------------------------------------------------------


def _overview(report: CoverageInputs, tables: dict[str, pd.DataFrame]) -> str:
    labels = _labels()
    names = settings()["categories"]
    total = settings()["report"]["total_row"]
    per_category = pd.DataFrame(
        {c: tables[c].loc[total, ["found", "registered"]] for c in tables}, index=["found", "registered"]
    ).T
    per_category = suppress(per_category, _sensitive_categories(list(per_category.index)))
    figures = {
        labels["children_total"]: len(report.children),
        **{names[c]: tables[c].loc[total, "found"] for c in ("distressed", "left_behind") if c in tables},
        labels["open_alerts"]: int((report.alerts["status"] == "open").sum()),
    }
    # every figure but the review queue counts restricted children among others
    cards = suppress(pd.DataFrame({"n": figures}), pd.Series(True, index=list(figures)))["n"]
    cards[labels["review_queue"]] = report.review_queue
    html = '<div class="cards">' + "".join(
        f'<div class="card"><div class="n">{escape(shown(v))}</div><div class="k">{escape(k)}</div></div>'
        for k, v in cards.items()
    )
    html += "</div>"
    if len(per_category):
        chart_labels = [names[c] for c in per_category.index]
        series = _series(per_category, {"found": labels["found"], "registered": labels["registered"]})
        html += bar_chart(chart_labels, series, labels["sections"]["overview"])
    return html


def _coverage(report: CoverageInputs, tables: dict[str, pd.DataFrame]) -> str:
    labels = _labels()
    access = settings()["access"]
    total = settings()["report"]["total_row"]
    html = [
        _note(labels["category_note"]),
        _note(labels["small_cells"].format(min_cell=access["min_cell"], label=access["small_cell_label"])),
    ]
    for category, counts in tables.items():
        sensitive = category in access["sensitive_categories"]
        hidden = suppress(counts, pd.Series(sensitive, index=counts.index), total=total)
        headers = {"found": labels["found"], "registered": labels["registered"]}
        for col in counts.columns[2:]:
            kind, _, benefit = col.partition(":")
            headers[col] = f"{report.benefit_names.get(benefit, benefit)}·{labels[kind]}"
        rows = _counts_shown(hidden)[list(headers)]
        rows.insert(2, labels["registered_rate"], _rate(hidden["registered"], hidden["found"]))
        rows.columns = [headers.get(c, c) for c in rows.columns]
        name = settings()["categories"][category]
        html.append(f"<h3>{escape(name)}</h3>")
        html.append(_table(rows, labels["county"], total=total))
        charted = {c: h for c, h in headers.items() if not c.startswith("entitled:")}
        html.append(bar_chart(list(hidden.index[:-1]), _series(hidden.iloc[:-1], charted), name))
    return "\n".join(html)


def _changes(report: CoverageInputs) -> str:
    labels = _labels()
    counts, sensitive = coverage.alert_changes(report)
    if counts.empty:
        return _note(labels["none"])
    hidden = suppress(counts, sensitive)
    columns = {c: labels[c] for c in ("raised", "resolved", "still_open")}
    rows = _counts_shown(hidden).rename(columns=columns)
    return _table(rows, labels["alert"]) + bar_chart(
        list(hidden.index), _series(hidden, columns), labels["sections"]["changes"]
    )


def _sources(report: CoverageInputs) -> str:
    labels = _labels()
    names = settings()["sources"]
    quality, sensitive = coverage.source_quality(report)
    hidden = suppress(quality, sensitive)
    columns = ["files", "rows_read", "rows_staged", "rows_quarantined"]
    rows = _counts_shown(hidden[columns])
    rows.loc[quality["files"] == 0, "files"] = labels["not_supplied"]
    rows[labels["id_valid_rate"]] = _rate(hidden["id_valid"], hidden["id_rows"])
    rows = rows.rename(columns={c: labels[c] for c in columns})
    rows.index = [names.get(s, s) for s in rows.index]
    html = [_table(rows, "")]

    statuses, sensitive = coverage.id_status_table(report)
    if not statuses.empty:
        id_rows = _counts_shown(suppress(statuses, sensitive))
        id_rows.columns = [labels["id_statuses"].get(c, c) for c in id_rows.columns]
        id_rows.index = [names.get(s, s) for s in id_rows.index]
        html.append(_table(id_rows, labels["id_status"]))
    html.append(_expectations(report.expectations))
    return "\n".join(html)


def _observed(value: object) -> str:
    """GX's observed value, printed only when it is a number: anything else could be a row's content."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number) or value != value:
        return _labels()["observed_hidden"] if value is not None else ""
    return f"{value:,}" if isinstance(value, numbers.Integral) else f"{value:,.4g}"


def _expectations(results: pd.DataFrame) -> str:
    labels = _labels()
    ok = results["success"].astype(bool)
    summary = _note(labels["expectations_summary"].format(n=len(results), failed=int((~ok).sum())))
    if results.empty:
        return summary
    rows = pd.DataFrame(
        {
            labels["expectation"]: results["expectation"].astype(str),
            labels["success"]: ok.map({True: f"✓ {labels['passed']}", False: f"✗ {labels['failed']}"}),
            labels["observed"]: results["observed"].map(_observed),
            "_order": ok,
        }
    )
    rows.index = results["suite"].astype(str)
    rows = rows.sort_values("_order", kind="stable").drop(columns="_order")
    return summary + _table(rows, labels["suite"], text_columns={labels["expectation"], labels["success"]})


def _linkage(report: CoverageInputs) -> str:
    labels = _labels()
    per_child = coverage.records_per_child(report).to_frame(labels["children"])
    html = [f"<h3>{escape(labels['records'])}</h3>", _table(_counts_shown(per_child), labels["records"])]
    series = _series(per_child, {labels["children"]: labels["children"]})
    html.append(bar_chart(list(per_child.index), series, labels["records"]))
    html.append(_note(f"{labels['review_queue']}：{shown(report.review_queue)}"))
    pairs, sensitive = coverage.links_by_source_pair(report)
    if len(pairs):
        counts = suppress(pairs[["children"]], sensitive)
        rows = _counts_shown(counts).rename(columns={"children": labels["children"]})
        rows.insert(0, labels["source_b"], pairs["source_system_b"])
        rows.index = pairs["source_system_a"]
        html.append(_table(rows, labels["source_a"], text_columns={labels["source_b"]}))
    return "\n".join(html)


def _organisation(report: CoverageInputs) -> str:
    labels = _labels()
    found = coverage.unstaffed_places(report)
    if found is None:
        return _note(labels["no_staff"])
    townships, villages = found
    html = []
    for title, places in (
        (labels["townships_without_staff"], townships),
        (labels["villages_without_supervisor"], villages),
    ):
        html.append(f"<h3>{escape(title)}（{len(places):,}）</h3>")
        if places.empty:
            html.append(_note(labels["none"]))
            continue
        named = sort_by_place(places).assign(county_code=county_labels(places["county_code"]))
        items = "".join(
            f"<li>{escape(' '.join(str(v) for v in row))}</li>" for row in named.itertuples(index=False)
        )
        html.append(f'<ul class="places">{items}</ul>')
    return "\n".join(html)
