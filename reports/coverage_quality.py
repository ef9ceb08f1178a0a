"""The coverage report's quality sections: the sources read, the expectations checked, the
linkage's records per child and source pairs, and the places without children's staff."""

from __future__ import annotations

import numbers
import re
from html import escape

import pandas as pd

from reports import coverage
from reports.config import settings
from reports.coverage import CoverageInputs
from reports.disclosure import shown, suppress
from reports.display import county_labels, sort_by_place
from reports.markup import counts_shown, flow, note, rate, table


def _labels() -> dict:
    return settings()["report"]["labels"]


def sources(report: CoverageInputs) -> str:
    labels = _labels()
    names = settings()["sources"]
    quality, sensitive = coverage.source_quality(report)
    hidden = suppress(quality, sensitive)
    columns = ["files", "rows_read", "rows_staged", "rows_quarantined"]
    rows = counts_shown(hidden[columns])
    rows.loc[quality["files"] == 0, "files"] = labels["not_supplied"]
    rows[labels["id_valid_rate"]] = rate(hidden["id_valid"], hidden["id_rows"])
    rows = rows.rename(columns={c: labels[c] for c in columns})
    rows.index = [names.get(s, s) for s in rows.index]
    html = [table(rows, "")]

    statuses, sensitive = coverage.id_status_table(report)
    if not statuses.empty:
        id_rows = counts_shown(suppress(statuses, sensitive))
        id_rows.columns = [labels["id_statuses"].get(c, c) for c in id_rows.columns]
        id_rows.index = [names.get(s, s) for s in id_rows.index]
        html.append(table(id_rows, labels["id_status"]))
    return flow(html) + _expectations(report.expectations)


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
    summary = note(labels["expectations_summary"].format(n=len(results), failed=int((~ok).sum())))
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
    html = summary + table(counts, labels["suite"])
    if (~ok).any():
        failed = pd.DataFrame(
            {
                labels["expectation"]: _check_names(results)[~ok],
                labels["observed"]: results.loc[~ok, "observed"].map(_observed),
            }
        )
        failed.index = shown_suite[~ok]
        html += f"<h3>{escape(labels['failed_checks'])}</h3>"
        html += table(failed, labels["suite"], text_columns={labels["expectation"]})
    return html


def _suite_order(suites: list[str]) -> list[str]:
    """Sources in the configured order, then any other suite (the registry's) as found."""
    known = [s for s in settings()["sources"] if s in suites]
    return known + [s for s in suites if s not in known]


def linkage(report: CoverageInputs) -> str:
    labels = _labels()
    per_child = coverage.records_per_child(report).to_frame(labels["children"])
    html = [
        f"<h3>{escape(labels['records'])}</h3>"
        + table(counts_shown(per_child), labels["records"])
        + note(f"{labels['review_queue']}：{shown(report.review_queue)}")
    ]
    pairs, sensitive = coverage.links_by_source_pair(report)
    if len(pairs):
        counts = suppress(pairs[["children"]], sensitive)
        rows = counts_shown(counts).rename(columns={"children": labels["children"]})
        rows.insert(0, labels["source_b"], pairs["source_system_b"])
        rows.index = pairs["source_system_a"]
        html.append(table(rows, labels["source_a"], text_columns={labels["source_b"]}))
    return flow(html)


def organisation(report: CoverageInputs) -> str:
    labels = _labels()
    found = coverage.unstaffed_places(report)
    if found is None:
        return note(labels["no_staff"])
    townships, villages = found
    html = []
    for title, places in (
        (labels["townships_without_staff"], townships),
        (labels["villages_without_supervisor"], villages),
    ):
        html.append(f"<h3>{escape(title)}（{len(places):,}）</h3>")
        if places.empty:
            html.append(note(labels["none"]))
            continue
        named = sort_by_place(places).assign(county_code=county_labels(places["county_code"]))
        items = "".join(
            f"<li>{escape(' '.join(str(v) for v in row))}</li>" for row in named.itertuples(index=False)
        )
        html.append(f'<ul class="places">{items}</ul>')
    return "\n".join(html)
