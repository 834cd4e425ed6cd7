"""Chart figures as plain plotly JSON (``{"data": [...], "layout": {...}}``) from plain numbers.

The pages draw them with plotly.js served by our own route (``dashboard_pages.plotly_js``), never
a CDN. Nothing here queries the database or imports plotly: the figures are dictionaries, so they
are cheap to build, easy to test, and the same numbers feed the PDF's reportlab charts.

Maps are drawn without plotly's ``geo`` module (which fetches base-map topojson from the
internet): a configured boundary file becomes filled SVG paths on plain x/y axes (longitude,
latitude, the aspect fixed by cos(latitude)); without one, a schematic tile map shows one tile per
street, a row per district.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from civicdesk.portal.geo import Boundary

THIS_YEAR = "#c0392b"
LAST_YEAR = "#95a5a6"
BAR = "#2c6fbb"
HOT = "#d35400"
FONT = {"family": "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif", "size": 12}
# Sequential scale for counts (light → dark red), as [position, colour] pairs.
SCALE = [
    [0.0, "#fff5f0"],
    [0.25, "#fcbba1"],
    [0.5, "#fb6a4a"],
    [0.75, "#cb181d"],
    [1.0, "#67000d"],
]

Figure = dict[str, Any]


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "x": 0.01, "font": {"size": 15}},
        "font": FONT,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {"orientation": "h", "y": -0.15},
    }
    layout.update(extra)
    return layout


def trend(
    labels: Sequence[str],
    this_year: Sequence[int | None],
    last_year: Sequence[int | None],
    *,
    title: str,
    names: tuple[str, str] = ("今年", "去年"),
) -> Figure:
    """Monthly complaints, this year against last: two lines on the same month axis."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": names[0],
                "x": list(labels),
                "y": list(this_year),
                "line": {"color": THIS_YEAR, "width": 3},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": names[1],
                "x": list(labels),
                "y": list(last_year),
                "line": {"color": LAST_YEAR, "width": 2, "dash": "dot"},
            },
        ],
        "layout": _layout(title, yaxis={"title": {"text": "件"}, "rangemode": "tozero"}),
    }


def bars(
    labels: Sequence[str],
    current: Sequence[int],
    previous: Sequence[int] | None = None,
    *,
    title: str,
    marked: Sequence[bool] | None = None,
    names: tuple[str, str] = ("本期", "去年同期"),
) -> Figure:
    """Grouped bars: this period (marked bars, e.g. hot spots, in their own colour), last year."""
    colours = [HOT if m else BAR for m in (marked or [False] * len(labels))]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": names[0],
            "x": list(labels),
            "y": list(current),
            "marker": {"color": colours},
        }
    ]
    if previous is not None:
        data.append(
            {
                "type": "bar",
                "name": names[1],
                "x": list(labels),
                "y": list(previous),
                "marker": {"color": LAST_YEAR},
            }
        )
    return {"data": data, "layout": _layout(title, barmode="group", xaxis={"tickangle": -35})}


def ranking(
    names: Sequence[str], values: Sequence[float], *, title: str, value_title: str
) -> Figure:
    """Horizontal bars, first ranked at the top."""
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": list(values)[::-1],
                "y": list(names)[::-1],
                "marker": {"color": BAR},
                "name": value_title,
            }
        ],
        "layout": _layout(
            title,
            margin={"l": 140, "r": 20, "t": 50, "b": 40},
            xaxis={"title": {"text": value_title}},
            height=max(300, 26 * len(names) + 100),
        ),
    }


def colour_at(fraction: float) -> str:
    """The colour of SCALE at 0..1, interpolated (for paths drawn one by one)."""
    fraction = min(1.0, max(0.0, fraction))
    for (x0, c0), (x1, c1) in itertools.pairwise(SCALE):
        if fraction <= x1:
            t = 0.0 if x1 == x0 else (fraction - x0) / (x1 - x0)
            rgb = [
                round(
                    int(c0[i : i + 2], 16) + t * (int(c1[i : i + 2], 16) - int(c0[i : i + 2], 16))
                )
                for i in (1, 3, 5)
            ]
            return "#" + "".join(f"{v:02x}" for v in rgb)
    return SCALE[-1][1]  # type: ignore[return-value]


