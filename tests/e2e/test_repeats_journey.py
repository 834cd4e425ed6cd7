"""In a real browser: the operator records a complaint at the same address as an open one and
sees the earlier complaint as a candidate, with its explanation, before and after recording."""

from __future__ import annotations

import re

import pytest

from tests import builders as b
from tests.e2e.test_journey import login

pytestmark = pytest.mark.browser


def fill(page, text: str, phone: str) -> None:  # type: ignore[no-untyped-def]
    page.select_option("select[name=channel]", "96310")
    page.fill("textarea[name=text]", text)
    page.fill("input[name=address]", "西湖区天目山路398号")
    page.select_option("select[name=area]", b.XIXI_STREET)
    page.select_option("select[name=category]", "shopfront")
    page.fill("input[name=complainant_phone]", phone)


def test_operator_sees_the_earlier_complaint_at_the_same_address(page):  # type: ignore[no-untyped-def]
    login(page, "op")
    page.wait_for_url(re.compile(r"/intake"))
    fill(page, "天目山路398号的水果店把货架摆到人行道上，行人只能走机动车道", "13700005678")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/cases/HZ\d+"))
    first = page.url.rsplit("/", 1)[1].split("?")[0]

    page.goto("/intake")
    fill(page, "天目山路398号水果店又把货架摆出来了，人行道根本过不去", "13900001234")
    page.click("#repeat-check")
    candidates = page.locator("#repeat-candidates")
    assert first in candidates.inner_text()
    assert "地址相同（天目山路398号）" in candidates.inner_text()

    page.click("form.card button[type=submit] >> nth=0")
    page.wait_for_url(re.compile(r"/cases/HZ\d+"))
    panel = page.locator("#repeats").inner_text()
    assert "他人重复投诉" in panel and "地址相同（天目山路398号）" in panel
    assert first in panel
