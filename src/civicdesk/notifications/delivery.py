"""Delivering the outbox after commit: claim a batch atomically, send each message outside any
transaction, record the result. A task runner like the worker: it commits, one short transaction
per claim and per result.

Never delivered twice: a row is claimed by one worker at a time (PostgreSQL: ``FOR UPDATE SKIP
LOCKED`` in the claiming ``UPDATE``; SQLite: the single ``UPDATE … WHERE status='pending'`` under
the database's write lock), its result is recorded only with the claim's token, and the row's id
travels with the message as an idempotency key for the far side. A worker that dies mid-send
leaves its claim to expire (``outbox_lease_seconds``); the row is then retried.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.db import begin_for_writing
from civicdesk.notifications.adapters import (
    MISSING_SETTING,
    DeliveryError,
    Outgoing,
    Sender,
    senders,
)
from civicdesk.notifications.models import OutboxMessage, OutboxStatus
from civicdesk.notifications.settings import NotificationSettings, get_notification_settings

Box = OutboxMessage


@dataclass
class DeliveryStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(Box.status == OutboxStatus.pending.value, Box.next_attempt_at <= now),
        and_(Box.status == OutboxStatus.sending.value, Box.claimed_until < now),
    )


def claim(
    session: Session, *, now: datetime, limit: int, lease: timedelta, token: str
) -> list[Outgoing]:
    """Mark up to ``limit`` due rows as being sent by ``token``; flushes, the caller commits."""
    chosen = (
        select(Box.id)
        .where(_due(now))
        .order_by(Box.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.execute(
        update(Box)
        .where(Box.id.in_(chosen.scalar_subquery()), _due(now))
        .values(
            status=OutboxStatus.sending.value,
            claim_token=token,
            claimed_until=now + lease,
            attempts=Box.attempts + 1,
        )
        .returning(Box.id, Box.channel, Box.recipient, Box.subject, Box.body, Box.notice_id)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((Outgoing(*row) for row in rows), key=lambda m: m.id)


def backoff(attempts: int, settings: NotificationSettings) -> timedelta:
    """Exponential: the first retry after ``outbox_backoff_seconds``, doubling, capped."""
    seconds = settings.outbox_backoff_seconds * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, settings.outbox_backoff_max_seconds))


def record(
    session: Session,
    message: Outgoing,
    token: str,
    *,
    error: str | None,
    now: datetime,
    settings: NotificationSettings,
) -> str:
    """Store the outcome of one send under its claim; returns sent | retried | failed | lost
    (the claim expired and another worker has the row: nothing is recorded)."""
    mine = and_(
        Box.id == message.id, Box.claim_token == token, Box.status == OutboxStatus.sending.value
    )
    if error is None:
        values: dict[str, object] = {"status": OutboxStatus.sent.value, "sent_at": now}
        outcome = "sent"
    else:
        attempts = session.scalar(select(Box.attempts).where(Box.id == message.id)) or 1
        if attempts >= settings.outbox_max_attempts:
            values, outcome = {"status": OutboxStatus.failed.value}, "failed"
        else:
            retry_at = now + backoff(attempts, settings)
            values = {"status": OutboxStatus.pending.value, "next_attempt_at": retry_at}
            outcome = "retried"
        values["last_error"] = error[:2000]
    done = session.execute(
        update(Box).where(mine).values(claim_token=None, claimed_until=None, **values)
    )
    return outcome if done.rowcount else "lost"  # type: ignore[attr-defined]


def deliver_pending(
    sessions: sessionmaker[Session],
    *,
    now: Callable[[], datetime],
    settings: NotificationSettings | None = None,
    channel_senders: dict[str, Callable[[], Sender]] | None = None,
    limit: int = 200,
) -> DeliveryStats:
    """Claim, send and record until no due row is left (or ``limit`` rows were claimed)."""
    settings = settings or get_notification_settings()
    available = channel_senders if channel_senders is not None else senders(settings, sessions)
    built: dict[str, Sender] = {}
    stats = DeliveryStats()
    token = secrets.token_hex(16)
    lease = timedelta(seconds=settings.outbox_lease_seconds)
    while stats.claimed < limit:
        with sessions() as session:
            begin_for_writing(session)
            batch = claim(
                session, now=now(), limit=min(50, limit - stats.claimed), lease=lease, token=token
            )
            session.commit()
        if not batch:
            break
        stats.claimed += len(batch)
        for message in batch:
            error = _send(message, available, built, now())
            with sessions() as session:
                begin_for_writing(session)
                outcome = record(session, message, token, error=error, now=now(), settings=settings)
                session.commit()
            if outcome in ("sent", "retried", "failed"):
                setattr(stats, outcome, getattr(stats, outcome) + 1)
            if error:
                stats.errors.append(f"#{message.id} {message.channel}: {error}")
    return stats


def _send(
    message: Outgoing,
    available: dict[str, Callable[[], Sender]],
    built: dict[str, Sender],
    at: datetime,
) -> str | None:
    if message.channel not in available:
        return MISSING_SETTING.get(message.channel, f"unknown channel {message.channel}")
    if message.channel not in built:
        built[message.channel] = available[message.channel]()
    try:
        built[message.channel].send(message, now=at)
    except DeliveryError as exc:
        return str(exc) or type(exc).__name__
    return None
