"""The pages: dashboard (charts as JSON for plotly, tile map or choropleth), the report with its
downloads, plotly.js from our own route, hot spots with acknowledgement; who may see them."""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.app import create_app
from civicdesk.assessment import hotspot_alerts as ha
from civicdesk.assessment.hotspot_models import HotspotAlert
from civicdesk.clock import SHANGHAI
from civicdesk.settings import Settings
from tests import builders as b
from tests.assessment.test_dashboard_report import Data
from tests.assessment.test_pdf import pdf_text

FIXTURE = Path(__file__).parent / "fixtures" / "two_streets.geojson"
PERIOD = {"from": "2026-01-01", "to": "2026-07-31"}


def _client(session: Session, clock: Any, db_url: str, now: datetime, **settings: Any):  # type: ignore[no-untyped-def]
    app = create_app(
        Settings(database_url=db_url, secret_key="test-secret", **settings),
        engine=session.get_bind().engine,
        clock=clock,
    )
    app.state.sessionmaker = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    for role, username in (("leader", "lead"), ("dispatcher", "disp"), ("operator", "op")):
        b.user(session, role, now=now, username=username)
    session.flush()
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def web(session: Session, clock: Any, db_url: str, now: datetime) -> Iterator[TestClient]:
    with _client(session, clock, db_url, now) as client:
        yield client


def _login(client: TestClient, username: str) -> None:
    assert (
        client.post("/login", data={"username": username, "password": b.PASSWORD}).status_code
        == 303
    )


def _figures(page: str) -> dict[str, dict[str, Any]]:
    found = re.findall(
        r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>', page, re.S
    )
    return {key: json.loads(body) for key, body in found}


@pytest.fixture
def data(session: Session) -> Data:
    d = Data(session)
    for day in ("2026-02-01", "2026-02-02", "2026-03-01"):
        d.add(f"{day} 10:00", "清波街道", "construction_noise")
    d.add("2026-04-01 10:00", "湖滨街道", "illegal_parking")
    d.add("2025-04-01 10:00", "北山街道", "cooking_fumes")
    return d


def test_dashboard_charts_and_the_schematic_map(data: Data, web: TestClient) -> None:
    _login(web, "lead")
    response = web.get("/dashboard", params=PERIOD)
    assert response.status_code == 200, response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page = response.text
    assert "cdn" not in page.lower() and "https://" not in page
    assert re.search(r'<script src="/dashboard/plotly\.min\.js\?v=[0-9a-f]+"></script>', page)
    figures = _figures(page)
    assert set(figures) == {
        "chart-trend",
        "chart-categories",
        "chart-areas",
        "chart-ranking",
        "chart-map",
    }
    trend = figures["chart-trend"]["data"]
    assert trend[0]["y"][:8] == [0, 2, 1, 1, 0, 0, 0, None]
    assert trend[1]["y"][3] == 1
    areas = figures["chart-areas"]["data"][0]
    assert areas["x"][0] == "上城区" and areas["y"][0] == 4
    ranking = figures["chart-ranking"]["data"][0]
    assert ranking["y"][-1] == "清波街道" and ranking["x"][-1] == 3
    tiles = figures["chart-map"]["data"][0]
    assert tiles["marker"]["symbol"] == "square" and len(tiles["x"]) >= 50  # every street
    assert "示意图：未配置街道边界" in page
    assert ">4<" in page.replace(" ", "") or "4</div>" in page  # the total KPI


def test_dashboard_draws_the_configured_boundaries(
    session: Session, clock: Any, db_url: str, now: datetime, data: Data
) -> None:
    with _client(session, clock, db_url, now, map_boundaries=FIXTURE) as client:
        _login(client, "lead")
        page = client.get("/dashboard", params=PERIOD).text
    paths = [t for t in _figures(page)["chart-map"]["data"] if t.get("fill") == "toself"]
    assert [(p["name"], p["text"]) for p in paths] == [
        ("清波街道", "清波街道：3 件"),
        ("湖滨街道", "湖滨街道：1 件"),
        ("西湖水面", "西湖水面：0 件"),
    ]
    assert "two_streets.geojson" in page and "示意图" not in page


