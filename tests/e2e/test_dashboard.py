"""In a real browser: a leader opens the dashboard, the report and the hot spots; every chart is
drawn by plotly.js served from our own server (an SVG in each chart), and no request leaves
localhost — the pages work offline, no CDN."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from civicdesk.accounts.service import create_user
from civicdesk.app import create_app
from civicdesk.clock import SHANGHAI
from civicdesk.config.loader import load_config
from civicdesk.db import make_engine
from civicdesk.intake.models import Channel, Complaint
from civicdesk.migrate import upgrade
from civicdesk.org.models import Area
from civicdesk.settings import Settings
from civicdesk.taxonomy.models import Category
from tests import builders as b
from tests.e2e.test_journey import login
from tests.live_server import serving

pytestmark = pytest.mark.browser
CHARTS = ("chart-trend", "chart-categories", "chart-areas", "chart-ranking", "chart-map")


def _complaints(session: Session) -> None:
    """A few hundred complaints over this year and last, in every district."""
    channel = session.scalars(select(Channel).order_by(Channel.id)).first()
    streets = session.scalars(select(Area).where(Area.level == "street").order_by(Area.id)).all()
    hot = session.scalars(select(Category).where(Category.hotspot.is_(True))).all()
    start = datetime(datetime.now(SHANGHAI).year - 1, 1, 1, 9, tzinfo=SHANGHAI)
    now = datetime.now(UTC)
    rows = []
    for i in range(600):
        at = start + timedelta(days=i * 1.1, hours=i % 9)
        if at >= now:
            break
        street = streets[(i * 7) % len(streets)]
        rows.append(
            {
                "channel_id": channel.id,  # type: ignore[union-attr]
                "received_at": at,
                "created_at": at,
                "text": "测试投诉",
                "district_id": street.parent_id,
                "street_id": street.id,
                "area_id": street.id,
                "category_id": hot[i % len(hot)].id,
            }
        )
    session.execute(insert(Complaint), rows)


@pytest.fixture(scope="module")
def dashboard_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("dashboard") / "live.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.flush()
        create_user(
            session,
            username="lead",
            password=b.PASSWORD,
            display_name="领导",
            role="leader",
            unit=None,
            now=datetime.now(UTC),
        )
        _complaints(session)
        session.commit()
    app = create_app(Settings(database_url=url, secret_key="e2e"), engine=engine)
    with serving(app) as base:
        yield base
    engine.dispose()


@pytest.fixture
def leader_page(browser, dashboard_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", base_url=dashboard_server
    )
    outside: list[str] = []

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        # Anything not addressed to our server is recorded and refused.
        if route.request.url.startswith(dashboard_server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(20000)
    page.outside = outside  # type: ignore[attr-defined]
    yield page
    context.close()


def test_leader_sees_every_chart_drawn_offline(leader_page) -> None:  # type: ignore[no-untyped-def]
    page = leader_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, "lead")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/dashboard")
    for chart in CHARTS:
        page.wait_for_selector(f"#{chart}[data-rendered] svg.main-svg")
    # Plotly drew the data: the trend has two lines, the tile map a square per street.
    assert page.locator("#chart-trend .scatterlayer .trace").count() == 2
    assert page.locator("#chart-map .scatterlayer .point").count() >= 50
    assert "示意图" in page.locator("#map-note").inner_text()
    assert "投诉总量" in page.locator("#kpis").inner_text()
    assert errors == []
    assert page.outside == []


def test_report_page_charts_and_hotspots(leader_page) -> None:  # type: ignore[no-untyped-def]
    page = leader_page
    login(page, "lead")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/reports/assessment")
    page.wait_for_selector("#chart-1[data-rendered] svg.main-svg")
    assert "投诉总量" in page.locator("#narrative").inner_text()
    assert page.locator("#table-streets tbody tr").count() >= 50
    with page.expect_download() as download:
        page.click("text=下载 Excel 报表")
    assert download.value.suggested_filename.endswith(".xlsx")
    page.goto("/hotspots")
    page.wait_for_selector("#chart-hotspot-trend[data-rendered] svg.main-svg")
    assert page.locator("#chart-hotspot-trend .scatterlayer .trace").count() == 9
    assert page.outside == []
