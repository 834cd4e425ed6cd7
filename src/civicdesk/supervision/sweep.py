"""The supervision sweep over a batch of cases: lock each (PostgreSQL: ``FOR UPDATE SKIP
LOCKED``, so two workers split the work; SQLite: the writer's lock), re-read it, let the pure
rules say what is due, issue it once, store the marks (in ``case_marks``, a narrow side table:
``marks``) and add to the case's counters. Flushes; ``tasks.run_sweep`` commits per batch.
The same step runs for one case right after an action (``evaluate_now``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Integer, Row, Table, bindparam, func, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from civicdesk.cases.models import Case
from civicdesk.config.policies import supervision_policy
from civicdesk.core.calendar import WorkCalendar
from civicdesk.supervision import rules
from civicdesk.supervision.marks import MARKS, store_marks
from civicdesk.supervision.models import CaseMarks
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


def clock_of(case: Any, marks: Any = None) -> rules.CaseClock:
    """A case as the rules read it: a row of ``cases`` joined with its marks (the sweep's
    read), or an ORM ``Case`` with its ``CaseMarks`` (``None``: not marked yet)."""
    if marks is None and hasattr(case, "warned_due_at"):
        marks = case

    def mark(name: str) -> Any:
        return getattr(marks, name) if marks is not None else None

    return rules.CaseClock(
        status=case.status,
        due_at=case.due_at,
        opened_at=case.opened_at,
        warned_due_at=mark("warned_due_at"),
        overdue_due_at=mark("overdue_due_at"),
        escalation_level=case.escalation_level,
        complaint_count=case.complaint_count,
        complaints_seen=mark("complaints_seen") or 0,
        leader_attention=case.leader_attention,
        leader_flagged_at=case.leader_flagged_at,
        grade=case.grade,
        next_report_at=mark("next_report_at"),
    )


_T = cast(Table, Case.__table__)
_M = cast(Table, CaseMarks.__table__)
_READ = [
    *(
        _T.c[name]
        for name in (
            "id",
            "number",
            "title",
            "status",
            "unit_id",
            "due_at",
            "opened_at",
            "escalation_level",
            "complaint_count",
            "leader_attention",
            "leader_flagged_at",
            "grade",
        )
    ),
    *(_M.c[name] for name in MARKS),
]
# What the rules may change on the case itself (the board and the page show these).
_COUNTERS = ("urge_count", "supervise_count", "escalation_level")


def lock_cases(session: Session, ids: list[int]) -> list[Row[Any]]:
    """The cases' rows with their marks, locked and read afresh. Rows another worker holds are
    skipped, not waited for (it is issuing their notices right now). PostgreSQL: the lock is
    taken first and the rows read by a second statement, whose snapshot is taken after the
    locks are held, so the marks a worker committed a moment ago are seen (read committed)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        locking = select(_T.c.id).where(_T.c.id.in_(ids)).order_by(_T.c.id)
        ids = list(connection.scalars(locking.with_for_update(skip_locked=True)))
        if not ids:
            return []
    joined = _T.outerjoin(_M, _M.c.case_id == _T.c.id)
    query = select(*_READ).select_from(joined).where(_T.c.id.in_(ids)).order_by(_T.c.id)
    return list(connection.execute(query))


def process(session: Session, ids: list[int], ctx: SweepContext) -> SweepStats:
    stats = SweepStats(candidates=len(ids))
    session.flush()  # the caller's pending changes first: the rules read the rows
    rows = lock_cases(session, ids)
    stats.examined, stats.skipped_locked = len(rows), len(ids) - len(rows)
    planned: list[Planned] = []
    marks: dict[int, dict[str, Any]] = {}
    levels: dict[int, int] = {}
    for row in rows:
        result = rules.evaluate(
            clock_of(row), now=ctx.now, policy=ctx.policy, calendar=ctx.calendar, bounds=ctx.bounds
        )
        new = {name: getattr(result, name) for name in MARKS}
        if any(new[name] != getattr(row, name) for name in MARKS):
            marks[row.id] = new
        if result.escalation_level != row.escalation_level:
            levels[row.id] = result.escalation_level
        if not result.notices:
            continue
        grade = ctx.policy.grade(row.grade)
        head = heading(row)
        for due in result.notices:
            text = text_of(row, due, ctx.units, grade.name if grade else None, head)
            planned.append(Planned(row, due, recipient_of(row, due, ctx.units), text))
    issued = issue(session, planned, now=ctx.now, units=ctx.units)
    stats.notices.update(issued.kinds)
    store_marks(session, marks)
    _store_counters(session, levels, issued)
    return stats


def _store_counters(session: Session, levels: dict[int, int], issued: Issued) -> None:
    """Add the notices issued to the cases' counters and store a new escalation level: one
    set-based statement for the cases where anything changed (none of it indexed, so with the
    table's free space these are HOT updates on PostgreSQL)."""
    changed = sorted(set(levels) | set(issued.urges) | set(issued.supervisions))
    if not changed:
        return
    rows = [
        {
            "case": case_id,
            "urges": issued.urges[case_id],
            "supervisions": issued.supervisions[case_id],
            "level": levels.get(case_id),
        }
        for case_id in changed
    ]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        arrays = {key: [r[key] for r in rows] for key in ("case", "urges", "supervisions", "level")}
        connection.execute(_PG_COUNTERS, arrays)
    else:
        connection.execute(_COUNTERS_ONE, rows)
    # A Case already loaded in this session (an action's case) must not keep stale values.
    for case_id in changed:
        loaded = session.identity_map.get(identity_key(Case, case_id))
        if loaded is not None:
            session.expire(loaded, list(_COUNTERS))


_PG_COUNTERS = text(
    "update cases set urge_count = cases.urge_count + v.urges, "
    "supervise_count = cases.supervise_count + v.supervisions, "
    "escalation_level = coalesce(v.level, cases.escalation_level) "
    "from unnest(cast(:case as int[]), cast(:urges as int[]), cast(:supervisions as int[]), "
    "cast(:level as int[])) as v(id, urges, supervisions, level) where cases.id = v.id"
)
_COUNTERS_ONE = (
    update(_T)
    .where(_T.c.id == bindparam("case"))
    .values(
        urge_count=_T.c.urge_count + bindparam("urges"),
        supervise_count=_T.c.supervise_count + bindparam("supervisions"),
        escalation_level=func.coalesce(bindparam("level", type_=Integer), _T.c.escalation_level),
    )
)


def evaluate_now(session: Session, case: Case, *, now: datetime, calendar: WorkCalendar) -> int:
    """Run the rules for one case at once (after a leader's flag, a dispatch…), in the caller's
    transaction; the number of notices issued."""
    session.flush()
    return process(
        session, [case.id], SweepContext.build(session, now=now, calendar=calendar)
    ).issued
