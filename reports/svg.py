"""Inline SVG for the coverage report: small trend lines and the county map. No script, no
network: the page must open on an intranet.

A suppressed value (None) never sets a length or a height: a trend draws it as a hollow
mark on the axis, the map greys its county, whatever the true count.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from functools import cache
from html import escape
from pathlib import Path

MAP_FILE = Path(__file__).with_name("map") / "panzhihua_counties.geojson"
SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'

SPARK_W, SPARK_H, SPARK_PAD = 150, 30, 5


def sparkline(
    points: Sequence[str], series: Mapping[str, Sequence[int | None]], colours: Sequence[str], caption: str
) -> str:
    """A small line per series over the syncs (``points``: one label per sync, oldest first).

    The y axis starts at 0 and ends at the largest shown value, so a line's height is honest;
    a single sync gives a point, not a line.
    """
    shown = [v for vs in series.values() for v in vs if v is not None]
    top = max(shown, default=0) or 1
    n = len(points)
    inner_w, inner_h = SPARK_W - 2 * SPARK_PAD, SPARK_H - 2 * SPARK_PAD

    def xy(i: int, value: int) -> tuple[float, float]:
        x = SPARK_PAD + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)
        return x, SPARK_PAD + inner_h * (1 - value / top)

    parts = [
        f'<svg class="trend" viewBox="0 0 {SPARK_W} {SPARK_H}" width="{SPARK_W}" height="{SPARK_H}" '
        f'role="img" aria-label="{escape(caption)}" {SVG_NS}>',
        f'<line class="axis" x1="{SPARK_PAD}" y1="{SPARK_H - SPARK_PAD}" x2="{SPARK_W - SPARK_PAD}" '
        f'y2="{SPARK_H - SPARK_PAD}"/>',
    ]
    for i, (name, values) in enumerate(series.items()):
        colour = colours[i % len(colours)]
        run: list[str] = []
        for i, value in enumerate(values):
            if value is None:
                parts.append(_polyline(run, colour))
                run = []
                x, _ = xy(i, 0)
                parts.append(
                    f'<circle class="pt hidden" cx="{x:.1f}" cy="{SPARK_H - SPARK_PAD}" r="2.5" fill="#fff" '
                    f'stroke="{colour}"><title>{escape(points[i])} {escape(name)}：&lt;10</title></circle>'
                )
                continue
            x, y = xy(i, value)
            run.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle class="pt" cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(points[i])} {escape(name)}：{value:,}</title></circle>"
            )
        parts.append(_polyline(run, colour))
    parts.append("</svg>")
    return "".join(p for p in parts if p)


def _polyline(run: list[str], colour: str) -> str:
    if len(run) < 2:
        return ""
    return (
        f'<polyline class="line" points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="1.6"/>'
    )


@cache
def counties() -> tuple[dict, ...]:
    """The five counties' boundaries (GeoJSON features, from the file's noted source package)."""
    return tuple(json.loads(MAP_FILE.read_text(encoding="utf-8"))["features"])


def map_source() -> dict[str, str]:
    """Where the boundaries come from: package, version, licence, processing."""
    return json.loads(MAP_FILE.read_text(encoding="utf-8"))["source"]


MAP_W, MAP_H, MAP_PAD = 420, 400, 8


def choropleth(
    values: Mapping[str, tuple[float | None, str]], colours: Sequence[str], missing: str, caption: str
) -> str:
    """The counties shaded by a share in [0, 1] (``values``: county code -> (share or None, label)).

    Equirectangular: x = longitude × cos(mean latitude), y = latitude, fitted to the box.
    Shares fall into len(colours) equal bins; None is drawn in ``missing``.
    """
    rings = {f["id"]: [r for poly in f["geometry"]["coordinates"] for r in poly] for f in counties()}
    points = [p for rs in rings.values() for r in rs for p in r]
    lat0 = math.radians(sum(p[1] for p in points) / len(points))
    xs = [p[0] * math.cos(lat0) for p in points]
    ys = [p[1] for p in points]
    scale = min((MAP_W - 2 * MAP_PAD) / (max(xs) - min(xs)), (MAP_H - 2 * MAP_PAD) / (max(ys) - min(ys)))

    def project(lon: float, lat: float) -> tuple[float, float]:
        return MAP_PAD + (lon * math.cos(lat0) - min(xs)) * scale, MAP_PAD + (max(ys) - lat) * scale

    parts = [
        f'<svg class="map" viewBox="0 0 {MAP_W} {MAP_H}" width="{MAP_W}" height="{MAP_H}" role="img" '
        f'aria-label="{escape(caption)}" {SVG_NS}>'
    ]
    labels = []
    for code, county_rings in rings.items():
        share, label = values.get(code, (None, ""))
        fill = missing if share is None else colours[min(int(share * len(colours)), len(colours) - 1)]
        # "M x,y x,y … Z": no command letter touches a number (no "L99.9" to read as a diagnosis code)
        path = " ".join(
            "M " + " ".join("{:.1f},{:.1f}".format(*project(*p)) for p in ring) + " Z"
            for ring in county_rings
        )
        parts.append(
            f'<path class="county" data-code="{code}" d="{path}" fill="{fill}" stroke="#fff" '
            f'stroke-width="1.2"><title>{escape(label)}</title></path>'
        )
        x, y = project(*_centre(max(county_rings, key=_area)))
        labels.append(
            f'<text class="mlabel" x="{x:.1f}" y="{y:.1f}" text-anchor="middle">'
            + "".join(
                f'<tspan x="{x:.1f}" dy="{0 if i == 0 else 14}">{escape(line)}</tspan>'
                for i, line in enumerate(label.split("\n"))
            )
            + "</text>"
        )
    parts += labels
    parts.append("</svg>")
    return "".join(parts)


def _area(ring: list[list[float]]) -> float:
    return abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:], strict=False))) / 2


def _centre(ring: list[list[float]]) -> tuple[float, float]:
    """The ring's centroid (its largest part's, for a label)."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return (cx / (3 * a), cy / (3 * a)) if a else tuple(ring[0])
