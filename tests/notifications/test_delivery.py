"""The outbox: written with the change, delivered after commit through the configured adapter,
retried with exponential backoff, never delivered twice."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from civicdesk.clock import FixedClock
from civicdesk.notifications import adapters
from civicdesk.notifications import service as outbox
from civicdesk.notifications.delivery import claim, deliver_pending, record
from civicdesk.notifications.models import OutboxMessage
from civicdesk.notifications.settings import NotificationSettings
from civicdesk.supervision.models import Notice
from tests.supervision.conftest import dispatched, staff  # noqa: F401 (fixture)

UNIT = outbox.Recipient(None, "sq-330106004", "13800000000", "xixi@example.cn")
SETTINGS = NotificationSettings(outbox_backoff_seconds=30, outbox_max_attempts=3)


class Recording:
    def __init__(self, fail: int = 0) -> None:
        self.sent: list[adapters.Outgoing] = []
        self.fail = fail

    def send(self, message: adapters.Outgoing, *, now) -> None:  # type: ignore[no-untyped-def]
        if self.fail:
            self.fail -= 1
            raise adapters.DeliveryError("gateway busy")
        self.sent.append(message)


@pytest.fixture
def sessions(session):
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def write(session, now, *channels: str, body: str = "案件已超期") -> None:
    outbox.enqueue(session, [outbox.Message(UNIT, "超期", body)], now=now, channels=list(channels))
    session.flush()


def rows(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_delivered_once_and_never_again(session, sessions, now):
    write(session, now, "log", "sms")
    sender = Recording()
    clock = FixedClock(now)
    senders = {"log": lambda: sender, "sms": lambda: sender}
    stats = deliver_pending(sessions, now=clock.now, settings=SETTINGS, channel_senders=senders)
    assert stats.sent == 2 and [m.recipient for m in sender.sent] == ["sq-330106004", "13800000000"]
    again = deliver_pending(sessions, now=clock.now, settings=SETTINGS, channel_senders=senders)
    assert again.claimed == 0 and len(sender.sent) == 2
    assert {r.status for r in rows(session)} == {"sent"}


def test_a_failure_is_retried_with_exponential_backoff_then_given_up(session, sessions, now):
    write(session, now, "sms")
    sender = Recording(fail=5)
    clock = FixedClock(now)
    run = lambda: deliver_pending(  # noqa: E731
        sessions, now=clock.now, settings=SETTINGS, channel_senders={"sms": lambda: sender}
    )
    assert run().retried == 1
    row = rows(session)[0]
    assert (row.status, row.attempts, row.next_attempt_at) == (
        "pending",
        1,
        now + timedelta(seconds=30),
    )
    assert run().claimed == 0  # not due yet
    clock.at = now + timedelta(seconds=31)
    assert run().retried == 1
    assert rows(session)[0].next_attempt_at == clock.at + timedelta(seconds=60)  # doubled
    clock.at += timedelta(seconds=61)
    assert run().failed == 1  # the third attempt was the last
    row = rows(session)[0]
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "gateway busy")


def test_a_stale_claim_is_taken_over_and_the_old_worker_cannot_record(session, sessions, now):
    write(session, now, "log")
    lease = timedelta(seconds=300)
    first = claim(session, now=now, limit=10, lease=lease, token="a" * 32)
    assert len(first) == 1 and claim(session, now=now, limit=10, lease=lease, token="b" * 32) == []
    later = now + timedelta(seconds=301)  # worker a died mid-send: its lease expired
    second = claim(session, now=later, limit=10, lease=lease, token="c" * 32)
    assert [m.id for m in second] == [first[0].id]
    assert record(session, first[0], "a" * 32, error=None, now=later, settings=SETTINGS) == "lost"
    assert record(session, second[0], "c" * 32, error=None, now=later, settings=SETTINGS) == "sent"


def test_a_channel_without_its_settings_says_which(session, sessions, now):
    write(session, now, "sms")
    stats = deliver_pending(
        sessions, now=FixedClock(now).now, settings=SETTINGS, channel_senders={}
    )
    assert stats.retried == 1 and "CIVICDESK_SMS_GATEWAY_URL" in stats.errors[0]


def test_unknown_channels_are_refused_in_settings():
    with pytest.raises(ValidationError, match="unknown channel"):
        NotificationSettings(notify_channels="log,fax")
    assert NotificationSettings(notify_channels="sms, log,sms").channels == ["sms", "log"]


class Gateway(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], dict[str, str]]]] = []
    answers: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.received.append((dict(self.headers), body))
        self.send_response(Gateway.answers.pop(0) if Gateway.answers else 200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_sms_gateway_gets_the_text_and_an_idempotency_key(session, sessions, now):
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Gateway.received, Gateway.answers = [], [503]
    settings = NotificationSettings(
        sms_gateway_url=f"http://127.0.0.1:{server.server_port}/send",
        sms_gateway_token="t0ken",
        outbox_backoff_seconds=1,
    )
    try:
        write(session, now, "sms", body="【催办】HZ1 请尽快处置")
        clock = FixedClock(now)
        assert deliver_pending(sessions, now=clock.now, settings=settings).retried == 1
        clock.at += timedelta(seconds=2)
        assert deliver_pending(sessions, now=clock.now, settings=settings).sent == 1
    finally:
        server.shutdown()
        server.server_close()
    (headers, body), (headers2, body2) = Gateway.received
    assert (
        body == body2 == {"id": body["id"], "to": "13800000000", "text": "【催办】HZ1 请尽快处置"}
    )
    assert headers["Idempotency-Key"] == headers2["Idempotency-Key"] == body["id"]
    assert headers["Authorization"] == "Bearer t0ken"


def test_email_goes_through_smtp_with_a_stable_message_id(session, sessions, now, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):  # type: ignore[no-untyped-def]
            assert (host, port) == ("mail.example.cn", 25)

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            return False

        def send_message(self, message):  # type: ignore[no-untyped-def]
            sent.append(message)

    monkeypatch.setattr(adapters.smtplib, "SMTP", FakeSMTP)
    write(session, now, "email")
    settings = NotificationSettings(smtp_host="mail.example.cn", smtp_from="duban@96310.cn")
    assert deliver_pending(sessions, now=FixedClock(now).now, settings=settings).sent == 1
    assert sent[0]["To"] == "xixi@example.cn" and sent[0]["Subject"] == "超期"
    assert sent[0]["Message-ID"].startswith("<civicdesk-") and "案件已超期" in sent[0].get_content()


def test_in_app_delivery_marks_the_notice_delivered(session, sessions, now, staff):  # noqa: F811
    from civicdesk.core.workflow import CaseAction as A
    from tests.supervision.conftest import act

    case = dispatched(session, now, staff)
    act(session, case, A.urge, staff["dispatcher"], now, note="请今天办结")
    notice = session.scalars(select(Notice).where(Notice.case_id == case.id)).one()
    outbox.enqueue(
        session,
        [outbox.Message(UNIT, "催办", notice.text, case.id, notice.id)],
        now=now,
        channels=["inapp"],
    )
    session.flush()
    stats = deliver_pending(sessions, now=FixedClock(now).now, settings=SETTINGS)
    assert stats.sent >= 1
    session.refresh(notice)
    assert notice.delivered_at == now
