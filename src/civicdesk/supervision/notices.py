"""Issuing notices: who receives each (the handling unit, a unit up its chain, the centre), its
text, the row (once per case, rule and occasion), its history row and its outbox messages — all in
the caller's transaction (flush only)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.cases import history
from civicdesk.cases.models import Case
from civicdesk.clock import to_local
from civicdesk.core.workflow import CaseAction, next_status
from civicdesk.notifications import service as outbox
from civicdesk.org.models import Unit
from civicdesk.supervision.models import MANUAL, NOTICE_LABELS, Notice, NoticeKind
from civicdesk.supervision.policy import SupervisionPolicy
from civicdesk.supervision.rules import STEP_OF_STATUS, Due

A = CaseAction
HISTORY_ACTION = {
    NoticeKind.due_soon: A.warn,
    NoticeKind.overdue: A.mark_overdue,
    NoticeKind.urge: A.urge,
    NoticeKind.supervise: A.supervise,
    NoticeKind.escalate: A.escalate,
    NoticeKind.review: A.review_due,
    NoticeKind.report: A.report_due,
}
STEP_LABELS = {"accept": "签收", "handle": "处置", "reply": "答复", "review": "复查"}
_ONCE = ["case_id", "rule", "occasion_at"]


class UnitDirectory:
    """Every unit (a few hundred rows), loaded once per sweep or request: the chain up from a
    unit, and the addresses notices reach it at."""

    def __init__(self, session: Session, policy: SupervisionPolicy) -> None:
        self.units = {u.id: u for u in session.scalars(select(Unit))}
        by_code = {u.code: u.id for u in self.units.values()}
        self.centre_id = by_code.get(policy.centre or "")
        self.policy = policy

    def up(self, unit_id: int | None, levels: int) -> int | None:
        """The unit ``levels`` steps up the parent chain; past the top of the chain, the centre."""
        current = unit_id
        for _ in range(levels):
            parent = self.units[current].parent_id if current in self.units else None
            if parent is None:
                return self.centre_id
            current = parent
        return current if current is not None else self.centre_id

    def name(self, unit_id: int | None) -> str:
        unit = self.units.get(unit_id) if unit_id is not None else None
        return unit.name if unit else "受理中心"

    def recipient(self, unit_id: int | None) -> outbox.Recipient | None:
        unit = self.units.get(unit_id) if unit_id is not None else None
        if unit is None:
            return None
        contact = self.policy.contact(unit.code)
        phone = (contact.phone if contact else None) or unit.phone
        return outbox.Recipient(unit.id, unit.code, phone, contact.email if contact else None)


class CaseLike(Protocol):
    """What issuing reads of a case: an ORM ``Case`` or a row of the ``cases`` table."""

    @property
    def id(self) -> int: ...
    @property
    def number(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def unit_id(self) -> int | None: ...
    @property
    def due_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Planned:
    case: CaseLike
    due: Due
    unit_id: int | None
    text: str


@dataclass
class Issued:
    """What a batch issued: the kinds, and per case the counters to add."""

    kinds: Counter[str] = field(default_factory=Counter)
    urges: Counter[int] = field(default_factory=Counter)
    supervisions: Counter[int] = field(default_factory=Counter)


def recipient_of(case: CaseLike, due: Due, units: UnitDirectory) -> int | None:
    """Escalations go up the chain; the centre answers the citizen (答复) and reviews
    suspensions; everything else goes to the handling unit."""
    if due.kind == NoticeKind.escalate:
        return units.up(case.unit_id, due.level)
    if due.kind == NoticeKind.review or STEP_OF_STATUS.get(case.status) == "reply":  # type: ignore[call-overload]
        return units.centre_id
    return case.unit_id


def heading(case: CaseLike) -> tuple[str, str, str]:
    """What every notice about the case starts from: the case, the step, its deadline."""
    step = STEP_LABELS.get(STEP_OF_STATUS.get(case.status, ""), "办理")  # type: ignore[call-overload]
    deadline = f"{to_local(case.due_at):%m月%d日 %H:%M}" if case.due_at else ""
    return f"{case.number}「{case.title}」", step, deadline


def text_of(
    case: CaseLike,
    due: Due,
    units: UnitDirectory,
    grade_name: str | None,
    head: tuple[str, str, str] | None = None,
) -> str:
    subject, step, deadline = head or heading(case)
    kind = due.kind
    if kind == NoticeKind.due_soon:
        return f"{subject}{step}期限{deadline}将到，请抓紧办理。"
    if kind == NoticeKind.overdue:
        return f"{subject}已超过{step}期限（{deadline}），请尽快办理。"
    if kind == NoticeKind.urge:
        return f"【催办】{subject}{step}已超期（{due.name}），请立即办理并反馈。"
    if kind == NoticeKind.supervise:
        return f"【督办】{subject}：{due.name}，请限期办结并报告结果。"
    if kind == NoticeKind.escalate:
        unit = units.name(case.unit_id)
        return f"【升级督办】{unit}承办的{subject}{step}已超期（{due.name}），请督促办理。"
    if kind == NoticeKind.review:
        return f"{subject}挂账复查日期已到，请复查后恢复办理或继续挂账。"
    return f"{subject}为{grade_name or '督办'}案件，请报告办理进展。"


_NOTICE_COLUMNS = {
    "case_id": "int",
    "kind": "varchar",
    "rule": "varchar",
    "occasion_at": "timestamptz",
    "unit_id": "int",
    "handling_unit_id": "int",
    "level": "int",
    "due_at": "timestamptz",
    "issued_at": "timestamptz",
    "text": "text",
}
# PostgreSQL: one statement over arrays (unnest): a multi-row VALUES of thousands of rows costs
# the driver more to build than the server to run.
_UNNEST = text(
    f"insert into supervision_notices ({', '.join(_NOTICE_COLUMNS)}) "
    f"select * from unnest({', '.join(f'cast(:{c} as {t}[])' for c, t in _NOTICE_COLUMNS.items())})"
    f" on conflict ({', '.join(_ONCE)}) do nothing returning id, case_id, rule, occasion_at"
)


def _insert_once(session: Session, rows: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """Insert notices, skipping any already issued (the unique key); the keys inserted."""
    if not rows:
        return set()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        arrays = {c: [r[c] for r in rows] for c in _NOTICE_COLUMNS}
        result = connection.execute(_UNNEST, arrays)
    else:
        table = cast(Table, Notice.__table__)
        returned = (table.c.id, table.c.case_id, table.c.rule, table.c.occasion_at)
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=_ONCE)
        # executemany, batched into multi-row statements by SQLAlchemy, compiled once
        result = connection.execute(statement.returning(*returned), rows)
    return {(case_id, rule, occasion, notice_id) for notice_id, case_id, rule, occasion in result}


def issue(
    session: Session, planned: list[Planned], *, now: datetime, units: UnitDirectory
) -> Issued:
    """Issue the planned notices that were not issued before: each its row, its history row
    (the action of its kind, by the platform) and its messages. The caller adds the counters."""
    rows = [_notice_row(p, now) for p in planned]
    inserted = {key[:3]: key[3] for key in _insert_once(session, rows)}
    issued = Issued()
    events: list[dict[str, Any]] = []
    messages: list[outbox.Message] = []
    for p in planned:
        notice_id = inserted.get((p.case.id, p.due.rule, p.due.occasion_at))
        if notice_id is None:
            continue  # issued before, or by another worker a moment ago
        issued.kinds[p.due.kind.value] += 1
        if p.due.kind == NoticeKind.urge:
            issued.urges[p.case.id] += 1
        elif p.due.kind == NoticeKind.supervise:
            issued.supervisions[p.case.id] += 1
        events.append(_event(p, notice_id, now))
        recipient = units.recipient(p.unit_id)
        if recipient is not None:
            subject = f"{NOTICE_LABELS[p.due.kind]} {p.case.number}"
            messages.append(outbox.Message(recipient, subject, p.text, p.case.id, notice_id))
    history.record_many(session, events)
    outbox.enqueue(session, messages, now=now)
    return issued


def _notice_row(p: Planned, now: datetime) -> dict[str, Any]:
    return {
        "case_id": p.case.id,
        "kind": p.due.kind.value,
        "rule": p.due.rule,
        "occasion_at": p.due.occasion_at,
        "unit_id": p.unit_id,
        "handling_unit_id": p.case.unit_id,
        "level": p.due.level,
        "due_at": p.case.due_at,
        "issued_at": now,
        "text": p.text,
    }


def _event(p: Planned, notice_id: int, now: datetime) -> dict[str, Any]:
    action = HISTORY_ACTION[p.due.kind]
    next_status(p.case.status, action)  # the table must allow it: a side action, same status
    return {
        "case_id": p.case.id,
        "at": now,
        "actor_id": None,
        "action": action.value,
        "from_status": p.case.status,
        "to_status": p.case.status,
        "note": p.text,
        "unit_id": p.unit_id,
        "data": {"rule": p.due.rule, "notice": notice_id, "level": p.due.level or None},
    }


def issue_manual(
    session: Session,
    case: Case,
    kind: NoticeKind,
    *,
    actor: User,
    now: datetime,
    note: str | None,
    units: UnitDirectory,
) -> Notice:
    """A notice a dispatcher or leader issues by hand (催办, 督办); the action's own history row
    is written by ``cases.service.perform``."""
    label = NOTICE_LABELS[kind]
    text = f"【{label}】{case.number}「{case.title}」：{note or '请尽快办理并反馈结果'}"
    notice = Notice(
        case_id=case.id,
        kind=kind.value,
        rule=MANUAL,
        occasion_at=None,
        unit_id=case.unit_id,
        handling_unit_id=case.unit_id,
        level=0,
        due_at=case.due_at,
        issued_at=now,
        issued_by_id=actor.id,
        text=text,
    )
    session.add(notice)
    session.flush()
    recipient = units.recipient(case.unit_id)
    if recipient is not None:
        message = outbox.Message(recipient, f"{label} {case.number}", text, case.id, notice.id)
        outbox.enqueue(session, [message], now=now)
    return notice
