"""The foundation's journey in a real browser: log in, record a complaint, dispatch it, the unit
sees it in its inbox, accepts and replies, the dispatcher calls back and closes it."""

from __future__ import annotations

import re

import pytest

from tests import builders as b

pytestmark = pytest.mark.browser


def login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", b.PASSWORD)
    page.click("button[type=submit]")


def logout(page) -> None:  # type: ignore[no-untyped-def]
    page.click("header form button")
    page.wait_for_url(re.compile(r"/login"))


def act(page, action: str, **fields: str) -> None:  # type: ignore[no-untyped-def]
    form = page.locator(f"form[data-action={action}]")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_complaint_to_closed_case(page):  # type: ignore[no-untyped-def]
    login(page, "op")
    page.wait_for_url(re.compile(r"/intake"))
    page.select_option("select[name=channel]", "96310")
    page.fill("textarea[name=text]", "文三路西溪路口每天傍晚都有流动摊贩占道经营，堵塞人行道")
    page.fill("input[name=address]", "西溪路与文三路交叉口")
    page.select_option("select[name=area]", b.XIXI_STREET)
    page.select_option("select[name=category]", "street_vendor")
    page.fill("input[name=complainant_phone]", "13700001234")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/cases/HZ\d+"))
    number = page.url.rsplit("/", 1)[1].split("?")[0]
    assert "已新建案件" in page.content()
    act(page, "file")
    assert page.locator("#case-status").inner_text() == "已立案"
    logout(page)

    login(page, "disp")
    page.goto(f"/cases/{number}")
    act(page, "dispatch", unit="sq-330106004")
    assert page.locator("#case-status").inner_text() == "已派遣"
    assert "西溪中队" in page.locator("#case-unit").inner_text()
    logout(page)

    login(page, "xixi")
    page.wait_for_url(re.compile(r"/inbox"))
    page.click(f"a[href='/cases/{number}']")
    assert "137****1234" in page.content()  # unit staff see a masked phone
    act(page, "accept")
    act(page, "reply", reply_text="中队已到场劝离摊贩，并安排每日傍晚巡查")
    assert page.locator("#case-status").inner_text() == "待核查"
    logout(page)

    login(page, "disp")
    page.goto(f"/cases/{number}")
    act(page, "callback", satisfaction="satisfied", solved="true")
    act(page, "close")
    assert page.locator("#case-status").inner_text() == "已结案"
    timeline = page.locator("#timeline").inner_text()
    for step in ("受理", "立案", "派遣", "签收", "处置答复", "回访", "核查结案"):
        assert step in timeline


def test_the_form_comes_back_with_its_messages(page):  # type: ignore[no-untyped-def]
    login(page, "op")
    page.wait_for_url(re.compile(r"/intake"))
    page.fill("input[name=complainant_phone]", "12345")
    page.click("form.card button[type=submit]")
    assert page.locator("#err-text").inner_text() == "必填"
    assert "电话号码格式不正确" in page.locator("#err-complainant_phone").inner_text()
    assert page.input_value("input[name=complainant_phone]") == "12345"


def test_unit_staff_cannot_see_other_pages(page):  # type: ignore[no-untyped-def]
    login(page, "xixi")
    page.wait_for_url(re.compile(r"/inbox"))
    response = page.goto("/cases")
    assert response is not None and response.status == 403
