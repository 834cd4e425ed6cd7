"""The dashboard from the DuckDB copy gives the live dashboard's numbers, and says how fresh."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.assessment import dashboard_fast
from civicdesk.assessment.analytical import refresh
from civicdesk.assessment.dashboard_pages import live_counts
from civicdesk.assessment.scheme_models import Appeal
from civicdesk.clock import SHANGHAI
from civicdesk.intake.models import Complaint
from civicdesk.org.models import Unit
from civicdesk.reports.periods import Period
from civicdesk.reports.summary import resolve_area
from tests.assessment.test_dashboard_pages import PERIOD, _client, _figures, _login
from tests.assessment.test_dashboard_report import Data, data  # noqa: F401 (fixture)

REFRESHED = datetime(2026, 8, 3, 6, 0, tzinfo=SHANGHAI)
PERIODS = (
    Period(date(2026, 1, 1), date(2026, 7, 31)),
    Period(date(2026, 2, 2), date(2026, 5, 5)),  # odd days
    Period(date(2027, 1, 1), date(2027, 1, 31)),  # nothing this period, the year before data
)


@pytest.fixture
def copy(session: Session, data: Data, tmp_path: Path) -> Path:  # noqa: F811
    # Beyond the shared data: an unlocated and an unclassified complaint, and an approved
    # appeal (the live dashboard counts appealed complaints, so the copy's must too).
    loose = data.add("2026-03-09 10:00", "清波街道", "illegal_parking")
    loose.district_id = loose.street_id = loose.area_id = None
    odd = data.add("2026-04-09 10:00", "北山街道", "cooking_fumes")
    odd.category_id = None
    appealed = session.scalars(select(Complaint).order_by(Complaint.id)).first()
    unit = session.scalars(select(Unit).order_by(Unit.id)).first()
    session.add(
        Appeal(
            complaint_id=appealed.id,
            unit_id=unit.id,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 7, 31),
            reason_kind="other",
            reason="测试核减理由",
            status="approved",
            filed_at=REFRESHED,
            decided_at=REFRESHED,
            decision_reason="同意核减",
        )
    )
    session.flush()
    path = tmp_path / "facts.duckdb"
    refresh(session, path, now=REFRESHED)
    return path


def _plain(counts: tuple) -> tuple:
    report, trend, children, streets = counts
    return report, trend, children, streets


@pytest.mark.parametrize("area_code", [None, "上城区", "西湖区"])
def test_the_copy_gives_the_live_dashboard_numbers(
    session: Session, copy: Path, area_code: str | None
) -> None:
    area = resolve_area(session, area_code)
    compared = 0
    for period in PERIODS:
        live = live_counts(session, period, area)
        fast = dashboard_fast.dashboard_counts(session, period=period, area=area, path=copy)
        assert fast.refreshed_at == REFRESHED
        assert (fast.report, fast.trend, fast.children, fast.streets) == _plain(live), period
        compared += len(fast.children) + len(fast.streets) + len(fast.report.categories)
    assert compared > 50
    # Not all zeros: the shared data has complaints, an unlocated and an unclassified one.
    if area_code is None:
        first = dashboard_fast.dashboard_counts(session, period=PERIODS[0], area=area, path=copy)
        assert first.report.total.current == 8
        assert any(r.code is None for r in first.children)
        assert any(r.code is None for r in first.report.categories)


def test_a_street_dashboard_stays_live(session: Session, copy: Path) -> None:
    street = resolve_area(session, "清波街道")
    assert not dashboard_fast.supported(street)
    with pytest.raises(ValueError):
        dashboard_fast.dashboard_counts(session, period=PERIODS[0], area=street, path=copy)


def test_the_page_says_where_its_figures_come_from(
    session: Session, clock: Any, db_url: str, now: datetime, copy: Path, tmp_path: Path
) -> None:
    pages = {}
    made = False
    for name, setting in (("live", None), ("copy", copy), ("missing", tmp_path / "none.duckdb")):
        with _web(session, clock, db_url, now, made, analytics_duckdb=setting) as client:
            made = True
            _login(client, "lead")
            response = client.get("/dashboard", params=PERIOD)
            assert response.status_code == 200, response.text
            pages[name] = response.text
    assert "数据截至 2026-08-03 06:00（分析库）" in pages["copy"]
    assert "数据截至" not in pages["live"] and "分析库尚未生成" in pages["missing"]
    assert _figures(pages["copy"]) == _figures(pages["live"])
    kpis = [re.search(r'id="kpis">(.*?)</div>\s*<div id="chart', p, re.S) for p in pages.values()]
    assert kpis[0] and kpis[1] and kpis[0].group(1) == kpis[1].group(1)


def _web(session: Session, clock: Any, db_url: str, now: datetime, made: bool, **settings: Any):  # type: ignore[no-untyped-def]
    """``_client`` of the page tests; the users only once."""
    if not made:
        return _client(session, clock, db_url, now, **settings)
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import sessionmaker

    from civicdesk.app import create_app
    from civicdesk.settings import Settings

    app = create_app(
        Settings(database_url=db_url, secret_key="test-secret", **settings),
        engine=session.get_bind().engine,
        clock=clock,
    )
    app.state.sessionmaker = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return TestClient(app, follow_redirects=False)


def test_a_copy_from_before_the_new_columns_is_refused_clearly(
    session: Session, copy: Path, tmp_path: Path
) -> None:
    import duckdb

    from civicdesk.assessment.engine import evaluate
    from civicdesk.errors import ConfigurationError

    old = tmp_path / "old.duckdb"
    old.write_bytes(copy.read_bytes())
    con = duckdb.connect(str(old))
    con.execute("ALTER TABLE facts_daily DROP COLUMN filed_on_time")
    con.close()
    with pytest.raises(ConfigurationError, match="重新运行"):
        evaluate(session, period=PERIODS[0], backend="duckdb", duckdb_path=old)
