"""Case numbers: prefix + local opening date + a sequence per day, e.g. HZ2026031000012."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case
from civicdesk.clock import to_local

SEQ_DIGITS = 5


def day_prefix(prefix: str, opened_at: datetime) -> str:
    return f"{prefix}{to_local(opened_at):%Y%m%d}"


def next_case_number(session: Session, *, prefix: str, opened_at: datetime) -> str:
    """The next free number of the day. A concurrent writer may take the same number first:
    the unique index refuses the second, and the caller retries (see intake.service).

    Within one transaction the day's last number is read once (``_Memo``): this transaction
    holds the day's numbers (SQLite: the write lock; PostgreSQL: the day's advisory lock)
    until it commits, so the next one is the last plus one as long as the case that took the
    last is still in the session (a rolled-back savepoint drops it: then the query again)."""
    head = day_prefix(prefix, opened_at)
    memo = _Memo.of(session)
    last_seq = memo.last(head)
    if last_seq is not None:
        return memo.issue(head, last_seq + 1)
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
    return memo.issue(head, seq)


def issued(session: Session, case: Case) -> None:
    """Tell the memo which case took the number it issued last (intake.service, on adding)."""
    memo = session.info.get(_MEMO_KEY)
    if memo is not None and memo.transaction is session.get_transaction():
        memo.cases[case.number] = case


_MEMO_KEY = "civicdesk_case_numbers"


class _Memo:
    """The day's last number issued in the session's current transaction."""

    def __init__(self, transaction: object) -> None:
        self.transaction = transaction
        self.seqs: dict[str, int] = {}  # day head → last sequence issued
        self.cases: dict[str, Case] = {}  # number → the case that took it

    @classmethod
    def of(cls, session: Session) -> _Memo:
        transaction = session.get_transaction()
        memo: _Memo | None = session.info.get(_MEMO_KEY)
        if memo is None or memo.transaction is not transaction:
            memo = session.info[_MEMO_KEY] = cls(transaction)
        return memo

    def last(self, head: str) -> int | None:
        seq = self.seqs.get(head)
        if seq is None:
            return None
        case = self.cases.get(f"{head}{seq:0{SEQ_DIGITS}d}")
        state = inspect(case) if case is not None else None
        if state is None or not (state.persistent or state.pending):
            self.seqs.pop(head, None)  # not taken, or rolled back: read the table again
            return None
        return seq

    def issue(self, head: str, seq: int) -> str:
        self.seqs[head] = seq
        return f"{head}{seq:0{SEQ_DIGITS}d}"
