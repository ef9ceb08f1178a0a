"""The coverage report's follow-up sections: what departments answered back, the alerts held
for a review decision, and the sources that did not arrive whole. Counts, codes and file
names only; counts involving restricted children go through ``reports.disclosure.suppress``."""

from __future__ import annotations

from html import escape

import pandas as pd

from reports import coverage
from reports.config import settings
from reports.coverage import CoverageInputs
from reports.disclosure import suppress
from reports.markup import counts_shown, note, table

_RETURN_COUNTS = ["answered", "done", "in_progress", "disputed", "not_same_child", "rechecks"]


def _labels() -> dict:
    return settings()["report"]["labels"]


def returns(report: CoverageInputs) -> str:
    """Per department and county: alerts answered, by answer, rechecks, median days to 已办结."""
    labels = _labels()
    counts, sensitive = coverage.returns_table(report)
    if counts.empty:
        return note(labels["returns_none"])
    parts = ["done", "in_progress", "disputed", "not_same_child"]
    hidden = suppress(counts[_RETURN_COUNTS], sensitive, sums=[("answered", parts)])
    rows = counts_shown(hidden)
    # a median over hidden 已办结 answers would tell their number's neighbourhood: not shown
    days = counts["median_days_to_done"]
    rows["median_days_to_done"] = [
        "—" if d is None or pd.isna(d) or hidden.loc[i, "done"] is pd.NA else f"{float(d):g}"
        for i, d in days.items()
    ]
    rows.columns = [labels[c] for c in rows.columns]
    return note(labels["returns_note"]) + table(rows, labels["department"], css="compact")


def held(report: CoverageInputs) -> str:
    """Alerts held until a review decision (a department answered 非同一儿童), per alert."""
    labels = _labels()
    counts, sensitive = coverage.held_alerts(report)
    if counts.empty:
        return note(labels["held_none"])
    hidden = suppress(counts.to_frame("held"), sensitive)
    rows = counts_shown(hidden).rename(columns={"held": labels["held"]})
    return note(labels["held_note"]) + table(rows, labels["alert"], css="compact")


def incomplete(report: CoverageInputs) -> str:
    """Each source with a completeness reason: its 中文 name, the reasons (a restricted source's
    codes only: its details could say what it records), and whether the drop was confirmed."""
    labels = _labels()
    found = coverage.incomplete_sources(report)
    if not found:
        return note(labels["incomplete_none"])
    restricted = set(settings()["access"]["restricted_sources"])
    names = settings()["sources"]
    items = []
    for source, whole, reasons in found:
        state = labels["confirmed_drop"] if whole else labels["not_whole"]
        parts = []
        for reason in reasons:
            text = str(reason.get("code", ""))
            if source not in restricted and reason.get("detail"):
                text += f"：{reason['detail']}"
            if reason.get("confirmed"):
                text += f"（{labels['confirmed']}）"
            parts.append(f"<li>{escape(text)}</li>")
        items.append(
            f"<li><b>{escape(names.get(source, source))}</b> {escape(state)}<ul>{''.join(parts)}</ul></li>"
        )
    return note(labels["incomplete_note"]) + f'<ul class="incomplete">{"".join(items)}</ul>'
