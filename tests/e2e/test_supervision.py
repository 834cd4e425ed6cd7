"""Supervision in a real browser: a dispatcher sees an overdue case on the board and urges it;
the unit finds the notice in its inbox and acknowledges it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from civicdesk.accounts.service import create_user
from civicdesk.app import create_app
from civicdesk.cases.service import perform
from civicdesk.config.loader import load_config
from civicdesk.core.calendar import WorkCalendar
from civicdesk.core.workflow import CaseAction as A
from civicdesk.db import make_engine
from civicdesk.migrate import upgrade
from civicdesk.settings import Settings
from tests import builders as b
from tests.e2e.test_journey import login, logout
from tests.live_server import serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def overdue_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server whose database holds one case dispatched three days ago, never accepted."""
    path: Path = tmp_path_factory.mktemp("supervision") / "live.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    now = datetime.now(UTC)
    calendar = WorkCalendar(assume_weekdays_for_unknown=True)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.flush()
        squadron = b.unit_by_name(session, "西溪中队")
        users = {
            name: create_user(
                session,
                username=name,
                password=b.PASSWORD,
                display_name=label,
                role=role,
                unit=unit,
                now=now,
            )
            for name, label, role, unit in (
                ("disp", "派遣员老李", "dispatcher", None),
                ("xixi", "西溪中队王队", "unit_staff", squadron),
            )
        }
        then = now - timedelta(days=3)
        case = b.complaint(
            session, now=then, actor=users["disp"], received_at=then.isoformat()
        ).case
        perform(session, case, A.file, actor=users["disp"], now=then, calendar=calendar)
        perform(
            session,
            case,
            A.dispatch,
            actor=users["disp"],
            now=then,
            calendar=calendar,
            unit_id=squadron.id,
        )
        number = case.number
        session.commit()
    settings = Settings(
        database_url=f"sqlite:///{path}", secret_key="e2e", assume_weekdays_for_unknown_years=True
    )
    app = create_app(settings, engine=engine)
    with serving(app) as base:
        yield base, number
    engine.dispose()


@pytest.fixture
def page(browser, overdue_server):  # type: ignore[no-untyped-def]
    base, _ = overdue_server
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=base)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_a_dispatcher_urges_an_overdue_case_and_the_unit_sees_it(page, overdue_server):  # type: ignore[no-untyped-def]
    _, number = overdue_server
    login(page, "disp")
    page.wait_for_url(re.compile(r"/(cases|intake)"))
    page.click("header nav a[href='/supervision']")
    page.wait_for_url(re.compile(r"/supervision"))
    assert page.locator("[data-count=overdue] .n").inner_text() == "1"
    row = page.locator(f"#list-overdue tr[data-number='{number}']")
    assert "西溪中队" in row.inner_text()
    row.locator("form[data-urge] button").click()
    page.wait_for_url(re.compile(rf"/cases/{number}"))
    assert "“催办”已完成" in page.content()
    assert "请尽快办理并反馈结果" in page.locator("#supervision").inner_text()
    logout(page)

    login(page, "xixi")
    page.wait_for_url(re.compile(r"/inbox"))
    notices = page.locator("#inbox-notices")
    assert "1 条未阅" in notices.inner_text()
    urge = notices.locator("tr[data-kind=urge]")
    assert number in urge.inner_text() and "【催办】" in urge.inner_text()
    urge.locator("button").click()
    page.wait_for_url(re.compile(r"/inbox"))
    assert "已阅" in page.locator("#inbox-notices tr[data-kind=urge]").inner_text()
