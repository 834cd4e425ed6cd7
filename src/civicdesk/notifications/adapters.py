"""The outside systems a message can leave through, each behind the small ``Sender`` protocol:
a log (the default), an HTTP SMS gateway, SMTP e-mail, and the in-app inbox. Tests use fakes.

Every send carries the outbox row's id as an idempotency key: the SMS gateway and the e-mail
``Message-ID`` let the far side drop a repeat should a worker die between sending and recording.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.notifications.settings import NotificationSettings
from civicdesk.supervision.models import Notice

log = logging.getLogger("civicdesk.notifications")


@dataclass(frozen=True)
class Outgoing:
    id: int  # the outbox row: the idempotency key
    channel: str
    recipient: str
    subject: str
    body: str
    notice_id: int | None


class DeliveryError(Exception):
    """The channel refused or could not be reached; the row is retried with backoff."""


class Sender(Protocol):
    def send(self, message: Outgoing, *, now: datetime) -> None: ...


class LogSender:
    """Writes the message to the log: the default, so nothing leaves a demo or test machine."""

    def send(self, message: Outgoing, *, now: datetime) -> None:
        log.info(
            "[%s → %s] %s: %s", message.channel, message.recipient, message.subject, message.body
        )


class SmsGatewaySender:
    """POSTs ``{"id", "to", "text"}`` as JSON to the gateway (bearer token if configured)."""

    def __init__(self, url: str, token: str | None, timeout: float) -> None:
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, message: Outgoing, *, now: datetime) -> None:
        body = json.dumps(
            {"id": f"civicdesk-{message.id}", "to": message.recipient, "text": message.body},
            ensure_ascii=False,
        ).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json; charset=utf-8")
        request.add_header("Idempotency-Key", f"civicdesk-{message.id}")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            raise DeliveryError(f"SMS gateway answered {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"SMS gateway unreachable: {exc}") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"SMS gateway answered {status}")


class EmailSender:
    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings

    def send(self, message: Outgoing, *, now: datetime) -> None:
        s = self.settings
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = (
            s.smtp_from,
            message.recipient,
            message.subject,
        )
        email["Message-ID"] = f"<civicdesk-{message.id}@{s.smtp_from.split('@')[-1]}>"
        email.set_content(message.body)
        try:
            with smtplib.SMTP(
                s.smtp_host or "localhost", s.smtp_port, timeout=s.outbox_timeout_seconds
            ) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_user:
                    smtp.login(s.smtp_user, s.smtp_password or "")
                smtp.send_message(email)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {exc}") from None


class InAppSender:
    """The notice is already in the unit's inbox (written with the change); delivering it here
    stamps it delivered, which the inbox shows."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def send(self, message: Outgoing, *, now: datetime) -> None:
        if message.notice_id is None:
            return
        with self.sessions.begin() as session:
            session.execute(
                update(Notice)
                .where(Notice.id == message.notice_id, Notice.delivered_at.is_(None))
                .values(delivered_at=now)
            )


def senders(
    settings: NotificationSettings, sessions: sessionmaker[Session]
) -> dict[str, Callable[[], Sender]]:
    """Channel → how to build its sender; a channel without its settings is missing here, so
    its rows fail with a message naming the setting."""
    built: dict[str, Callable[[], Sender]] = {
        "log": LogSender,
        "inapp": lambda: InAppSender(sessions),
    }
    if settings.sms_gateway_url:
        url, token = settings.sms_gateway_url, settings.sms_gateway_token
        built["sms"] = lambda: SmsGatewaySender(url, token, settings.outbox_timeout_seconds)
    if settings.smtp_host:
        built["email"] = lambda: EmailSender(settings)
    return built


MISSING_SETTING = {
    "sms": "未配置短信网关 (CIVICDESK_SMS_GATEWAY_URL)",
    "email": "未配置邮件服务器 (CIVICDESK_SMTP_HOST)",
}
