"""Repeat links over HTTP: the API, the case page panel, the intake check, the dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

from tests import builders as b
from tests.web.conftest import login, token


def _two(session, now):  # type: ignore[no-untyped-def]
    first = b.complaint(session, now=now - timedelta(days=1), upstream_ref="W1")
    again = b.complaint(session, now=now, upstream_ref="W2", complainant_phone="13900002222")
    session.flush()
    return first, again


def test_api_shows_the_link_and_a_person_changes_then_undoes_it(client, accounts, session, now):  # type: ignore[no-untyped-def]
    first, again = _two(session, now)
    headers = token(client, "op")
    body = client.get(f"/api/complaints/{again.complaint.id}/repeats", headers=headers).json()
    link = body["link"]
    assert link["earlier_id"] == first.complaint.id and link["status"] == "confirmed"
    assert link["kind"] == "repeat_other_complainant" and not link["decided_by_person"]
    assert body["candidates"][0]["earlier_id"] == first.complaint.id
    changed = client.post(
        f"/api/repeat-links/{link['id']}/confirm",
        json={"kind": "repeat_same_complainant"},
        headers=headers,
    ).json()
    assert changed["kind"] == "repeat_same_complainant" and changed["decided_by_person"]
    undone = client.post(f"/api/repeat-links/{link['id']}/reject", headers=headers).json()
    assert undone["status"] == "rejected"
    denied = client.post(f"/api/repeat-links/{link['id']}/reject", headers=token(client, "xixi"))
    assert denied.status_code == 403


def test_case_page_shows_the_link_with_its_explanation(client, accounts, session, now):  # type: ignore[no-untyped-def]
    _, again = _two(session, now)
    login(client, "op")
    page = client.get(f"/cases/{again.case.number}").text
    assert 'id="repeats"' in page and "他人重复投诉" in page
    assert "地址相同（文三路100号）" in page and "自动确认" in page


def test_intake_check_lists_the_open_case_to_attach_to(client, accounts, session, now):  # type: ignore[no-untyped-def]
    first, _ = _two(session, now)
    login(client, "op")
    form = client.get("/intake").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/intake/check",
        data={
            "csrf": csrf,
            "channel": "96310",
            "text": "文三路100号门口晚上又有人摆摊",
            "address": "文三路100号",
            "category": "street_vendor",
            "area": b.XIXI_STREET,
        },
    )
    assert response.status_code == 200
    assert first.case.number in response.text and "并入此案件" in response.text


def test_dashboard_counts_confirmed_repeats(client, accounts, session, now):  # type: ignore[no-untyped-def]
    _two(session, now)
    login(client, "lead")
    day = now.date()
    page = client.get(f"/repeats?from={day - timedelta(days=3)}&to={day}").text
    assert re.search(r'id="repeat-total">1<', page)
    assert "热难点" in page and "频繁投诉人" in page
    login(client, "xixi")
    assert client.get("/repeats").status_code == 403
