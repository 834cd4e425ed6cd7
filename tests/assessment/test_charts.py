"""Chart figures from plain numbers: their traces, colours and the two kinds of map."""

from __future__ import annotations

import json
from pathlib import Path

from civicdesk.assessment import charts
from civicdesk.portal.geo import load_boundaries

FIXTURE = Path(__file__).parent / "fixtures" / "two_streets.geojson"


def test_trend_has_this_year_and_last_year_on_the_same_months():
    figure = charts.trend(["1月", "2月", "3月"], [5, 7, None], [9, 8, 6], title="趋势")
    this, last = figure["data"]
    assert this["x"] == last["x"] == ["1月", "2月", "3月"]
    assert this["y"] == [5, 7, None]  # a month not yet begun is a gap, not zero
    assert last["y"] == [9, 8, 6]
    assert this["name"] == "今年" and last["name"] == "去年"
    json.dumps(figure)  # plain JSON, ready for the page


def test_bars_colour_marked_categories_apart():
    figure = charts.bars(["噪声", "摊贩"], [3, 4], [1, 2], title="类别", marked=[True, False])
    assert figure["data"][0]["marker"]["color"] == [charts.HOT, charts.BAR]
    assert figure["data"][1]["y"] == [1, 2]
    assert figure["layout"]["barmode"] == "group"


def test_ranking_puts_the_first_at_the_top():
    figure = charts.ranking(["甲", "乙", "丙"], [30, 20, 10], title="排名", value_title="件")
    bar = figure["data"][0]
    # Plotly draws horizontal categories bottom-up: the first ranked is listed last.
    assert bar["y"] == ["丙", "乙", "甲"] and bar["x"] == [10, 20, 30]


def test_colour_scale_ends_and_middle():
    assert charts.colour_at(0) == "#fff5f0"
    assert charts.colour_at(1) == "#67000d"
    assert charts.colour_at(0.5) == "#fb6a4a"
    assert charts.colour_at(2) == "#67000d"  # clipped
    between = charts.colour_at(0.125)
    assert between not in ("#fff5f0", "#fcbba1")


def test_tile_map_has_one_tile_per_street_and_a_row_per_district():
    tiles = [
        charts.Tile("上城区", "清波街道", "a", 10, 2),
        charts.Tile("上城区", "湖滨街道", "b", 0),
        charts.Tile("西湖区", "北山街道", "c", 40),
    ]
    figure = charts.tile_map(tiles, title="示意图")
    trace = figure["data"][0]
    assert trace["x"] == [0, 1, 0] and trace["y"] == [0, 0, -1]
    assert trace["marker"]["color"] == [10, 0, 40]
    assert trace["marker"]["cmax"] == 40
    assert figure["layout"]["yaxis"]["ticktext"] == ["上城区", "西湖区"]
    assert "重复 2 件" in trace["hovertext"][0]


def test_choropleth_fills_each_configured_area_by_its_count():
    boundaries = load_boundaries(FIXTURE)
    figure = charts.choropleth(boundaries, {"330102001": 5, "330102003": 10}, title="地图")
    paths = [t for t in figure["data"] if t.get("fill") == "toself"]
    assert [p["name"] for p in paths] == ["清波街道", "湖滨街道", "西湖水面"]
    assert paths[0]["fillcolor"] == charts.colour_at(0.5)
    assert paths[1]["fillcolor"] == charts.colour_at(1.0)
    assert paths[2]["fillcolor"] == charts.colour_at(0.0)  # no code: no complaints
    # The hole of 湖滨 follows its outer ring after a break.
    assert paths[1]["x"].count(None) == 2
    assert paths[1]["text"] == "湖滨街道：10 件"
    colour_bar = figure["data"][-1]
    assert colour_bar["marker"]["cmax"] == 10
    # Longitude is shortened by cos(latitude) so that the map is not stretched.
    assert 1.14 < figure["layout"]["yaxis"]["scaleratio"] < 1.17
