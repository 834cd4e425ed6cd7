"""Writing messages to the outbox, in the transaction of the change they tell about (flush only):
nothing leaves before that transaction commits, and nothing committed is lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from civicdesk.db import copy_rows
from civicdesk.notifications.models import OutboxMessage, OutboxStatus
from civicdesk.notifications.settings import get_notification_settings


@dataclass(frozen=True)
class Recipient:
    """A unit as messages reach it: its code (log, in-app), phone (SMS), e-mail."""

    unit_id: int | None
    code: str
    phone: str | None = None
    email: str | None = None

    def address(self, channel: str) -> str | None:
        if channel == "sms":
            return self.phone
        if channel == "email":
            return self.email
        return self.code if channel in ("log", "inapp") else None


@dataclass(frozen=True)
class Message:
    recipient: Recipient
    subject: str
    body: str
    case_id: int | None = None
    notice_id: int | None = None


def rows_for(
    messages: list[Message], *, now: datetime, channels: list[str] | None = None
) -> list[dict[str, Any]]:
    """One outbox row per message and channel that has an address for the recipient."""
    channels = channels if channels is not None else get_notification_settings().channels
    rows = []
    for message in messages:
        for channel in channels:
            address = message.recipient.address(channel)
            if not address:
                continue  # e.g. no phone for this unit: the other channels still carry it
            rows.append(
                {
                    "created_at": now,
                    "channel": channel,
                    "recipient": address[:200],
                    "unit_id": message.recipient.unit_id,
                    "case_id": message.case_id,
                    "notice_id": message.notice_id,
                    "subject": message.subject[:200],
                    "body": message.body,
                    "status": OutboxStatus.pending.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
            )
    return rows


def enqueue(
    session: Session,
    messages: list[Message],
    *,
    now: datetime,
    channels: list[str] | None = None,
) -> int:
    """Add the messages to the outbox; returns the number of rows written."""
    rows = rows_for(messages, now=now, channels=channels)
    if rows:
        copy_rows(session, OutboxMessage.__table__, rows)
    return len(rows)
