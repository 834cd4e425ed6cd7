"""The location picker's configuration: boundaries drawn from GeoJSON, a tile server allowed by
the page's Content-Security-Policy, and a point placed in its area when nothing else names one."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from civicdesk.intake.models import Complaint
from civicdesk.org.models import Area
from tests.citizen import submit, token_of

SQUARE = [[120.10, 30.25], [120.20, 30.25], [120.20, 30.32], [120.10, 30.32], [120.10, 30.25]]


@pytest.fixture
def settings_overrides(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "areas.geojson"
    feature = {
        "type": "Feature",
        "properties": {"code": "330106004", "name": "西溪街道"},
        "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return {"map_boundaries": path, "map_tile_url": "https://tiles.example.cn/{z}/{x}/{y}.png"}


def test_the_form_offers_the_map(client):
    page = client.get("/portal")
    assert 'data-boundaries="/portal/boundaries.json"' in page.text
    assert "本平台未配置地图底图" not in page.text
    assert (
        "img-src 'self' data: blob: https://tiles.example.cn;"
        in page.headers["content-security-policy"]
    )
    geo = client.get("/portal/boundaries.json")
    assert geo.status_code == 200 and geo.json()["features"][0]["properties"]["code"] == "330106004"


def test_a_point_alone_is_placed_by_the_boundaries(client, session):
    token_of(submit(client, address="", latitude="30.28", longitude="120.15", text="只选了点"))
    complaint = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert session.get(Area, complaint.street_id).code == "330106004"
