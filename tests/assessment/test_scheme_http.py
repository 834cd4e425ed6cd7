"""The scheme, score, publication, appeal and inspection pages and API over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.app import create_app
from civicdesk.assessment.schemes import store_schemes
from civicdesk.settings import Settings
from tests import builders as b
from tests.assessment.test_scoring_db import SCHEME, XIHU, make_data

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def client(session: Session, clock, db_url, tmp_path) -> Iterator[TestClient]:
    """The real application sharing the test's transaction (as tests/web/conftest.py)."""
    app = create_app(
        Settings(database_url=db_url, secret_key="test-secret", media_dir=tmp_path / "media"),
        engine=session.get_bind().engine,
        clock=clock,
    )
    app.state.sessionmaker = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def world(session, now):
    xixi = b.unit_by_name(session, "西溪中队")
    users = {
        "leader": b.user(session, "leader", now=now, username="h-lead"),
        "dispatcher": b.user(session, "dispatcher", now=now, username="h-disp"),
        "xixi": b.user(session, "unit_staff", now=now, unit=xixi, username="h-xixi"),
    }
    store_schemes(session, {"schemes": [SCHEME.model_dump(mode="json")]}, source="t", now=now)
    complaints = make_data(session, now)
    session.flush()
    return {"users": users, "complaints": complaints}


