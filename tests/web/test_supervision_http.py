"""HTTP contract of supervision and feedback: the board, a case's panel, notices, the reply from a
template, and bad input refused with a Chinese message (422/409, never 500)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from civicdesk.config.models import Policy
from civicdesk.errors import ConfigurationError
from civicdesk.supervision.tasks import run_sweep
from tests.web.conftest import login, token
from tests.web.test_api import COMPLAINT


@pytest.fixture
def staff(client, accounts):
    return {name: token(client, name) for name in ("op", "disp", "xixi", "lead")}


def new_case(client, staff, *, dispatch: bool = True, **fields) -> str:
    body = {**COMPLAINT, "upstream_ref": None, **fields}
    number = client.post("/api/complaints", json=body, headers=staff["op"]).json()["case_number"]
    act(client, staff["op"], number, "file")
    if dispatch:
        act(client, staff["disp"], number, "dispatch", unit="sq-330106004")
    return number


def act(client, headers, number, action, **body):
    return client.post(f"/api/cases/{number}/actions/{action}", json=body, headers=headers)


def test_the_board_shows_an_overdue_case_and_its_unit(client, staff, app, clock):
    number = new_case(client, staff)
    clock.at += timedelta(hours=2)  # the 1-hour acceptance limit has passed
    stats = run_sweep(app.state.sessionmaker, now=clock.at)
    assert stats.notices["overdue"] == 1
    board = client.get("/api/supervision/board", headers=staff["disp"])
    assert board.status_code == 200, board.text
    body = board.json()
    assert body["counts"]["overdue"] == 1 and [c["number"] for c in body["overdue"]] == [number]
    assert body["by_unit"][0]["unit"] == "sq-330106004" and body["by_unit"][0]["overdue"] == 1
    assert body["notices"][0]["kind"] == "overdue"
    assert client.get("/api/supervision/board", headers=staff["xixi"]).status_code == 403
    filtered = client.get("/api/supervision/board?unit=sq-330102001", headers=staff["lead"])
    assert filtered.json()["counts"]["overdue"] == 0
    assert client.get("/api/supervision/board?unit=nope", headers=staff["disp"]).status_code == 422


def test_the_unit_reads_its_notices(client, staff, app, clock):
    number = new_case(client, staff)
    assert act(client, staff["disp"], number, "urge", note="请今天签收").status_code == 200
    listed = client.get("/api/supervision/notices", headers=staff["xixi"]).json()
    assert listed["unread"] == 1 and listed["items"][0]["text"].endswith("请今天签收")
    notice_id = listed["items"][0]["id"]
    read = client.post(f"/api/supervision/notices/{notice_id}/read", headers=staff["xixi"])
    assert read.status_code == 200 and read.json()["read_at"]
    assert client.get("/api/supervision/notices", headers=staff["xixi"]).json()["unread"] == 0
    assert client.get("/api/supervision/notices", headers=staff["disp"]).status_code == 422
    centre = client.get("/api/supervision/notices?unit=sq-330106004", headers=staff["disp"])
    assert len(centre.json()["items"]) == 1
    panel = client.get(f"/api/supervision/cases/{number}", headers=staff["xixi"]).json()
    assert panel["urge_count"] == 1 and panel["notices"][0]["manual"] is True


def test_grading_with_the_suggestion_and_its_reasons(client, staff):
    number = new_case(client, staff)
    flagged = act(client, staff["lead"], number, "flag", media_attention=True, departments=3)
    assert flagged.status_code == 200, flagged.text
    panel = client.get(f"/api/supervision/cases/{number}", headers=staff["disp"]).json()
    assert panel["suggestion"]["grade"] == "listed"  # media 6 + departments 4 = 10 points
    assert panel["suggestion"]["reasons"] == ["媒体关注（+6分）", "涉及3个部门（+4分）"]
    graded = act(client, staff["lead"], number, "set_grade", grade="listed", note="媒体报道")
    assert graded.status_code == 200 and graded.json()["grade"] == "listed"
    panel = client.get(f"/api/supervision/cases/{number}", headers=staff["disp"]).json()
    assert (panel["grade_name"], panel["level_name"]) == ("挂牌督办", "市级督办")


@pytest.mark.parametrize(
    ("who", "action", "body", "status", "message"),
    [
        ("lead", "set_grade", {"grade": "urgent"}, 422, "请选择督办等级"),
        ("xixi", "set_grade", {"grade": "key"}, 403, "无权"),
        ("lead", "flag", {"departments": 0}, 422, "涉及部门数应为1至50"),
        ("lead", "flag", {}, 422, "没有需要变更的标注"),
        ("xixi", "return", {}, 422, "请填写原因"),
        (
            "disp",
            "callback",
            {"satisfaction": "satisfied", "solved": True},
            409,
            "案件尚未答复，不能回访",
        ),
        ("xixi", "request_extension", {"days": 2, "note": "x"}, 409, "只有已签收"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    client, staff, who, action, body, status, message
):
    number = new_case(client, staff)
    response = act(client, staff[who], number, action, **body)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


def test_late_extension_and_past_review_dates_are_refused(client, staff, clock):
    number = new_case(client, staff)
    act(client, staff["xixi"], number, "accept")
    suspended = act(client, staff["disp"], number, "suspend", review_on="2026-03-01", note="x")
    assert suspended.status_code == 422 and "复查日期应晚于今天" in suspended.json()["detail"]
    clock.at += timedelta(days=3)  # Friday: the handling limit was Thursday 17:30
    late = act(client, token(client, "xixi"), number, "request_extension", days=2, note="x")
    assert late.status_code == 422 and "已超过处置期限" in late.json()["detail"]


def test_the_reply_comes_from_the_categorys_template(client, staff):
    number = new_case(client, staff)
    act(client, staff["xixi"], number, "accept")
    draft = client.get(f"/api/cases/{number}/reply-draft", headers=staff["xixi"]).json()["text"]
    assert "无证摊贩问题，西溪中队已于" in draft and "【请填写处置情况】" in draft
    empty = client.post(f"/api/cases/{number}/reply", json={"result": ""}, headers=staff["xixi"])
    assert empty.status_code == 422
    done = client.post(
        f"/api/cases/{number}/reply", json={"result": "已取缔烧烤摊"}, headers=staff["xixi"]
    )
    assert done.status_code == 200 and "到场处置：已取缔烧烤摊。" in done.json()["reply_text"]
    assert done.json()["reply_due_at"] is not None
    not_solved = act(
        client, staff["disp"], number, "callback", satisfaction="unsatisfied", solved=False
    )
    assert not_solved.json()["status"] == "accepted"  # back for rework, by rule
    assert not_solved.json()["history"][-1]["action"] == "rework"


def test_the_pages_show_supervision(client, staff, app, clock):
    number = new_case(client, staff)
    clock.at += timedelta(hours=2)
    run_sweep(app.state.sessionmaker, now=clock.at)
    login(client, "disp")
    board = client.get("/supervision")
    assert board.status_code == 200 and "督办台" in board.text and number in board.text
    assert f'data-urge="{number}"' in board.text
    page = client.get(f"/cases/{number}")
    assert "建议等级" in page.text and "已超过签收期限" in page.text
    login(client, "xixi")
    assert client.get("/supervision").status_code == 403
    inbox = client.get("/inbox")
    assert "督办通知" in inbox.text and "1 条未阅" in inbox.text


def test_a_broken_rule_file_stops_the_server_at_start_up(app, session):
    document = session.scalar(select(Policy.document).where(Policy.name == "supervision"))
    session.execute(
        update(Policy)
        .where(Policy.name == "supervision")
        .values(document={**document, "centre": "centre-0000"})
    )
    session.flush()
    with pytest.raises(ConfigurationError, match="unknown unit 'centre-0000'"), TestClient(app):
        pass
