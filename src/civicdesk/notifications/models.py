"""The outbox: messages written in the same transaction as the change they tell about, delivered
after commit by the worker through the configured channel, retried with backoff."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base


class OutboxStatus(enum.StrEnum):
    pending = "pending"  # waiting (or waiting for its next attempt)
    sending = "sending"  # claimed by a worker until claimed_until
    sent = "sent"
    failed = "failed"  # gave up after the last attempt; needs a person


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status in ('pending','sending','sent','failed')", name="status"),
        CheckConstraint("channel in ('log','sms','email','inapp')", name="channel"),
        # One message per notice and channel, however often the notice's writer is retried.
        UniqueConstraint("notice_id", "channel"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(200))  # phone, e-mail, unit code
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("supervision_notices.id", ondelete="CASCADE")
    )
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
