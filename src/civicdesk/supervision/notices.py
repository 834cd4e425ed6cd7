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
from civicdesk.notifications.settings import get_notification_settings
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

    def count(self, case_id: int, kind: NoticeKind) -> None:
        self.kinds[kind.value] += 1
        if kind == NoticeKind.urge:
            self.urges[case_id] += 1
        elif kind == NoticeKind.supervise:
            self.supervisions[case_id] += 1


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
    if not planned:
        return Issued()
    for p in planned:
        next_status(p.case.status, HISTORY_ACTION[p.due.kind])  # a side action, same status
    if session.connection().dialect.name == "postgresql":
        return _issue_in_one_statement(session, planned, now=now, units=units)
    rows = [_notice_row(p, now) for p in planned]
    inserted = {key[:3]: key[3] for key in _insert_once(session, rows)}
    issued = Issued()
    events: list[dict[str, Any]] = []
    messages: list[outbox.Message] = []
    for p in planned:
        notice_id = inserted.get((p.case.id, p.due.rule, p.due.occasion_at))
        if notice_id is None:
            continue  # issued before, or by another worker a moment ago
        issued.count(p.case.id, p.due.kind)
        events.append(_event(p, notice_id, now))
        recipient = units.recipient(p.unit_id)
        if recipient is not None:
            subject = f"{NOTICE_LABELS[p.due.kind]} {p.case.number}"
            messages.append(outbox.Message(recipient, subject, p.text, p.case.id, notice_id))
    history.record_many(session, events)
    outbox.enqueue(session, messages, now=now)
    return issued


# PostgreSQL: the notices, their history rows and their outbox rows in one statement — the
# history and outbox rows are made by the server from the notices it inserted (data-modifying
# CTEs), so the driver sends each notice's values once and nothing comes back but the keys.
_INPUT_COLUMNS = {
    **_NOTICE_COLUMNS,
    "action": "varchar",
    "status": "varchar",
    "subject": "varchar",
}
del _INPUT_COLUMNS["issued_at"]
_ONE_STATEMENT = text(
    "with input as (select * from unnest("
    + ", ".join(f"cast(:{c} as {t}[])" for c, t in _INPUT_COLUMNS.items())
    + f") as i({', '.join(_INPUT_COLUMNS)})), "
    "notice as (insert into supervision_notices "
    "(case_id, kind, rule, occasion_at, unit_id, handling_unit_id, level, due_at, issued_at, text) "
    "select case_id, kind, rule, occasion_at, unit_id, handling_unit_id, level, due_at, "
    "cast(:now as timestamptz), text from input "
    "on conflict (case_id, rule, occasion_at) do nothing "
    "returning id, case_id, rule, occasion_at), "
    "issued as (select n.id, i.* from notice n join input i on i.case_id = n.case_id "
    "and i.rule = n.rule and i.occasion_at = n.occasion_at), "
    "event as (insert into case_events "
    "(case_id, at, actor_id, action, from_status, to_status, note, data, unit_id) "
    "select case_id, cast(:now as timestamptz), null, action, status, status, text, "
    "json_strip_nulls(json_build_object('rule', rule, 'notice', id, 'level', nullif(level, 0))), "
    "unit_id from issued order by id), "
    "message as (insert into outbox (created_at, channel, recipient, unit_id, case_id, "
    "notice_id, subject, body, status, attempts, next_attempt_at) "
    "select cast(:now as timestamptz), r.channel, r.address, issued.unit_id, issued.case_id, "
    "issued.id, issued.subject, issued.text, 'pending', 0, cast(:now as timestamptz) "
    "from issued join unnest(cast(:r_unit as int[]), cast(:r_channel as varchar[]), "
    "cast(:r_address as varchar[]), cast(:r_order as int[])) "
    "as r(unit_id, channel, address, ord) on r.unit_id = issued.unit_id "
    "order by issued.id, r.ord) "
    "select case_id, kind from issued"
)


def _issue_in_one_statement(
    session: Session, planned: list[Planned], *, now: datetime, units: UnitDirectory
) -> Issued:
    rows = [_notice_row(p, now) for p in planned]
    arrays: dict[str, Any] = {c: [r[c] for r in rows] for c in _INPUT_COLUMNS if c in rows[0]}
    arrays["action"] = [HISTORY_ACTION[p.due.kind].value for p in planned]
    arrays["status"] = [p.case.status for p in planned]
    arrays["subject"] = [f"{NOTICE_LABELS[p.due.kind]} {p.case.number}"[:200] for p in planned]
    addresses = _addresses(units, {p.unit_id for p in planned})
    arrays.update(zip(("r_unit", "r_channel", "r_address", "r_order"), addresses, strict=True))
    issued = Issued()
    for case_id, kind in session.connection().execute(_ONE_STATEMENT, {**arrays, "now": now}):
        issued.count(case_id, NoticeKind(kind))
    return issued


def _addresses(units: UnitDirectory, unit_ids: set[int | None]) -> tuple[list[Any], ...]:
    """Per recipient unit, each channel in use that has an address for it (``rows_for``'s
    rule): four parallel lists (unit, channel, address, the channel's order)."""
    channels = get_notification_settings().channels
    found: tuple[list[Any], ...] = ([], [], [], [])
    for unit_id in sorted(u for u in unit_ids if u is not None):
        recipient = units.recipient(unit_id)
        if recipient is None:
            continue
        for order, channel in enumerate(channels):
            address = recipient.address(channel)
            if address:
                for target, value in zip(
                    found, (unit_id, channel, address[:200], order), strict=True
                ):
                    target.append(value)
    return found


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
