"""coverage_report.html: one self-contained page (inline CSS and SVG, no script, no network)."""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path
from string import Template

import pandas as pd

from reports import coverage
from reports.config import settings
from reports.coverage import CoverageInputs
from reports.disclosure import shown, suppress
from reports.display import county_labels, sort_by_place
from reports.svg import bar_chart

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

    Cells are right-aligned figures unless their column is in text_columns. A column named
    by a (group, name) tuple goes under its group's header, spanning a second header row.
    """
    head = _head([corner, *rows.columns])
    kinds = ["" if c in text_columns else ' class="num"' for c in rows.columns]
    body = []
    for label, cells in rows.iterrows():
        css = ' class="total"' if total is not None and label == total else ""
        tds = "".join(f"<td{k}>{escape(str(c))}</td>" for k, c in zip(kinds, cells, strict=True))
        body.append(f"<tr{css}><td>{escape(str(label))}</td>{tds}</tr>")
    return f'<div class="wrap"><table><thead>{head}</thead><tbody>{"".join(body)}</tbody></table></div>'


def _head(headers: list) -> str:
    """Header rows: one, or two when some headers are (group, name) tuples."""
    if not any(isinstance(h, tuple) for h in headers):
        return "<tr>" + "".join(f"<th>{escape(str(h))}</th>" for h in headers) + "</tr>"
    top, sub = [], []
    for h in headers:
        if not isinstance(h, tuple):
            top.append([f'<th rowspan="2">{escape(str(h))}</th>', None, 1])
            continue
        group, name = h
        if top and top[-1][1] == group:
            top[-1][2] += 1
        else:
            top.append([None, group, 1])
        sub.append(f"<th>{escape(str(name))}</th>")
    cells = [
        cell if cell is not None else f'<th colspan="{span}" class="group">{escape(str(group))}</th>'
        for cell, group, span in top
    ]
    return f"<tr>{''.join(cells)}</tr><tr>{''.join(sub)}</tr>"


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
        labels["open_alerts"]: int((coverage.reported_alerts(report)["status"] == "open").sum()),
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
        headers: dict[str, str | tuple[str, str]] = {
            "found": labels["found"],
            "registered": labels["registered"],
        }
        for col in counts.columns[2:]:
            kind, _, benefit = col.partition(":")
            headers[col] = (coverage.benefit_label(report, benefit), labels[kind])
        rows = _counts_shown(hidden)[list(headers)]
        rows.insert(2, labels["registered_rate"], _rate(hidden["registered"], hidden["found"]))
        rows.columns = [headers.get(c, c) for c in rows.columns]
        name = settings()["categories"][category]
        html.append(f"<h3>{escape(name)}</h3>")
        html.append(_table(rows, labels["county"], total=total))
        charted = {
            c: h if isinstance(h, str) else "·".join(h)
            for c, h in headers.items()
            if not c.startswith("entitled:")
        }
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


# The sentence the expectations module stores as ``observed``: "35 of 795 non-NULL values fail
# (95.6% pass, need ≥ 30.0%)". Only its two rates are shown, never the sentence itself.
_OBSERVED_RATE = re.compile(r"\((\d{1,3}(?:\.\d+)?%) (?:pass|present), need ≥ (\d{1,3}(?:\.\d+)?%)\)")
_OBSERVED_EMPTY = re.compile(r"^all \d+ rows NULL: nothing to check$")


def _observed(value: object) -> str:
    """An expectation's observed value: a number, or the rates parsed out of the stored summary.

    Anything else is not printed: it could be a row's content.
    """
    labels = _labels()
    if isinstance(value, str):
        rate = _OBSERVED_RATE.search(value)
        if rate:
            return labels["observed_rate"].format(rate=rate[1], need=rate[2])
        return labels["observed_empty"] if _OBSERVED_EMPTY.match(value) else labels["observed_hidden"]
    if isinstance(value, bool) or not isinstance(value, numbers.Number) or value != value:
        return labels["observed_hidden"] if value is not None else ""
    return f"{value:,}" if isinstance(value, numbers.Integral) else f"{value:,.4g}"


def _check_names(results: pd.DataFrame) -> pd.Series:
    """Expectation names as shown: a restricted source's are numbered instead (they name what the
    source records, e.g. its diagnosis column)."""
    restricted = results["suite"].isin(settings()["access"]["restricted_sources"])
    numbered = results.loc[restricted].groupby("suite").cumcount() + 1
    names = results["expectation"].astype(str)
    label = _labels()["restricted_check"]
    names[restricted] = [label.format(n=n) for n in numbered]
    return names


def _expectations(results: pd.DataFrame) -> str:
    """Checks per suite (passed, failed), then each failed check with what was observed."""
    labels = _labels()
    ok = results["success"].astype(bool)
    summary = _note(labels["expectations_summary"].format(n=len(results), failed=int((~ok).sum())))
    if results.empty:
        return summary
    suites = labels["suites"]
    suite = results["suite"].astype(str)
    shown_suite = pd.Series([suites.get(s) or coverage.source_label(s) for s in suite], index=results.index)
    per_suite = (
        pd.DataFrame({"suite": suite, "passed": ok, "failed": ~ok})
        .groupby("suite", sort=False)[["passed", "failed"]]
        .sum()
        .astype(int)
    )
    per_suite = per_suite.reindex([s for s in _suite_order(list(per_suite.index))])
    per_suite.index = [suites.get(s) or coverage.source_label(s) for s in per_suite.index]
    counts = per_suite.map(lambda n: f"{n:,}").rename(
        columns={"passed": labels["passed"], "failed": labels["failed"]}
    )
    html = summary + _table(counts, labels["suite"])
    if (~ok).any():
        failed = pd.DataFrame(
            {
                labels["expectation"]: _check_names(results)[~ok],
                labels["observed"]: results.loc[~ok, "observed"].map(_observed),
            }
        )
        failed.index = shown_suite[~ok]
        html += f"<h3>{escape(labels['failed_checks'])}</h3>"
        html += _table(failed, labels["suite"], text_columns={labels["expectation"]})
    return html


def _suite_order(suites: list[str]) -> list[str]:
    """Sources in the configured order, then any other suite (the registry's) as found."""
    known = [s for s in settings()["sources"] if s in suites]
    return known + [s for s in suites if s not in known]


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
