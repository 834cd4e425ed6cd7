from __future__ import annotations

import json

import pytest

from civicdesk.triage.geo import area_at, gcj02_to_wgs84, wgs84_to_gcj02


def test_gcj02_round_trip_is_within_a_metre():
    lon, lat = 120.1300, 30.2700  # 西湖区
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert abs(glon - lon) > 0.001  # GCJ-02 is offset by hundreds of metres
    back = gcj02_to_wgs84(glon, glat)
    assert abs(back[0] - lon) < 1e-5 and abs(back[1] - lat) < 1e-5


def test_outside_china_is_not_shifted():
    assert wgs84_to_gcj02(-0.1, 51.5) == (-0.1, 51.5)


def test_point_in_configured_polygon(tmp_path):
    square = [[120.10, 30.25], [120.15, 30.25], [120.15, 30.30], [120.10, 30.30], [120.10, 30.25]]
    path = tmp_path / "b.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "330106004", "name": "西溪街道"},
                        "geometry": {"type": "Polygon", "coordinates": [square]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    assert area_at(path, 120.12, 30.27) == "330106004"
    assert area_at(path, 120.20, 30.27) is None
    glon, glat = wgs84_to_gcj02(120.12, 30.27)
    assert area_at(path, glon, glat, system="gcj02") == "330106004"
    assert area_at(None, 120.12, 30.27) is None
    with pytest.raises(ValueError):
        area_at(path, 120.12, 30.27, system="bd09")
