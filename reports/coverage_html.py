"""coverage_report.html: one self-contained page (inline CSS and SVG, no script, no network).

Compact by design: the gap (应享 − 实享) heads each benefit, categories and benefits are
small multiples side by side, each with a small trend line over every published sync,
townships fold away behind their county, and a map of the five counties shows where
the gaps are. Every count involving restricted children goes through
``reports.disclosure.suppress`` with the sums the page shows, so no hidden cell comes back
as a difference.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from string import Template

import pandas as pd

from reports import coverage
from reports import coverage_followup as followup
from reports import coverage_quality as quality
from reports.config import settings
from reports.coverage import CoverageInputs
from reports.disclosure import shown, suppress
from reports.markup import Html, counts_shown, note, rate, table
from reports.svg import choropleth, map_source, sparkline

TEMPLATE = Path(__file__).with_name("coverage_report.html")
WIDE_AFTER = 2  # a category table with more benefits than this takes the page's width


def write_coverage_report(path: Path, report: CoverageInputs) -> Path:
    """Write the report; it holds counts only, small ones involving restricted children hidden."""
    labels = _labels()
    long = coverage.counts(report, coverage.COUNTY)
    tables = coverage.category_tables(report, long)
    benefits = coverage.benefit_tables(report, long)
    trend = _Trend(report)
    sections = [
        ("overview", _overview(report, tables, trend)),
        ("benefits", _benefits(report, benefits, trend)),
        ("coverage", _coverage(report, tables)),
        ("changes", _changes(report, trend) + followup.held(report)),
        ("returns", followup.returns(report)),
        ("sources", followup.incomplete(report) + quality.sources(report)),
        ("linkage", quality.linkage(report)),
        ("organisation", quality.organisation(report)),
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


def _sensitive_category(category: str) -> bool:
    return category in settings()["access"]["sensitive_categories"]


def _value(v: object) -> int | None:
    return None if v is pd.NA or v is None else int(v)


def _with_gaps(counts: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, list[str]]]]:
    """Each ``entitled[:b]`` / ``receiving[:b]`` pair with its ``gap[:b]`` column after them, and
    the sums (entitled = receiving + gap) suppression must close."""
    out, sums = counts.copy(), []
    for col in counts.columns:
        if col.partition(":")[0] != "entitled":
            continue
        suffix = col[len("entitled") :]
        out[f"gap{suffix}"] = counts[col] - counts[f"receiving{suffix}"]
        sums.append((col, [f"receiving{suffix}", f"gap{suffix}"]))
    return out, sums


def _of(gap: object, due: object) -> str:
    return f"{shown(gap)}／{shown(due)}"


class _Trend:
    """City totals over every published sync, for the small trend lines."""

    def __init__(self, report: CoverageInputs) -> None:
        self.table = coverage.trends(report)
        dates = report.published
        self.points = [
            f"第 {s} 次同步" + (f"（{dates[s].isoformat()}）" if s in dates else "") for s in self.table.index
        ]

    def series(self, subject: str, measure: str, sensitive: bool) -> list[int | None]:
        if (subject, measure) not in self.table:
            return [0] * len(self.table)
        values = self.table[(subject, measure)]
        hidden = suppress(values.to_frame("n"), pd.Series(sensitive, index=values.index))["n"]
        return [_value(v) for v in hidden]

    def gap(self, subject: str, sensitive: bool) -> list[int | None]:
        """entitled − receiving per sync, hidden where it (or a count it comes from) is small."""
        pair = {m: self.series(subject, m, False) for m in coverage.KINDS}
        frame = pd.DataFrame(pair, index=self.table.index)
        frame, sums = _with_gaps(frame)
        hidden = suppress(frame, pd.Series(sensitive, index=frame.index), sums=sums)
        return [_value(v) for v in hidden["gap"]]

    def line(self, series: Mapping[str, Sequence[int | None]], caption: str) -> Html:
        return Html(sparkline(self.points, series, settings()["report"]["palette"], caption))

    def note(self) -> str:
        labels = _labels()
        if len(self.points) < 2:
            return note(labels["trend_first"])
        return note(labels["trend_note"].format(first=self.points[0]))


# --- sections ----------------------------------------------------------------


def _overview(report: CoverageInputs, tables: dict[str, pd.DataFrame], trend: _Trend) -> str:
    labels = _labels()
    names = settings()["categories"]
    total = settings()["report"]["total_row"]
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
    return html + '<div class="split">' + _map(report) + _category_summary(tables, trend) + "</div>"


def _category_summary(tables: dict[str, pd.DataFrame], trend: _Trend) -> str:
    """Per category: found, registered and its rate (or that it has no register), trend."""
    labels = _labels()
    names = settings()["categories"]
    total = settings()["report"]["total_row"]
    rows = {}
    for category, counts in tables.items():
        sensitive = _sensitive_category(category)
        city = suppress(counts.loc[[total]], pd.Series(sensitive, index=[total])).loc[total]
        registered = coverage.has_register(category)
        subject = f"category:{category}"
        series = {labels["found"]: trend.series(subject, "found", sensitive)}
        if registered:
            series[labels["registered"]] = trend.series(subject, "registered", sensitive)
        rows[names[category]] = {
            labels["found"]: shown(city["found"]),
            labels["registered"]: shown(city["registered"]) if registered else labels["no_register"],
            labels["registered_rate"]: rate(city[["registered"]], city[["found"]]).iloc[0]
            if registered
            else "—",
            labels["trend"]: trend.line(series, names[category]),
        }
    if not rows:
        return ""
    frame = pd.DataFrame.from_dict(rows, orient="index")
    return "<div>" + table(frame, labels["category"], css="summary") + trend.note() + "</div>"


def _map(report: CoverageInputs) -> str:
    """The counties shaded by the share of children due a benefit who miss one."""
    labels = _labels()
    conf = settings()["report"]
    gaps = coverage.county_gaps(report)
    # 困境儿童 grounds benefits shown here: every figure can involve restricted children
    hidden = suppress(gaps, pd.Series(True, index=gaps.index))
    names = settings()["counties"]
    values = {}
    for code, name in names.items():
        gap, due = hidden.loc[name, "gap"], hidden.loc[name, "due"]
        share = None if gap is pd.NA or due is pd.NA or not due else int(gap) / int(due)
        values[code] = (share, labels["map_label"].format(county=name, gap=shown(gap), due=shown(due)))
    source = map_source()
    return (
        '<figure class="mapbox">'
        + choropleth(values, conf["map_colours"], conf["map_missing"], labels["map_caption"])
        + f"<figcaption>{escape(labels['map_caption'])}。{escape(labels['map_legend'])}"
        + _legend(conf["map_colours"])
        + f"<br>{escape(labels['map_source'].format(**source))}</figcaption></figure>"
    )


def _legend(colours: Sequence[str]) -> str:
    n = len(colours)
    return (
        '<span class="legend">'
        + "".join(
            f'<i style="background:{c}"></i>{100 * i // n}–{100 * (i + 1) // n}%'
            for i, c in enumerate(colours)
        )
        + "</span>"
    )


def _benefits(report: CoverageInputs, benefits: dict[str, pd.DataFrame], trend: _Trend) -> str:
    """One card per benefit: the gap in large, 应享 and 实享 under it, its trend, its counties."""
    labels = _labels()
    total = settings()["report"]["total_row"]
    cards = []
    for benefit, counts in benefits.items():
        sensitive = coverage.sensitive_benefit(benefit)
        with_gap, sums = _with_gaps(counts)
        hidden = suppress(with_gap, pd.Series(sensitive, index=counts.index), total=total, sums=sums)
        city = hidden.loc[total]
        name = coverage.benefit_label(report, benefit)
        rows = counts_shown(hidden[["gap", "entitled", "receiving"]])
        rows.columns = [labels["gap"], labels["entitled"], labels["receiving"]]
        line = trend.line({labels["gap"]: trend.gap(f"benefit:{benefit}", sensitive)}, name)
        cards.append(
            f'<div class="panel"><h3>{escape(name)}</h3>'
            f'<div class="headline"><span class="gap">{escape(shown(city["gap"]))}</span>'
            f'<span class="k">{escape(labels["gap"])}</span>'
            f'<span class="sub">{escape(labels["entitled"])} {escape(shown(city["entitled"]))} · '
            f"{escape(labels['receiving'])} {escape(shown(city['receiving']))}</span>{line}</div>"
            + table(rows, labels["county"], total=total, css="compact")
            + "</div>"
        )
    return (
        note(labels["benefit_note"]) + trend.note() + '<div class="grid narrow">' + "".join(cards) + "</div>"
    )


def _category_rows(
    report: CoverageInputs,
    counts: pd.DataFrame,
    sensitive: bool,
    total: str,
    hidden: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A category's counts as shown (found, registered, rate, per benefit 缺口／应享), and which
    cells were hidden (for the townships of a county)."""
    labels = _labels()
    with_gap, sums = _with_gaps(counts)
    suppressed = suppress(
        with_gap, pd.Series(sensitive, index=counts.index), total=total, sums=sums, hidden=hidden
    )
    rows = pd.DataFrame(index=counts.index)
    rows[labels["found"]] = suppressed["found"].map(shown)
    if "registered" in counts:
        rows[labels["registered"]] = suppressed["registered"].map(shown)
        rows[labels["registered_rate"]] = rate(suppressed["registered"], suppressed["found"])
    for col in counts.columns:
        kind, _, benefit = col.partition(":")
        if kind == "entitled":
            header = (coverage.benefit_label(report, benefit), labels["gap_of"])
            rows[header] = [
                _of(g, e) for g, e in zip(suppressed[f"gap:{benefit}"], suppressed[col], strict=True)
            ]
    return rows, suppressed.isna()


