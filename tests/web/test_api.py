"""HTTP contract: authentication, intake, case actions, field errors, scoping."""

from __future__ import annotations

from datetime import timedelta

from tests.builders import XIXI_STREET
from tests.web.conftest import token

COMPLAINT = {
    "channel": "12345",
    "upstream_ref": "12345-2026-0310-001",
    "text": "西溪路某小区门口晚上有烧烤摊占道经营，油烟很大",
    "address": "西溪路550号",
    "category": "street_vendor",
    "area": XIXI_STREET,
    "complainant_name": "李女士",
    "complainant_phone": "13912345678",
    "received_at": "2026-03-10 09:30",
}


def test_the_api_needs_a_token(client, accounts):
    assert client.get("/api/cases").status_code == 401
    assert (
        client.post(
            "/api/auth/token", json={"username": "op", "password": "wrong-pass"}
        ).status_code
        == 401
    )
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/cases", headers=bad).status_code == 401


def test_sessions_expire(client, accounts, app, clock):
    headers = token(client, "op")
    assert client.get("/api/me", headers=headers).status_code == 200
    clock.at = clock.at + timedelta(hours=9)  # sessions last 8 hours by default
    assert client.get("/api/me", headers=headers).status_code == 401


def test_intake_over_http_is_idempotent_on_the_upstream_ref(client, accounts):
    headers = token(client, "op")
    first = client.post("/api/complaints", json=COMPLAINT, headers=headers)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["case_number"].startswith("HZ20260310") and body["created"] is True
    again = client.post("/api/complaints", json=COMPLAINT, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert again.json()["created"] is False


def test_missing_and_invalid_fields_get_422_with_field_errors(client, accounts):
    headers = token(client, "op")
    bad = {**COMPLAINT, "text": "", "complainant_phone": "12ab", "latitude": 200}
    response = client.post("/api/complaints", json=bad, headers=headers)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"text", "complainant_phone", "latitude"} <= fields
    impossible = client.post(
        "/api/complaints", json={**COMPLAINT, "received_at": "2026-02-30 10:00"}, headers=headers
    )
    assert impossible.status_code == 422
    unknown = client.post(
        "/api/complaints", json={**COMPLAINT, "category": "nope"}, headers=headers
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "category"


def test_hostile_text_is_stored_as_is_and_escaped_on_pages(client, accounts):
    headers = token(client, "op")
    hostile = {**COMPLAINT, "upstream_ref": "x-1", "text": "<script>alert(1)</script>占道"}
    number = client.post("/api/complaints", json=hostile, headers=headers).json()["case_number"]
    assert client.get(f"/api/cases/{number}", headers=headers).json()["complaints"][0]["text"] == (
        "<script>alert(1)</script>占道"
    )
    from tests.web.conftest import login

    login(client, "op")
    page = client.get(f"/cases/{number}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_dispatch_accept_reply_close_over_http(client, accounts):
    op, disp, xixi = token(client, "op"), token(client, "disp"), token(client, "xixi")
    number = client.post("/api/complaints", json=COMPLAINT, headers=op).json()["case_number"]

    def act(headers, action, **body):
        return client.post(f"/api/cases/{number}/actions/{action}", json=body, headers=headers)

    assert act(op, "file").status_code == 200
    assert act(xixi, "accept").status_code == 403  # not dispatched to them yet
    dispatched = act(disp, "dispatch", unit="sq-330106004")
    assert dispatched.status_code == 200, dispatched.text
    assert act(op, "accept").status_code == 403  # operators do not accept
    assert act(xixi, "reply", reply_text="x").status_code == 409  # accept first
    assert act(xixi, "accept").json()["status"] == "accepted"
    assert act(xixi, "reply").status_code == 422  # reply text required
    assert act(xixi, "reply", reply_text="已取缔烧烤摊").status_code == 200
    assert act(disp, "callback", satisfaction="satisfied", solved=True).status_code == 200
    closed = act(disp, "close").json()
    assert closed["status"] == "closed"
    assert [h["action"] for h in closed["history"]] == [
        "receive",
        "file",
        "dispatch",
        "accept",
        "reply",
        "callback",
        "close",
    ]


def test_unit_staff_see_only_their_units_cases_and_no_personal_data(client, accounts):
    op, disp, xixi = token(client, "op"), token(client, "disp"), token(client, "xixi")
    number = client.post("/api/complaints", json=COMPLAINT, headers=op).json()["case_number"]
    assert client.get(f"/api/cases/{number}", headers=xixi).status_code == 403
    assert client.get("/api/cases", headers=xixi).json()["total"] == 0
    client.post(f"/api/cases/{number}/actions/file", json={}, headers=op)
    client.post(
        f"/api/cases/{number}/actions/dispatch", json={"unit": "sq-330106004"}, headers=disp
    )
    seen = client.get(f"/api/cases/{number}", headers=xixi).json()
    assert seen["complaints"][0]["complainant_phone"] == "139****5678"
    assert seen["complaints"][0]["complainant_name"] == "李**"
    full = client.get(f"/api/cases/{number}", headers=disp).json()
    assert full["complaints"][0]["complainant_phone"] == "13912345678"
    assert client.get("/api/cases", headers=xixi).json()["total"] == 1


def test_case_list_filters(client, accounts):
    op = token(client, "op")
    client.post("/api/complaints", json=COMPLAINT, headers=op)
    client.post(
        "/api/complaints",
        headers=op,
        json={**COMPLAINT, "upstream_ref": None, "channel": "96310", "category": "living_noise"},
    )

    def total(**params):
        return client.get("/api/cases", params=params, headers=op).json()["total"]

    assert total() == 2
    assert total(category="living_noise") == 1
    assert total(channel="96310") == 1
    assert total(area=XIXI_STREET) == 2
    assert total(status="filed") == 0
    assert total(overdue=True) == 0


def test_extension_decisions_are_offered_only_when_a_request_is_pending(client, accounts):
    op, disp, xixi = token(client, "op"), token(client, "disp"), token(client, "xixi")
    number = client.post("/api/complaints", json=COMPLAINT, headers=op).json()["case_number"]
    for headers, action, body in (
        (op, "file", {}),
        (disp, "dispatch", {"unit": "sq-330106004"}),
        (xixi, "accept", {}),
    ):
        assert (
            client.post(
                f"/api/cases/{number}/actions/{action}", json=body, headers=headers
            ).status_code
            == 200
        )

    def offered(headers):
        return client.get(f"/api/cases/{number}", headers=headers).json()["allowed_actions"]

    assert "approve_extension" not in offered(disp) and "request_extension" in offered(xixi)
    client.post(
        f"/api/cases/{number}/actions/request_extension",
        json={"days": 2, "note": "需协调"},
        headers=xixi,
    )
    assert "approve_extension" in offered(disp) and "request_extension" not in offered(xixi)
