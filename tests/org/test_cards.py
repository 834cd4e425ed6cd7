"""Service cards (便民服务卡): maintained by the unit's own staff and admins, found by the public
by address or street, printable with a QR code that opens the portal for that street."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from civicdesk.errors import InvalidInput, PermissionDenied
from civicdesk.org.cards import service
from civicdesk.org.cards.qr import portal_url
from tests import builders as b
from tests.citizen import csrf_of

XIXI = b.XIXI_STREET


def card(**changes: object) -> service.CardInput:
    values: dict[str, object] = {
        "staff_name": "王建国",
        "post": "中队长",
        "phone": "0571-88888888",
        "duties": "负责西溪街道范围内占道经营、违法建筑等问题的处置",
        "office_hours": "工作日 8:30-17:30",
    }
    values.update(changes)
    return service.CardInput(**values)  # type: ignore[arg-type]


@pytest.fixture
def xixi(session):  # type: ignore[no-untyped-def]
    return b.unit_by_name(session, "西溪中队")


def test_unit_staff_maintain_their_own_unit_only(session, now, xixi):
    own = b.user(session, "unit_staff", now=now, unit=xixi, username="xixi-card")
    other = b.user(session, "unit_staff", now=now, unit=b.unit_by_name(session, "湖滨中队"))
    saved = service.save_card(session, xixi, card(), actor=own, now=now)
    assert saved.id and saved.updated_by_id == own.id
    with pytest.raises(PermissionDenied):
        service.save_card(session, xixi, card(), actor=other, now=now)
    with pytest.raises(PermissionDenied):
        service.delete_card(session, saved, actor=other)
    admin = b.user(session, "admin", now=now)
    service.save_card(session, xixi, card(staff_name="李"), actor=admin, now=now, card=saved)
    assert saved.staff_name == "李"


def test_a_card_names_only_areas_of_its_unit(session, now, xixi):
    admin = b.user(session, "admin", now=now)
    with pytest.raises(InvalidInput):
        service.save_card(session, xixi, card(area="330102001"), actor=admin, now=now)  # 清波
    community = next(a for a in service.covered_areas(session, xixi) if a.level == "community")
    saved = service.save_card(session, xixi, card(area=community.code), actor=admin, now=now)
    assert saved.area_id == community.id


def test_the_public_finds_the_card_by_address(session, now, xixi, client):
    admin = b.user(session, "admin", now=now)
    service.save_card(session, xixi, card(), actor=admin, now=now)
    session.flush()
    page = client.get("/portal/cards", params={"q": "西湖区西溪街道文三路100号"})
    assert page.status_code == 200
    for text in ("西溪中队", "王建国", "中队长", "0571-88888888", "工作日 8:30-17:30"):
        assert text in page.text
    assert "测试admin" not in page.text
    by_street = client.get("/portal/cards", params={"area": XIXI})
    assert "王建国" in by_street.text
    unknown = client.get("/portal/cards", params={"q": "火星路1号"})
    assert "未能从地址中识别街道" in unknown.text


def test_the_printable_card_has_a_qr_code_for_the_portal(session, now, xixi, client):
    admin = b.user(session, "admin", now=now)
    service.save_card(session, xixi, card(), actor=admin, now=now)
    session.flush()
    page = client.get(f"/portal/cards/{XIXI}/print")
    assert page.status_code == 200
    assert '<svg viewBox="0 0' in page.text and 'class="segno"' in page.text
    assert f"http://testserver/portal?area={XIXI}" in page.text
    assert "@media print" in client.get("/static/portal.css").text
    form = client.get(f"/portal?area={XIXI}").text
    assert re.search(rf'<option value="{XIXI}" selected>', form)


def test_portal_url():
    assert portal_url("https://96310.example.cn/", "330106004") == (
        "https://96310.example.cn/portal?area=330106004"
    )


def login(client: TestClient, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": b.PASSWORD})
    assert response.status_code == 303, response.text


def test_the_staff_page(session, now, xixi, client):
    b.user(session, "unit_staff", now=now, unit=xixi, username="xixi-page")
    session.flush()
    login(client, "xixi-page")
    page = client.get("/cards/manage")
    assert page.status_code == 200 and "便民服务卡 · 西溪中队" in page.text
    data = {
        "csrf": csrf_of(page.text),
        "unit": "sq-330102001",  # another unit's code: unit staff always act for their own
        "staff_name": "<script>x</script>",
        "phone": "13800001111",
        "duties": "巡查",
        "sort_order": "",
    }
    saved = client.post("/cards/manage", data=data)
    assert saved.status_code == 303 and "sq-330106004" in saved.headers["location"]
    listing = client.get("/cards/manage").text
    assert "&lt;script&gt;x&lt;/script&gt;" in listing and "<script>x" not in listing
    bad = client.post("/cards/manage", data={**data, "phone": "call me", "duties": ""})
    assert bad.status_code == 422 and "电话号码格式不正确" in bad.text


def test_other_roles_cannot_open_the_staff_page(session, now, client):
    b.user(session, "leader", now=now, username="lead-card")
    session.flush()
    login(client, "lead-card")
    assert client.get("/cards/manage").status_code == 403