def _coverage(report: CoverageInputs, tables: dict[str, pd.DataFrame]) -> str:
    labels = _labels()
    access = settings()["access"]
    total = settings()["report"]["total_row"]
    townships = coverage.township_tables(report)
    html = [
        note(labels["category_note"]),
        note(labels["small_cells"].format(min_cell=access["min_cell"], label=access["small_cell_label"])),
    ]
    cards = []
    for category, counts in tables.items():
        sensitive = _sensitive_category(category)
        name = settings()["categories"][category]
        rows, hidden = _category_rows(report, counts, sensitive, total)
        benefits = sum(c.startswith("entitled:") for c in counts.columns)
        wide = " wide" if benefits > WIDE_AFTER else ""
        card = [f'<div class="panel{wide}"><h3>{escape(name)}</h3>']
        if not coverage.has_register(category):
            card.append(note(labels["no_register_note"].format(basis=labels["no_register_basis"])))
        card.append(table(rows, labels["county"], total=total, css="compact"))
        card.append(_townships(report, townships.get(category, {}), hidden, sensitive))
        cards.append("".join(card) + "</div>")
    return "\n".join(html) + '<div class="grid">' + "".join(cards) + "</div>"


def _townships(
    report: CoverageInputs, by_county: dict[str, pd.DataFrame], county_hidden: pd.DataFrame, sensitive: bool
) -> str:
    """Behind each county, its townships: the county's row is their total, hidden as in the
    county table (so a township figure never completes a county the county table hides)."""
    labels = _labels()
    parts = []
    for county, counts in by_county.items():
        with_gap, _ = _with_gaps(counts)
        forced = county_hidden.reindex(index=[county], columns=with_gap.columns, fill_value=False)
        rows, _ = _category_rows(report, counts, sensitive, county, hidden=forced)
        parts.append(
            f"<details><summary>{escape(county)} {escape(labels['townships'])}（{len(rows) - 1}）</summary>"
            + table(rows, labels["township"], total=county, css="compact")
            + "</details>"
        )
    return '<div class="townships">' + "".join(parts) + "</div>"


def _changes(report: CoverageInputs, trend: _Trend) -> str:
    labels = _labels()
    syncs = list(trend.table.index)
    counts, sensitive = coverage.alert_changes(report, syncs)
    if counts.empty:
        return note(labels["none"])
    previous = coverage.previous_sync(report)
    first = previous is None
    # On a first sync nothing can be resolved or still open: those columns are left out, and
    # the alerts open now are the raised ones. Otherwise the open counts of this sync and the
    # one before are sums of the columns shown.
    columns = ["raised"] if first else ["raised", "resolved", "still_open"]
    sums = (
        [] if first else [(report.sync_id, ["raised", "still_open"]), (previous, ["still_open", "resolved"])]
    )
    sums = [(whole, parts) for whole, parts in sums if whole in counts]
    hidden = suppress(counts[[*columns, *syncs]], sensitive, sums=sums)
    rows = counts_shown(hidden[columns]).rename(columns={c: labels[c] for c in columns})
    rows[labels["open_trend"]] = [
        trend.line({labels["still_open"]: [_value(v) for v in hidden.loc[a, syncs]]}, a) for a in hidden.index
    ]
    html = note(labels["first_sync"]) if first else ""
    return html + table(rows, labels["alert"], css="compact")
