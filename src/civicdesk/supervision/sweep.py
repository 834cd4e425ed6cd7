"""The supervision sweep over a batch of cases: lock each (PostgreSQL: ``FOR UPDATE SKIP
LOCKED``, so two workers split the work; SQLite: the writer's lock), re-read it, let the pure
rules say what is due, issue it once, store the marks. Flushes; ``tasks.run_sweep`` commits per
batch. The same step runs for one case right after an action (``evaluate_now``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from civicdesk.cases.models import Case
from civicdesk.config.policies import supervision_policy
from civicdesk.core.calendar import WorkCalendar
from civicdesk.supervision import rules
from civicdesk.supervision.notices import (
    Issued,
    Planned,
    UnitDirectory,
    heading,
    issue,
    recipient_of,
    text_of,
)
from civicdesk.supervision.policy import SupervisionPolicy


class DayCache(WorkCalendar):
    """The same calendar remembering each day's answer: a batch's thousands of deadlines fall in
    the same few weeks, and each answer costs a look-up in the official calendar."""

    def __init__(self, base: WorkCalendar) -> None:
        super().__init__(
            base.office_hours,
            base.overrides,
            assume_weekdays_for_unknown=base.assume_weekdays_for_unknown,
        )
        self._days: dict[date, bool] = {}

    def is_workday(self, d: date) -> bool:
        known = self._days.get(d)
        if known is None:
            known = self._days[d] = super().is_workday(d)
        return known


@dataclass
class SweepContext:
    now: datetime
    calendar: WorkCalendar
    policy: SupervisionPolicy
    units: UnitDirectory
    bounds: dict[str, datetime]  # per step, due at or before this: 临期

    @classmethod
    def build(cls, session: Session, *, now: datetime, calendar: WorkCalendar) -> SweepContext:
        policy = supervision_policy(session)
        units = UnitDirectory(session, policy)
        calendar = DayCache(calendar)
        return cls(now, calendar, policy, units, rules.warning_bounds(policy, calendar, now))


@dataclass
class SweepStats:
    candidates: int = 0
    examined: int = 0
    skipped_locked: int = 0
    notices: Counter[str] = field(default_factory=Counter)

    def add(self, other: SweepStats) -> None:
        self.candidates += other.candidates
        self.examined += other.examined
        self.skipped_locked += other.skipped_locked
        self.notices.update(other.notices)

    @property
    def issued(self) -> int:
        return sum(self.notices.values())


def clock_of(case: Any) -> rules.CaseClock:
    """A case (ORM object or table row) as the rules read it."""
    return rules.CaseClock(
        status=case.status,
        due_at=case.due_at,
        opened_at=case.opened_at,
        warned_due_at=case.warned_due_at,
        overdue_due_at=case.overdue_due_at,
        escalation_level=case.escalation_level,
        complaint_count=case.complaint_count,
        complaints_seen=case.complaints_seen,
        leader_attention=case.leader_attention,
        leader_flagged_at=case.leader_flagged_at,
        grade=case.grade,
        next_report_at=case.next_report_at,
    )


_T = cast(Table, Case.__table__)
_READ = [
    _T.c[name]
    for name in (
        "id",
        "number",
        "title",
        "status",
        "unit_id",
        "due_at",
        "opened_at",
        "warned_due_at",
        "overdue_due_at",
        "escalation_level",
        "complaint_count",
        "complaints_seen",
        "leader_attention",
        "leader_flagged_at",
        "grade",
        "next_report_at",
        "next_check_at",
    )
]
_MARKS = (
    "warned_due_at",
    "overdue_due_at",
    "escalation_level",
    "complaints_seen",
    "next_report_at",
    "next_check_at",
)
# One statement for the whole batch (executemany): the marks, and the counters added to.
_STORE = (
    update(_T)
    .where(_T.c.id == bindparam("case"))
    .values(
        **{name: bindparam(name) for name in _MARKS},
        urge_count=_T.c.urge_count + bindparam("urges"),
        supervise_count=_T.c.supervise_count + bindparam("supervisions"),
    )
)


def lock_cases(session: Session, ids: list[int]) -> list[Row[Any]]:
    """The cases' rows, locked and read afresh; rows another worker holds are skipped, not
    waited for (it is issuing their notices right now)."""
    query = select(*_READ).where(_T.c.id.in_(ids)).order_by(_T.c.id)
    return list(session.connection().execute(query.with_for_update(skip_locked=True)))


def process(session: Session, ids: list[int], ctx: SweepContext) -> SweepStats:
    stats = SweepStats(candidates=len(ids))
    session.flush()  # the caller's pending changes first: the rules read the rows
    rows = lock_cases(session, ids)
    stats.examined, stats.skipped_locked = len(rows), len(ids) - len(rows)
    planned: list[Planned] = []
    marks: dict[int, dict[str, Any]] = {}
    for row in rows:
        result = rules.evaluate(
            clock_of(row), now=ctx.now, policy=ctx.policy, calendar=ctx.calendar, bounds=ctx.bounds
        )
        new = {name: getattr(result, name) for name in _MARKS}
        if any(new[name] != getattr(row, name) for name in _MARKS) or result.notices:
            marks[row.id] = new
        if not result.notices:
            continue
        grade = ctx.policy.grade(row.grade)
        head = heading(row)
        for due in result.notices:
            text = text_of(row, due, ctx.units, grade.name if grade else None, head)
            planned.append(Planned(row, due, recipient_of(row, due, ctx.units), text))
    issued = issue(session, planned, now=ctx.now, units=ctx.units)
    stats.notices.update(issued.kinds)
    _store(session, marks, issued)
    return stats


def _store(session: Session, marks: dict[int, dict[str, Any]], issued: Issued) -> None:
    if not marks:
        return
    params = [
        {
            "case": case_id,
            **values,
            "urges": issued.urges[case_id],
            "supervisions": issued.supervisions[case_id],
        }
        for case_id, values in marks.items()
    ]
    session.connection().execute(_STORE, params)
    # A Case already loaded in this session (an action's case) must not keep stale values.
    for case_id in marks:
        loaded = session.identity_map.get(identity_key(Case, case_id))
        if loaded is not None:
            session.expire(loaded)


def evaluate_now(session: Session, case: Case, *, now: datetime, calendar: WorkCalendar) -> int:
    """Run the rules for one case at once (after a leader's flag, a dispatch…), in the caller's
    transaction; the number of notices issued."""
    session.flush()
    return process(
        session, [case.id], SweepContext.build(session, now=now, calendar=calendar)
    ).issued
