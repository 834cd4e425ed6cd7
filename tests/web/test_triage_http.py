"""HTTP: suggestions as the operator types, the case page's routing, confirm/correct, quality."""

from __future__ import annotations

import re

import pytest

from civicdesk.cases.service import perform
from civicdesk.core.workflow import CaseAction
from tests import builders as b
from tests.web.conftest import login, token


def test_suggest_while_typing(client, accounts):
    headers = token(client, "op")
    body = {"title": "噪音", "text": "楼上噪音扰民", "address": "西湖区西溪街道上马塍社区"}
    response = client.post("/api/triage/suggest", json=body, headers=headers)
    assert response.status_code == 200, response.text
    s = response.json()
    assert s["category"] == "living_noise" and s["low_confidence"] is True
    assert s["location"]["street"] == "330106004" and s["location"]["community"]
    assert s["unit_name"] == "西溪中队" and "西溪中队" in s["route"]
    assert s["model_version"] == "lexicon"


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "😀" * 100},
        {"text": "噪音" * 2500},
        {"text": "Noise from the bar, 酒吧太吵", "address": "Hangzhou Xihu"},
        {"text": "違法停車", "address": "杭州市濱江區"},
        {"text": "１２３号", "address": "上海市黄浦区南京东路１号"},
    ],
)
def test_suggest_never_fails_on_odd_input(client, accounts, body):
    response = client.post("/api/triage/suggest", json=body, headers=token(client, "op"))
    assert response.status_code == 200, response.text
    assert "location" in response.json()


def test_unit_staff_may_not_ask(client, accounts):
    response = client.post(
        "/api/triage/suggest", json={"text": "噪音"}, headers=token(client, "xixi")
    )
    assert response.status_code == 403


def test_case_page_explains_the_route_and_preselects_it(client, accounts, session, now):
    result = b.complaint(session, now=now, category="illegal_parking", text="小区门口乱停车")
    perform(
        session, result.case, CaseAction.file, actor=accounts["dispatcher"], now=now,
        calendar=b.calendar(),
    )  # fmt: skip
    session.flush()
    login(client, "disp")
    page = client.get(f"/cases/{result.case.number}")
    assert page.status_code == 200
    assert "派往 西溪中队：默认规则（西溪街道的责任单位）" in page.text
    assert re.search(r'<option value="sq-330106004" selected>西溪中队（分派规则）', page.text)


def test_confirm_and_correct_from_the_case_page(client, accounts, session, now):
    result = b.complaint(session, now=now, category=None, area=None, text="楼上噪音扰民")
    session.flush()
    login(client, "op")
    page = client.get(f"/cases/{result.case.number}")
    assert "低置信度，请人工确认" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = client.post(
        f"/triage/complaints/{result.complaint.id}",
        data={"csrf": csrf, "category": "construction_noise", "area": "330106004"},
    )
    assert response.status_code == 303
    page = client.get(f"/cases/{result.case.number}")
    assert "已更正" in page.text and "施工噪声" in page.text
    quality = client.get("/triage/quality")
    assert quality.status_code == 200
    assert 'id="corrected">1<' in quality.text
    assert "生活噪声" in quality.text and "施工噪声" in quality.text


def test_decide_by_api(client, accounts, session, now):
    result = b.complaint(session, now=now, category=None, area=None, text="楼上噪音扰民")
    session.flush()
    response = client.post(
        f"/api/triage/complaints/{result.complaint.id}",
        json={"category": "living_noise"},
        headers=token(client, "op"),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "confirmed", "corrected": False}
    response = client.post(
        "/api/triage/complaints/999999", json={"category": "x"}, headers=token(client, "op")
    )
    assert response.status_code == 404


def test_intake_form_loads_the_script(client, accounts):
    login(client, "op")
    page = client.get("/intake")
    assert "data-triage" in page.text and "/static/triage.js" in page.text
    assert client.get("/static/triage.js").status_code == 200
