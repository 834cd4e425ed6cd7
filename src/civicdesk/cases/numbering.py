"""Case numbers: prefix + local opening date + a sequence per day, e.g. HZ2026031000012."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case
from civicdesk.clock import to_local

SEQ_DIGITS = 5


def day_prefix(prefix: str, opened_at: datetime) -> str:
    return f"{prefix}{to_local(opened_at):%Y%m%d}"


def next_case_number(session: Session, *, prefix: str, opened_at: datetime) -> str:
    """The next free number of the day. A concurrent writer may take the same number first:
    the unique index refuses the second, and the caller retries (see intake.service)."""
    head = day_prefix(prefix, opened_at)
    if session.get_bind().dialect.name == "postgresql":
        # Concurrent intakes would all read the same max and collide on the unique index, and a
        # retry in the same transaction still cannot see the others' uncommitted numbers (at 32
        # concurrent submissions most retries ran out): queue on the day's lock until commit.
        # SQLite needs none: its writers are serialised (BEGIN IMMEDIATE).
        lock = int.from_bytes(hashlib.sha256(head.encode()).digest()[:8], "big", signed=True)
        session.execute(text("select pg_advisory_xact_lock(:id)"), {"id": lock})
    # A range on the unique index, not LIKE: PostgreSQL under a non-C collation cannot use a
    # b-tree for LIKE 'prefix%'. Numbers are the prefix plus digits, so any collation orders
    # them alike, and the next day's head bounds the range.
    upper = f"{prefix}{to_local(opened_at) + timedelta(days=1):%Y%m%d}"
    last = session.scalar(
        select(func.max(Case.number)).where(Case.number >= head, Case.number < upper)
    )
    seq = int(last[len(head) :]) + 1 if last else 1
    return f"{head}{seq:0{SEQ_DIGITS}d}"
