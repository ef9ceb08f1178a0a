"""HTML pieces of the coverage report: tables of display strings, notes, rows side by side."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import pandas as pd

from reports.disclosure import shown


class Html(str):
    """Markup a table cell holds as is (a trend line); every other cell is escaped."""


def table(
    rows: pd.DataFrame,
    corner: str,
    total: str | None = None,
    text_columns: frozenset | set = frozenset(),
    css: str = "",
) -> str:
    """A frame of display strings as an HTML table; its index is the first column.

    Cells are right-aligned figures unless their column is in text_columns. A column named
    by a (group, name) tuple goes under its group's header, spanning a second header row.
    """
    head = _head([corner, *rows.columns])
    kinds = ["" if c in text_columns else ' class="num"' for c in rows.columns]
    body = []
    for label, cells in rows.iterrows():
        row_css = ' class="total"' if total is not None and label == total else ""
        tds = "".join(f"<td{k}>{_cell(c)}</td>" for k, c in zip(kinds, cells, strict=True))
        body.append(f"<tr{row_css}><td>{escape(str(label))}</td>{tds}</tr>")
    table_css = f' class="{css}"' if css else ""
    return (
        f'<div class="wrap"><table{table_css}><thead>{head}</thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _cell(value: object) -> str:
    return value if isinstance(value, Html) else escape(str(value))


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


def counts_shown(counts: pd.DataFrame) -> pd.DataFrame:
    return counts.astype(object).map(shown)


def rate(part: pd.Series, whole: pd.Series) -> pd.Series:
    """part / whole as a percentage; '—' when either is hidden or whole is 0."""
    out = []
    for p, w in zip(part, whole, strict=True):
        hidden = p is pd.NA or w is pd.NA
        out.append("—" if hidden or not w else f"{p / w:.1%}")
    return pd.Series(out, index=part.index)


def flow(blocks: Sequence[str]) -> str:
    """Blocks side by side while the page is wide enough, one under the other after."""
    return '<div class="flow">' + "".join(f"<div>{b}</div>" for b in blocks) + "</div>"


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'