@dataclass(frozen=True)
class Tile:
    district: str
    street: str
    code: str
    value: int
    repeats: int = 0


def tile_map(tiles: Sequence[Tile], *, title: str) -> Figure:
    """A schematic map: one square per street, a row per district, coloured by complaints."""
    rows: dict[str, list[Tile]] = {}
    for tile in tiles:
        rows.setdefault(tile.district, []).append(tile)
    top = max((t.value for t in tiles), default=0) or 1
    x, y, text, colour, hover = [], [], [], [], []
    for row, (district, members) in enumerate(rows.items()):
        for column, tile in enumerate(members):
            x.append(column)
            y.append(-row)
            text.append(tile.street[:4])
            colour.append(tile.value)
            hover.append(
                f"{district} {tile.street}<br>投诉 {tile.value} 件<br>重复 {tile.repeats} 件"
            )
    width = max((len(m) for m in rows.values()), default=1)
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers+text",
                "x": x,
                "y": y,
                "text": text,
                "hovertext": hover,
                "hoverinfo": "text",
                "textfont": {"size": 10},
                "marker": {
                    "symbol": "square",
                    "size": 44,
                    "color": colour,
                    "colorscale": SCALE,
                    "cmin": 0,
                    "cmax": top,
                    "showscale": True,
                    "colorbar": {"title": {"text": "件"}},
                    "line": {"color": "#888", "width": 1},
                },
                "showlegend": False,
            }
        ],
        "layout": _layout(
            title,
            height=max(260, 58 * len(rows) + 90),
            margin={"l": 110, "r": 20, "t": 50, "b": 20},
            xaxis={"visible": False, "range": [-0.7, width - 0.3]},
            yaxis={
                "tickmode": "array",
                "tickvals": [-i for i in range(len(rows))],
                "ticktext": list(rows),
                "showgrid": False,
                "zeroline": False,
                "range": [-len(rows) + 0.4, 0.6],
            },
        ),
    }


def choropleth(boundaries: Sequence[Boundary], values: Mapping[str, int], *, title: str) -> Figure:
    """Filled boundary paths coloured by ``values[code]`` (areas without a code are outlines)."""
    top = max(values.values(), default=0) or 1
    data: list[dict[str, Any]] = []
    lats: list[float] = []
    for boundary in boundaries:
        value = values.get(boundary.code or "", 0)
        fill = colour_at(value / top)
        for rings in boundary.polygons:
            xs: list[float | None] = []
            ys: list[float | None] = []
            for ring in rings:  # holes follow the outer ring, split by None (evenodd fill)
                xs += [p[0] for p in ring] + [None]
                ys += [p[1] for p in ring] + [None]
                lats += [p[1] for p in ring]
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "fill": "toself",
                    "fillcolor": fill,
                    "x": xs,
                    "y": ys,
                    "line": {"color": "#555", "width": 1},
                    "name": boundary.name,
                    "text": f"{boundary.name}：{value} 件",
                    "hoveron": "fills",
                    "hoverinfo": "text",
                    "showlegend": False,
                }
            )
    # An invisible trace carries the colour bar.
    data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "x": [None],
            "y": [None],
            "hoverinfo": "skip",
            "showlegend": False,
            "marker": {
                "color": [0],
                "colorscale": SCALE,
                "cmin": 0,
                "cmax": top,
                "showscale": True,
                "colorbar": {"title": {"text": "件"}},
            },
        }
    )
    middle = (min(lats) + max(lats)) / 2 if lats else 30.0
    return {
        "data": data,
        "layout": _layout(
            title,
            height=520,
            xaxis={"visible": False},
            yaxis={
                "visible": False,
                "scaleanchor": "x",
                # One degree of longitude is shorter than one of latitude by cos(latitude).
                "scaleratio": 1 / max(0.1, math.cos(math.radians(middle))),
            },
        ),
    }
