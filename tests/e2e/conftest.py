"""Browser tests: a real server on a free port, driven by Debian's Chromium via Playwright.

Locally they skip, with the reason, when Chromium or Playwright is missing; in CI (CI=true)
a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from civicdesk.accounts.service import create_user
from civicdesk.app import create_app
from civicdesk.config.loader import load_config
from civicdesk.db import make_engine
from civicdesk.migrate import upgrade
from civicdesk.settings import Settings
from tests import builders as b
from tests.live_server import serving

CHROMIUM = os.environ.get("CIVICDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("live") / "live.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.flush()
        squadron = b.unit_by_name(session, "西溪中队")
        for username, role, unit in (
            ("op", "operator", None),
            ("disp", "dispatcher", None),
            ("xixi", "unit_staff", squadron),
            ("lead", "leader", None),
        ):
            create_user(
                session,
                username=username,
                password=b.PASSWORD,
                display_name={
                    "op": "受理员小张",
                    "disp": "派遣员老李",
                    "xixi": "西溪中队王队",
                    "lead": "领导",
                }[username],
                role=role,
                unit=unit,
                now=now,
            )
        session.commit()
    app = create_app(Settings(database_url=url, secret_key="e2e"), engine=engine)
    with serving(app) as base:
        yield base
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Python Playwright is not installed (pip install playwright)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
