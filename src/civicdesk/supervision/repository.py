"""Supervision queries: the sweep's candidates (indexed, narrow), the board's counts and lists,
the notices of a unit or a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, outerjoin, select
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case
from civicdesk.core.workflow import CaseStatus
from civicdesk.supervision.models import CaseMarks, Notice

S = CaseStatus
WATCHED = (S.dispatched.value, S.accepted.value, S.handled.value, S.suspended.value)
CLOCKED = (S.dispatched.value, S.accepted.value, S.handled.value)
UNIT_STEPS = (S.dispatched.value, S.accepted.value)
SUPERVISABLE = (S.dispatched.value, S.accepted.value, S.suspended.value)
LIST_SIZE = 50


STATUS_OF_STEP = {
    "accept": S.dispatched.value,
    "handle": S.accepted.value,
    "reply": S.handled.value,
}


def _within_lead(now: datetime, bounds: dict[str, datetime]) -> ColumnElement[bool]:
    """Per clocked status, due within its step's warning lead; suspended: the review is due."""
    return or_(
        *(
            and_(Case.status == STATUS_OF_STEP[step], Case.due_at <= bound)
            for step, bound in bounds.items()
        ),
        and_(Case.status == S.suspended.value, Case.due_at <= now),
    )


def sweep_candidates(
    session: Session, *, now: datetime, bounds: dict[str, datetime], min_complaints: int | None
) -> list[int]:
    """Cases the sweep must look at, each found through an index:
    a deadline within the warning lead not yet marked for it (ix_cases_status_due, then the
    case's marks by their key);
    a threshold the sweep itself scheduled (ix_case_marks_next_check_at);
    more complaints than the count rules last saw (ix_cases_status_complaints)."""
    joined = outerjoin(Case, CaseMarks, CaseMarks.case_id == Case.id)
    unmarked = or_(
        CaseMarks.warned_due_at.is_distinct_from(Case.due_at),
        and_(Case.due_at <= now, CaseMarks.overdue_due_at.is_distinct_from(Case.due_at)),
    )
    queries = [
        select(Case.id).select_from(joined).where(_within_lead(now, bounds), unmarked),
        select(CaseMarks.case_id).where(CaseMarks.next_check_at <= now),
    ]
    if min_complaints is not None:
        queries.append(
            select(Case.id)
            .select_from(joined)
            .where(
                Case.status.in_(SUPERVISABLE),
                Case.complaint_count >= min_complaints,
                Case.complaint_count > func.coalesce(CaseMarks.complaints_seen, 0),
            )
        )
    ids: set[int] = set()
    for query in queries:
        ids.update(session.scalars(query))
    return sorted(ids)


# ---- the board ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilter:
    unit_id: int | None = None
    district_id: int | None = None


def _scoped(f: BoardFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.unit_id:
        where.append(Case.unit_id == f.unit_id)
    if f.district_id:
        where.append(Case.district_id == f.district_id)
    return where


def board_conditions(now: datetime, bounds: dict[str, datetime]) -> dict[str, ColumnElement[bool]]:
    return {
        "due_soon": and_(_within_lead(now, bounds), Case.status.in_(CLOCKED), Case.due_at >= now),
        "overdue": and_(Case.status.in_(CLOCKED), Case.due_at < now),
        "escalated": and_(Case.status.in_(UNIT_STEPS), Case.escalation_level > 0),
        "review_due": and_(Case.status == S.suspended.value, Case.due_at <= now),
        "graded": and_(Case.status.in_(WATCHED), Case.grade.is_not(None)),
    }


def board_counts(
    session: Session, f: BoardFilter, *, now: datetime, bounds: dict[str, datetime]
) -> dict[str, int]:
    conditions = board_conditions(now, bounds)
    columns = [func.count(case((cond, 1))).label(name) for name, cond in conditions.items()]
    row = session.execute(select(*columns).where(Case.status.in_(WATCHED), *_scoped(f))).one()
    return {name: int(getattr(row, name) or 0) for name in conditions}


def board_list(
    session: Session, f: BoardFilter, name: str, *, now: datetime, bounds: dict[str, datetime]
) -> list[Case]:
    condition = board_conditions(now, bounds)[name]
    return list(
        session.scalars(
            select(Case)
            .where(condition, *_scoped(f))
            .order_by(Case.due_at.asc(), Case.id)
            .limit(LIST_SIZE)
        )
    )


def counts_by_unit(
    session: Session, f: BoardFilter, *, now: datetime, bounds: dict[str, datetime]
) -> list[dict[str, Any]]:
    """Per handling unit: cases in hand, due soon, overdue, escalated (worst first)."""
    conditions = board_conditions(now, bounds)
    rows = session.execute(
        select(
            Case.unit_id,
            func.count().label("open"),
            func.count(case((conditions["due_soon"], 1))).label("due_soon"),
            func.count(case((conditions["overdue"], 1))).label("overdue"),
            func.count(case((conditions["escalated"], 1))).label("escalated"),
        )
        .where(Case.status.in_(UNIT_STEPS), Case.unit_id.is_not(None), *_scoped(f))
        .group_by(Case.unit_id)
    ).all()
    found = [dict(row._mapping) for row in rows]
    return sorted(
        found, key=lambda r: (-r["overdue"], -r["escalated"], -r["due_soon"], r["unit_id"])
    )


# ---- notices -----------------------------------------------------------------------------


def unit_notices(session: Session, unit_id: int, *, limit: int = LIST_SIZE) -> list[Notice]:
    return list(
        session.scalars(
            select(Notice)
            .where(Notice.unit_id == unit_id)
            .order_by(Notice.issued_at.desc(), Notice.id.desc())
            .limit(limit)
        )
    )


def unread_count(session: Session, unit_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(Notice.unit_id == unit_id, Notice.read_at.is_(None))
        )
        or 0
    )


def case_notices(session: Session, case_id: int) -> list[Notice]:
    return list(
        session.scalars(
            select(Notice).where(Notice.case_id == case_id).order_by(Notice.issued_at, Notice.id)
        )
    )


def recent_notices(session: Session, f: BoardFilter, *, limit: int = LIST_SIZE) -> list[Notice]:
    query = select(Notice).order_by(Notice.issued_at.desc(), Notice.id.desc()).limit(limit)
    if f.unit_id or f.district_id:
        query = query.join(Case, Case.id == Notice.case_id).where(*_scoped(f))
    return list(session.scalars(query))


def complainants(session: Session, case_id: int) -> tuple[int, int]:
    """(complaints, distinct complainants) on a case; a complainant is known by phone, else
    by name; an anonymous complaint is its own complainant."""
    from civicdesk.intake.models import Complaint

    rows = session.execute(
        select(Complaint.id, Complaint.complainant_phone, Complaint.complainant_name).where(
            Complaint.case_id == case_id
        )
    ).all()
    people = {(phone or name or f"#{cid}") for cid, phone, name in rows}
    return len(rows), len(people)
