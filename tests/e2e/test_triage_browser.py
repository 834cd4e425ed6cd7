"""The intake form's suggestions in a real browser: type a complaint, see the suggested category,
place and unit appear, take them into the form, record it, and see the route on the case page."""

from __future__ import annotations

import re

import pytest

from tests import builders as b

pytestmark = pytest.mark.browser


def test_suggestions_while_typing(page):  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", "op")
    page.fill("input[name=password]", b.PASSWORD)
    page.click("button[type=submit]")
    page.goto("/intake")
    page.fill("textarea[name=text]", "楼下广场舞音响噪音扰民，每天晚上吵到十点")
    page.fill("input[name=address]", "杭州市西湖区西溪街道上马塍社区5幢")
    box = page.locator("#triage-suggest")
    box.wait_for(state="visible")
    assert "生活噪声" in box.inner_text()
    assert "上马塍社区" in box.inner_text() and "西溪中队" in box.inner_text()
    page.click("#triage-apply")
    assert page.locator("select[name=category]").input_value() == "living_noise"
    assert page.locator("select[name=area]").input_value().startswith("330106004")
    page.click("form[data-triage] button[type=submit]:not([formaction])")
    page.wait_for_url(re.compile(r"/cases/HZ"))
    assert "派往 西溪中队" in page.locator("#route").inner_text()
