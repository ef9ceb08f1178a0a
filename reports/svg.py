"""Horizontal grouped bar charts as inline SVG: the report must open offline, with no script.

A suppressed value (None) is drawn as a fixed dashed box labelled "<10", whatever
the true count: a bar's length must not give back what the label hides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from reports.config import settings

WIDTH = 1160
LABEL_MIN, LABEL_MAX = 90, 320  # room for group labels, sized to the longest
GLABEL_SIZE, LEGEND_SIZE = 13, 12  # font sizes (px), as in the page's CSS
VALUE_ROOM = 70
BAR = 13
BAR_GAP = 2
GROUP_GAP = 12
LEGEND = 28  # height of one legend line, with the gap under it
SUPPRESSED_BAR = 26


def bar_chart(groups: Sequence[str], series: Mapping[str, Sequence[int | None]], caption: str) -> str:
    """An SVG chart: for each group (a county, a category …) one bar per series."""
    palette = settings()["report"]["palette"]
    left = min(max([LABEL_MIN, *(_text_width(g, GLABEL_SIZE) + 16 for g in groups)]), LABEL_MAX)
    plot = WIDTH - left - VALUE_ROOM
    values = [v for vs in series.values() for v in vs if v is not None]
    top = max(values, default=0) or 1
    group_height = len(series) * (BAR + BAR_GAP) - BAR_GAP + GROUP_GAP
    legend, legend_height = _legend(list(series), palette, left)
    height = legend_height + len(groups) * group_height + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(caption)}" xmlns="http://www.w3.org/2000/svg">',
        *legend,
        f'<line x1="{left:.1f}" y1="{legend_height - 4}" x2="{left:.1f}" y2="{height}" class="axis"/>',
    ]
    for g, group in enumerate(groups):
        y0 = legend_height + g * group_height
        mid = y0 + (group_height - GROUP_GAP) / 2
        parts.append(
            f'<text x="{left - 10}" y="{mid:.1f}" class="glabel" text-anchor="end" '
            f'dominant-baseline="middle">{escape(group)}</text>'
        )
        for s, (name, vs) in enumerate(series.items()):
            y = y0 + s * (BAR + BAR_GAP)
            parts.append(_bar(vs[g], left, y, plot, top, palette[s % len(palette)], name))
    parts.append("</svg>")
    return "\n".join(parts)


def _text_width(text: str, size: int) -> float:
    """Rough rendered width: a CJK character is square, a Latin one about 0.6 of it."""
    return sum(size if ord(ch) > 0x2E7F else 0.6 * size for ch in text)


def _legend(names: list[str], palette: list[str], left: float) -> tuple[list[str], int]:
    """The legend's SVG elements and its height: entries wrap onto further lines at the right edge."""
    out, x, line = [], left, 0
    for i, name in enumerate(names):
        width = 17 + _text_width(name, LEGEND_SIZE)
        if x > left and x + width > WIDTH:
            x, line = left, line + 1
        y = 6 + line * (LEGEND - 8)
        out.append(
            f'<rect x="{x:.1f}" y="{y}" width="12" height="12" rx="2" fill="{palette[i % len(palette)]}"/>'
        )
        out.append(f'<text x="{x + 17:.1f}" y="{y + 10}" class="legend">{escape(name)}</text>')
        x += width + 22
    return out, LEGEND + line * (LEGEND - 8)


def _bar(value: int | None, left: float, y: float, plot: float, top: int, colour: str, name: str) -> str:
    if value is None:
        label = escape(settings()["access"]["small_cell_label"])
        return (
            f'<rect x="{left:.1f}" y="{y}" width="{SUPPRESSED_BAR}" height="{BAR}" fill="none" '
            f'stroke="{colour}" stroke-dasharray="3 2"/>'
            f'<text x="{left + SUPPRESSED_BAR + 5:.1f}" y="{y + BAR - 2}" class="value">{label}</text>'
        )
    width = max(value / top * plot, 1 if value else 0)
    return (
        f'<rect x="{left:.1f}" y="{y}" width="{width:.1f}" height="{BAR}" rx="2" fill="{colour}">'
        f"<title>{escape(name)}：{value:,}</title></rect>"
        f'<text x="{left + width + 5:.1f}" y="{y + BAR - 2}" class="value">{value:,}</text>'
    )