def test_plotly_is_served_by_us_with_caching(web: TestClient) -> None:
    response = web.get("/dashboard/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "immutable" in response.headers["cache-control"]
    assert "max-age=31536000" in response.headers["cache-control"]
    assert len(response.content) > 1_000_000 and b"plotly" in response.content[:2000].lower()
    etag = response.headers["etag"]
    assert web.get("/dashboard/plotly.min.js", headers={"If-None-Match": etag}).status_code == 304
    packed = web.get("/dashboard/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == response.content  # the client unpacked it


def test_gzip_body_is_the_bundle() -> None:
    from civicdesk.assessment.dashboard_pages import plotly_bundle

    raw, packed, _, version = plotly_bundle()
    assert gzip.decompress(packed) == raw and len(packed) < len(raw) / 2
    assert version


@pytest.mark.parametrize(
    "path", ["/dashboard", "/reports/assessment", "/hotspots", "/reports/assessment.xlsx"]
)
def test_only_leaders_dispatchers_admins(web: TestClient, path: str) -> None:
    assert web.get(path).status_code in (303, 401)  # not logged in
    _login(web, "op")
    assert web.get(path).status_code == 403


def test_report_page_and_downloads(data: Data, web: TestClient) -> None:
    _login(web, "disp")
    page = web.get("/reports/assessment", params=PERIOD)
    assert page.status_code == 200, page.text
    assert "2026年1-7月，主城区投诉总量4件，比去年同期增加3件，上升300.00%。" in page.text
    assert 'id="table-streets"' in page.text
    assert '<link rel="stylesheet" href="/static/dashboard.css">' in page.text
    assert "@media print" in web.get("/static/dashboard.css").text  # A4, no navigation
    assert "/reports/assessment.xlsx?from=2026-01-01&amp;to=2026-07-31" in page.text
    workbook = web.get("/reports/assessment.xlsx", params=PERIOD)
    assert workbook.status_code == 200
    assert "filename*=UTF-8''" in workbook.headers["content-disposition"]
    book = load_workbook(BytesIO(workbook.content))
    assert book["总体情况"]["B3"].value == 4 and book["总体情况"]["C3"].value == 1
    pdf = web.get("/reports/assessment.pdf", params=PERIOD)
    assert pdf.headers["content-type"] == "application/pdf"
    assert "主城区投诉总量4件" in pdf_text(pdf.content)


def test_bad_period_is_shown_on_the_page(web: TestClient) -> None:
    _login(web, "lead")
    response = web.get("/dashboard", params={"from": "2026-02-30", "to": "2026-03-01"})
    assert response.status_code == 422
    assert "日期无效" in response.text


def test_hotspot_page_lists_alerts_and_acknowledges(
    session: Session, data: Data, web: TestClient
) -> None:
    monday = date(2026, 3, 2)
    for i in range(30):
        data.add(f"{monday.isoformat()} 0{i % 9}:{i:02d}", "湖滨街道", "muck_dumping")
    ha.scan(session, now=datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI))
    alert = session.scalars(select(HotspotAlert).where(HotspotAlert.kind == "category")).one()
    assert alert.subject_name == "乱倒渣土"
    _login(web, "lead")
    page = web.get("/hotspots", params=PERIOD).text
    assert f'id="alert-{alert.id}"' in page and "乱倒渣土" in page and "待确认" in page
    assert "泊松检验" in page and "此前8周" in page
    assert "清波街道" in page  # top streets
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    refused = web.post(f"/hotspots/alerts/{alert.id}/acknowledge", data={"csrf": "x"})
    assert refused.status_code == 403
    done = web.post(
        f"/hotspots/alerts/{alert.id}/acknowledge", data={"csrf": csrf, "note": "已派中队核查"}
    )
    assert done.status_code == 303
    session.refresh(alert)
    assert alert.status == "acknowledged" and alert.note == "已派中队核查"
    assert "已派中队核查" in web.get("/hotspots").text


def test_figures_drill_down_to_their_complaints(data: Data, web: TestClient) -> None:
    """The report's and the dashboard's figures link to the engine's drill-down page, which
    lists as many complaints as the figure says."""
    _login(web, "lead")
    page = web.get("/reports/assessment", params=PERIOD).text
    links = re.findall(r'<a href="(/assessment/drill\?[^"]+)" title="查看明细">([^<]+)</a>', page)
    by_measure = {html.unescape(url): shown for url, shown in links}
    total = "/assessment/drill?measure=complaints&from=2026-01-01&to=2026-07-31"
    assert by_measure[total] == "4"
    last_year = total + "&which=last_year"
    assert by_measure[last_year] == "1"
    for url, shown in [(total, "4"), (last_year, "1")]:
        drilled = web.get(url)
        assert drilled.status_code == 200, drilled.text
        assert f'<span id="drill-total">{shown}</span>' in drilled.text
    district = next(u for u in by_measure if "area=330102" in u)
    assert by_measure[district] == "4"  # 上城区
    dashboard = web.get("/dashboard", params=PERIOD).text
    assert 'href="/assessment/drill?measure=repeats&amp;from=2026-01-01' in dashboard
