"""The staff page of the citizen inbox (/portal/inbox): who sees it, what a failed row shows
(escaped, phone masked for leaders), retry back to the drain, manual entry, CSRF, paging."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.intake.models import Complaint
from civicdesk.org.models import Area
from civicdesk.portal.models import InboxItem, Submission
from civicdesk.portal.review import PAGE_SIZE
from tests import builders as b
from tests.citizen import PHONE, csrf_of, drain, submit, token_of

GONE = "999999"  # an area removed between the door and the drain
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def login(client, session, now, role: str) -> None:  # type: ignore[no-untyped-def]
    unit = b.unit_by_name(session, "湖滨中队") if role == "unit_staff" else None
    name = f"inbox-{role}"
    if session.scalar(select(b.User.id).where(b.User.username == name)) is None:
        b.user(session, role, now=now, unit=unit, username=name)
        session.flush()
    client.cookies.clear()
    response = client.post("/login", data={"username": name, "password": b.PASSWORD})
    assert response.status_code == 303


def failed_row(client, session, now, text: str = "某处占道，影响通行") -> InboxItem:  # type: ignore[no-untyped-def]
    item = InboxItem(
        source="portal",
        token_hash=secrets.token_hex(32),
        dedupe_key="d" * 64,
        payload={
            "text": text,
            "phone": PHONE,
            "name": "张三丰",
            "address": "文三路100号",
            "area": GONE,
        },
        created_at=now,
        state="pending",
    )
    session.add(item)
    session.flush()
    stats = drain(client)
    assert stats.failed == 1
    session.refresh(item)
    assert item.state == "failed" and "未知区域" in (item.error or "")
    return item


@pytest.mark.parametrize("role", ["operator", "dispatcher", "admin"])
def test_centre_roles_see_the_failed_rows_and_can_act(client, session, now, role):
    item = failed_row(client, session, now)
    login(client, session, now, role)
    page = client.get("/portal/inbox")
    assert page.status_code == 200
    row = page.text.split(f'id="inbox-{item.id}"')[1].split("</tr>")[0]
    assert "某处占道，影响通行" in row and "未知区域" in row and GONE in row
    assert PHONE in row and "张三丰" in row  # operators call citizens back
    assert re.search(r"HZ\d{8}W\d{6}", row)
    assert f'action="/portal/inbox/{item.id}/retry"' in row and "转人工录入" in row
    assert 'href="/portal/inbox"' in page.text  # the navigation entry


def test_leaders_read_only_with_the_phone_masked(client, session, now):
    item = failed_row(client, session, now)
    login(client, session, now, "leader")
    page = client.get("/portal/inbox")
    assert page.status_code == 200
    row = page.text.split(f'id="inbox-{item.id}"')[1].split("</tr>")[0]
    assert "未知区域" in row and PHONE not in row and PHONE[:3] + "****" + PHONE[-4:] in row
    assert "张三丰" not in row and "张**" in row
    assert "/retry" not in page.text and "转人工录入" not in row
    csrf = csrf_of(page.text)
    refused = client.post(f"/portal/inbox/{item.id}/retry", data={"csrf": csrf})
    assert refused.status_code == 403
    assert client.get(f"/portal/inbox/{item.id}/manual").status_code == 403
    session.refresh(item)
    assert item.state == "failed"


def test_unit_staff_are_refused_and_anonymous_sent_to_log_in(client, session, now):
    assert client.get("/portal/inbox").headers["location"].startswith("/login")
    login(client, session, now, "unit_staff")
    refused = client.get("/portal/inbox")
    assert refused.status_code == 403
    assert 'action="/logout"' in refused.text  # the staff frame, not the citizen portal's


def test_hostile_text_shows_as_text(client, session, now):
    item = failed_row(client, session, now, text=HOSTILE)
    login(client, session, now, "operator")
    page = client.get("/portal/inbox").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    manual = client.get(f"/portal/inbox/{item.id}/manual").text
    assert "<script>alert" not in manual and "&lt;script&gt;" in manual


def test_backlog_and_counts_by_state(client, session, now):
    failed_row(client, session, now)
    for minutes, created in ((90, now - timedelta(minutes=90)), (0, now - timedelta(days=3))):
        session.add(
            InboxItem(
                source="open311",
                token_hash=secrets.token_hex(32),
                dedupe_key="e" * 64,
                payload={"text": f"等待{minutes}", "phone": PHONE},
                created_at=created,
                state="pending",
            )
        )
    session.flush()
    login(client, session, now, "dispatcher")
    page = client.get("/portal/inbox").text
    assert re.search(r'id="pending-count">(\d+)<', page)[1] == "2"  # type: ignore[index]
    assert 'id="oldest-age">3 天 0 小时<' in page
    assert re.search(r'data-today="failed">(\d+)<', page)[1] == "1"  # type: ignore[index]
    assert re.search(r'data-today="pending">(\d+)<', page)[1] == "1"  # type: ignore[index]
    assert re.search(r'data-week="pending">(\d+)<', page)[1] == "2"  # type: ignore[index]


def test_retry_sends_the_row_back_and_the_drain_then_records_it(client, session, now):
    item = failed_row(client, session, now)
    login(client, session, now, "operator")
    csrf = csrf_of(client.get("/portal/inbox").text)
    # The area comes back (it had been removed by mistake); the row can go through now.
    street = b.area_by_name(session, "西溪街道")
    session.add(
        Area(code=GONE, name="新设社区", short_name="新设", level="community", parent_id=street.id)
    )
    session.flush()
    response = client.post(f"/portal/inbox/{item.id}/retry", data={"csrf": csrf})
    assert response.status_code == 303 and "done=retried" in response.headers["location"]
    session.refresh(item)
    assert (item.state, item.error, item.processed_at) == ("pending", None, None)
    assert "已重新受理" in client.get(response.headers["location"]).text
    again = client.post(f"/portal/inbox/{item.id}/retry", data={"csrf": csrf})
    assert again.status_code == 409  # not failed any more: nothing to retry
    assert drain(client).done == 1
    session.refresh(item)
    assert item.state == "done" and item.complaint_id is not None
    complaint = session.get(Complaint, item.complaint_id)
    assert complaint.text == "某处占道，影响通行" and complaint.area_id is not None


def test_actions_need_the_csrf_token(client, session, now):
    item = failed_row(client, session, now)
    login(client, session, now, "operator")
    assert client.post(f"/portal/inbox/{item.id}/retry").status_code == 403
    assert client.post(f"/portal/inbox/{item.id}/retry", data={"csrf": "x"}).status_code == 403
    entered = client.post(f"/portal/inbox/{item.id}/entered", data={"case_number": ""})
    assert entered.status_code == 403
    session.refresh(item)
    assert item.state == "failed"


def test_failed_rows_newest_first_with_paging(client, session, now):
    ids = []
    for i in range(PAGE_SIZE + 3):
        item = InboxItem(
            source="portal",
            token_hash=secrets.token_hex(32),
            dedupe_key="p" * 64,
            payload={"text": f"分页测试{i:03d}", "phone": PHONE},
            created_at=now - timedelta(minutes=PAGE_SIZE + 3 - i),
            state="failed",
            error="未知区域：999999，请重新选择街道",
            processed_at=now,
        )
        session.add(item)
        session.flush()
        ids.append(item.id)
    login(client, session, now, "admin")
    first = client.get("/portal/inbox").text
    shown = [int(x) for x in re.findall(r'id="inbox-(\d+)"', first)]
    assert len(shown) == PAGE_SIZE and shown == sorted(shown, reverse=True)
    assert shown[0] == ids[-1] and "?page=2" in first
    second = client.get("/portal/inbox?page=2").text
    rest = [int(x) for x in re.findall(r'id="inbox-(\d+)"', second)]
    assert set(rest) >= set(ids[:3]) and not set(rest) & set(shown)
    assert "?page=1" in second and "?page=3" not in second
    assert client.get("/portal/inbox?page=0").status_code == 422


def test_manual_entry_then_marked_done(client, session, now):
    # A real submission (its private link), whose area vanishes before the drain.
    token = token_of(submit(client, intake=False, text="人工录入测试：门口占道经营"))
    item = session.scalars(select(InboxItem).order_by(InboxItem.id.desc())).first()
    item.payload = {**item.payload, "area": GONE, "name": "李四"}
    session.flush()
    assert drain(client).failed == 1
    assert "需人工核实" in client.get(f"/portal/t/{token}").text
    login(client, session, now, "operator")
    form = client.get(f"/portal/inbox/{item.id}/manual")
    assert form.status_code == 200 and 'action="/intake"' in form.text
    number = re.search(r'name="upstream_ref" value="([^"]+)"', form.text)[1]  # type: ignore[index]
    assert re.fullmatch(r"HZ\d{8}W\d{6}", number)
    assert "人工录入测试：门口占道经营" in form.text and f'value="{PHONE}"' in form.text
    assert 'value="李四"' in form.text and 'value="web" selected' in form.text
    # Nothing recorded yet: marking needs the complaint.
    csrf = csrf_of(form.text)
    early = client.post(f"/portal/inbox/{item.id}/entered", data={"csrf": csrf})
    assert early.status_code == 422
    recorded = client.post(
        "/intake",
        data={
            "csrf": csrf,
            "channel": "web",
            "upstream_ref": number,
            "received_at": re.search(r'name="received_at"[^>]*value="([^"]+)"', form.text)[1],  # type: ignore[index]
            "text": "人工录入测试：门口占道经营",
            "complainant_phone": PHONE,
            "area": b.XIXI_STREET,
        },
    )
    assert recorded.status_code == 303, recorded.text[:500]
    case_number = recorded.headers["location"].split("/cases/")[1].split("?")[0]
    done = client.post(f"/portal/inbox/{item.id}/entered", data={"csrf": csrf})
    assert done.status_code == 303 and case_number in done.headers["location"]
    session.refresh(item)
    complaint = session.get(Complaint, item.complaint_id)
    assert item.state == "done" and complaint.upstream_ref == number
    assert complaint.received_at == item.created_at.replace(second=0, microsecond=0)
    case = session.get(Case, complaint.case_id)
    note = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "note")
    ).one()
    assert number in (note.note or "") and note.actor_id is not None
    assert session.scalar(select(Submission).where(Submission.complaint_id == complaint.id))
    # The citizen's link now leads to the case.
    assert case_number in client.get(f"/portal/t/{token}").text
    assert client.post(f"/portal/inbox/{item.id}/entered", data={"csrf": csrf}).status_code == 409


def test_marking_with_a_case_number(client, session, now):
    item = failed_row(client, session, now)
    login(client, session, now, "dispatcher")
    csrf = csrf_of(client.get("/portal/inbox").text)
    missing = client.post(
        f"/portal/inbox/{item.id}/entered", data={"csrf": csrf, "case_number": "HZ0000000000000"}
    )
    assert missing.status_code == 422 and "不存在" in missing.text
    result = b.complaint(session, now=now, text="某处占道，影响通行（人工录入）")
    session.flush()
    response = client.post(
        f"/portal/inbox/{item.id}/entered",
        data={"csrf": csrf, "case_number": result.case.number.lower()},
    )
    assert response.status_code == 303
    session.refresh(item)
    assert item.state == "done" and item.complaint_id == result.complaint.id


def test_the_command_line_retries_failed_rows(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from civicdesk import db
    from civicdesk.cli import app
    from civicdesk.clock import SystemClock
    from civicdesk.settings import get_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CIVICDESK_DATABASE_URL", url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        with db.unit_of_work() as session:
            session.add(
                InboxItem(
                    source="portal",
                    token_hash="c" * 64,
                    dedupe_key="c" * 64,
                    payload={"text": "命令行重新受理", "phone": PHONE},
                    created_at=SystemClock().now(),
                    state="failed",
                    error="未知区域：999999",
                )
            )
        status = runner.invoke(app, ["inbox", "status"])
        assert status.exit_code == 0 and "受理失败 failed 1" in status.output
        assert runner.invoke(app, ["inbox", "retry", "999"]).exit_code == 1
        retried = runner.invoke(app, ["inbox", "retry", "--all-failed"])
        assert retried.exit_code == 0 and "sent back 1" in retried.output
        with db.unit_of_work() as session:
            item = session.scalars(select(InboxItem)).one()
            assert (item.state, item.error) == ("pending", None)
    finally:
        get_settings.cache_clear()
        engine = db._engines.pop(url, None)
        if engine is not None:
            engine.dispose()