def login(client: TestClient, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": b.PASSWORD})
    assert response.status_code == 303, response.text


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


SCORES = "/assessment/scores?scheme=t&from=2026-01-01&to=2026-01-31"


def test_scores_publish_and_published_page(client, world):
    login(client, "h-lead")
    assert "中队处置考核（金牛式）" in client.get("/assessment/schemes").text
    page = client.get(SCORES)
    assert page.status_code == 200
    row = re.search(rf'<tr class="scored" id="unit-{XIHU}">(.*?)</tr>', page.text, re.S)
    assert row and "94.00" in row.group(1) and "<td>A</td>" in row.group(1)
    assert "/assessment/drill?measure=complaints" in row.group(1)
    link = re.search(r'href="(/assessment/drill[^"]+)"', row.group(1)).group(1)  # type: ignore[union-attr]
    assert client.get(link.replace("&amp;", "&")).status_code == 200
    assert page.text.count('class="insufficient_sample"') == 5 and "样本不足" in page.text
    refused = client.post(
        "/assessment/publish", data={"scheme": "t", "from": "2026-01-01", "to": "2026-01-31"}
    )
    assert refused.status_code == 403
    published = client.post(
        "/assessment/publish",
        data={"csrf": csrf_of(page.text), "scheme": "t", "from": "2026-01-01", "to": "2026-01-31"},
    )
    assert published.status_code == 303
    frozen = client.get(published.headers["location"])
    assert "第1版" in frozen.text and "94.00" in frozen.text
    assert "测试方案" in client.get("/assessment/publications").text
    assert "本期已发布至第1版" in client.get(SCORES).text


def test_bad_input_is_said_on_the_page(client, world):
    login(client, "h-lead")
    empty = client.get("/assessment/scores?scheme=t&from=2024-06-01&to=2024-06-30")
    assert empty.status_code == 422 and "没有任何投诉数据，无法考核" in empty.text
    assert "94.00" not in empty.text
    unknown = client.get("/assessment/scores?scheme=nope")
    assert unknown.status_code == 422 and "没有考核方案 nope" in unknown.text


def test_roles(client, world):
    login(client, "h-xixi")
    assert client.get(SCORES).status_code == 403
    assert client.get("/assessment/appeals").status_code == 200
    login(client, "h-disp")
    assert (
        client.post(
            "/api/assessment/publications", json={"scheme": "t", "period": "2026-01"}
        ).status_code
        == 403
    )


def test_appeal_through_the_pages_shows_on_the_case(client, world, session):
    complaint_id = world["complaints"][0]
    login(client, "h-xixi")
    page = client.get("/assessment/appeals")
    form = {
        "csrf": csrf_of(page.text),
        "complaint": str(complaint_id),
        "from": "2026-01-01",
        "to": "2026-01-31",
        "reason_kind": "unfounded",
        "reason": "现场核查无此问题，附照片",
    }
    filed = client.post(
        "/assessment/appeals", data=form, files={"evidence": ("现场.png", PNG, "image/png")}
    )
    assert filed.status_code == 303, filed.text
    again = client.post("/assessment/appeals", data=form)
    assert again.status_code == 409 and "不能重复申诉" in again.text
    outside = client.post(
        "/assessment/appeals", data=form | {"from": "2026-02-01", "to": "2026-02-28"}
    )
    assert outside.status_code == 422 and "不在考核期" in outside.text

    login(client, "h-lead")
    listing = client.get("/assessment/appeals?status=pending")
    appeal_id = int(re.search(r'id="appeal-(\d+)"', listing.text).group(1))  # type: ignore[union-attr]
    evidence = client.get(f"/assessment/appeals/{appeal_id}/evidence")
    assert evidence.status_code == 200 and evidence.content == PNG
    no_reason = client.post(
        f"/api/assessment/appeals/{appeal_id}/decision", json={"approve": True, "reason": ""}
    )
    assert no_reason.status_code == 422 and "审核意见必填" in no_reason.json()["detail"]
    decided = client.post(
        f"/assessment/appeals/{appeal_id}/decide",
        data={
            "csrf": csrf_of(listing.text),
            "decision": "approve",
            "decision_reason": "核查属实，予以核减",
        },
    )
    assert decided.status_code == 303
    scores = client.get(SCORES)
    row = re.search(rf'id="unit-{XIHU}">(.*?)</tr>', scores.text, re.S).group(1)  # type: ignore[union-attr]
    assert '<a href="/assessment/appeals?status=approved">1</a>' in row
    from civicdesk.cases.models import Case
    from civicdesk.intake.models import Complaint

    number = session.get(Case, session.get(Complaint, complaint_id).case_id).number
    case_page = client.get(f"/cases/{number}")
    assert 'id="appeals"' in case_page.text and "已核减" in case_page.text
    assert "核查属实，予以核减" in case_page.text


def test_api_scores_and_appeal_outside_period(client, world):
    login(client, "h-lead")
    scores = client.get("/api/assessment/scores", params={"scheme": "t", "period": "2026-01"})
    assert scores.status_code == 200
    xihu = next(u for u in scores.json()["units"] if u["code"] == XIHU)
    assert xihu["total"] == 94.0 and xihu["indicators"][0]["reason"].startswith("同比")
    outside = client.post(
        "/api/assessment/appeals",
        json={
            "complaint_id": world["complaints"][0],
            "period_start": "2026-02-01",
            "period_end": "2026-02-28",
            "reason_kind": "other",
            "reason": "不属本单位管辖范围",
            "unit": "sq-330106004",
        },
    )
    assert outside.status_code == 422 and "不在考核期" in outside.json()["detail"]


def test_inspection_form_and_csv(client, world):
    login(client, "h-disp")
    page = client.get("/assessment/inspections")
    token = csrf_of(page.text)
    bad = client.post(
        "/assessment/inspections",
        data={"csrf": token, "inspected_on": "2026-03-01", "area": "西溪街道", "inspector": "王",
              "items_checked": "3", "problems_found": "5", "deductions": "1"},
    )  # fmt: skip
    assert bad.status_code == 422 and "发现问题数不能多于检查项数" in bad.text
    good = client.post(
        "/assessment/inspections",
        data={"csrf": token, "inspected_on": "2026-03-01", "area": "西溪街道", "inspector": "王",
              "items_checked": "5", "problems_found": "1", "deductions": "4"},
    )  # fmt: skip
    assert good.status_code == 303
    csv_text = (
        "date,area,inspector,items_checked,problems_found,deductions\n"
        "2026-03-02,湖滨街道,赵,6,0,0\n"
    )
    imported = client.post(
        "/assessment/inspections/import",
        data={"csrf": token},
        files={"file": ("a.csv", csv_text.encode(), "text/csv")},
    )
    assert imported.status_code == 303 and "imported-1-0" in imported.headers["location"]
    listing = client.get("/assessment/inspections").text
    assert "96.00" in listing and "100.00" in listing
