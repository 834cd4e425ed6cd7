"""The citizen side in a real Chromium: submit → track → (staff handle it) → rate, and the form
on a phone-sized screen (390×844) with no horizontal scrolling."""

from __future__ import annotations

import re
import struct
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.accounts.service import create_user
from civicdesk.app import create_app
from civicdesk.cases.models import Case
from civicdesk.cases.service import perform
from civicdesk.config.loader import load_config
from civicdesk.core.workflow import CaseAction as A
from civicdesk.db import make_engine
from civicdesk.migrate import upgrade
from tests import builders as b
from tests.citizen import make_settings
from tests.live_server import serving

pytestmark = pytest.mark.browser
PHONE = "13600001234"


def tiny_png(path: Path) -> Path:
    """A real 1×1 PNG, so the browser uploads a genuine photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
    return path


@pytest.fixture(scope="module")
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    folder = tmp_path_factory.mktemp("portal-live")
    url = f"sqlite:///{folder / 'live.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.flush()
        squadron = b.unit_by_name(session, "西溪中队")
        now = datetime.now(UTC)
        create_user(session, username="disp", password=b.PASSWORD, display_name="派遣员老李",
                    role="dispatcher", unit=None, now=now)  # fmt: skip
        create_user(session, username="xixi", password=b.PASSWORD, display_name="西溪王队",
                    role="unit_staff", unit=squadron, now=now)  # fmt: skip
        session.commit()
    # No worker here: the server drains its own inbox (intake a moment after submission).
    app = create_app(make_settings(url, folder / "media", portal_drain_seconds=0.1), engine=engine)
    with serving(app) as base:
        yield base, engine
    engine.dispose()


@pytest.fixture
def citizen(browser, portal_server):  # type: ignore[no-untyped-def]
    base, _ = portal_server
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=base)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def handle_by_staff(engine, number: str) -> None:  # type: ignore[no-untyped-def]
    """The centre files and dispatches, the squadron accepts and replies (through services)."""
    with Session(engine) as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        disp = session.scalars(select(User).where(User.username == "disp")).one()
        unit = session.scalars(select(User).where(User.username == "xixi")).one()
        squadron = b.unit_by_name(session, "西溪中队")
        now, cal = datetime.now(UTC), b.calendar()
        perform(session, case, A.file, actor=disp, now=now, calendar=cal)
        perform(session, case, A.dispatch, actor=disp, now=now, calendar=cal, unit_id=squadron.id)
        perform(session, case, A.accept, actor=unit, now=now, calendar=cal)
        perform(session, case, A.reply, actor=unit, now=now, calendar=cal,
                reply_text="中队已到场劝离摊贩，并安排每日傍晚巡查")  # fmt: skip
        session.commit()


def test_submit_track_and_rate(citizen, portal_server, tmp_path):  # type: ignore[no-untyped-def]
    page = citizen
    _, engine = portal_server
    page.goto("/portal")
    page.fill("textarea[name=text]", "文三路西溪路口每天傍晚都有流动摊贩占道经营，堵塞人行道")
    page.select_option("select[name=category]", "street_vendor")
    page.fill("input[name=address]", "西湖区西溪街道文三路与西溪路交叉口")
    page.set_input_files("input[name=photos]", str(tiny_png(tmp_path / "现场.png")))
    page.fill("input[name=phone]", PHONE)
    page.click("#submit-form button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/t/[\w-]+\?new=1"))
    link = page.url.split("?")[0]
    ack = page.locator("#case-number").inner_text()  # the acknowledgement number, at once
    assert re.fullmatch(r"HZ\d{8}W\d{6}", ack)
    assert "提交成功" in page.content()
    for _ in range(100):  # intake runs in the server's drain a moment later
        page.goto(link)
        if page.locator("#case-status").inner_text() != "已受理，正在分派":
            break
        time.sleep(0.1)
    number = page.locator("#case-number").inner_text()
    assert re.fullmatch(r"HZ\d{13}", number)
    assert page.locator("#ack-number").inner_text() == ack

    page.goto("/portal/track")
    page.fill("input[name=number]", number)
    page.fill("input[name=phone]", PHONE)
    page.click("#track-form button[type=submit]")
    assert page.locator("#case-status").inner_text() == "已受理，等待审核"
    assert "承办单位答复后即可评价" in page.locator("#rate-note").inner_text()

    handle_by_staff(engine, number)
    page.goto(link)
    assert page.locator("#case-status").inner_text() == "已答复，平台核查回访中"
    assert "西溪中队" in page.locator("#timeline").inner_text()
    assert "中队已到场劝离摊贩" in page.locator("#reply").inner_text()
    page.check("input[name=satisfaction][value=satisfied]")
    page.check("input[name=solved][value=yes]")
    page.click("#rate-form button[type=submit]")
    page.wait_for_url(re.compile(r"\?rated=1"))
    assert page.locator("#rated").is_visible()
    assert "满意" in page.locator("#rating").inner_text()
    with Session(engine) as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        assert (case.satisfaction, case.solved) == ("satisfied", True)


def test_the_form_on_a_phone(browser, portal_server, tmp_path):  # type: ignore[no-untyped-def]
    base, _ = portal_server
    context = browser.new_context(
        locale="zh-CN", base_url=base, viewport={"width": 390, "height": 844},
        device_scale_factor=3, is_mobile=True, has_touch=True,
    )  # fmt: skip
    page = context.new_page()
    page.goto("/portal")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    for selector in ("textarea[name=text]", "input[name=address]", "input[name=phone]"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(Path("/tmp") / "portal-phone.png"), full_page=True)
    page.fill("textarea[name=text]", "小区门口晚上十点后还有施工噪声")
    page.fill("input[name=address]", "西溪街道文一路")
    page.fill("input[name=phone]", "12345")  # wrong on purpose
    page.click("#submit-form button[type=submit]")
    page.wait_for_load_state()
    assert "手机号码格式不正确" in page.locator("#err-phone").inner_text()
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    page.fill("input[name=phone]", "13600005678")
    page.click("#submit-form button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/t/"))
    assert "提交成功" in page.content()
    context.close()
