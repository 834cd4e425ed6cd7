"""Case queries: the list with its filters and paging, a case with its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.core.workflow import CLOCKED_STATUSES
from civicdesk.intake.models import Channel, Complaint
from civicdesk.org.models import Area
from civicdesk.taxonomy.models import Category

PAGE_SIZE = 25


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    category: str | None = None  # category code; includes its children
    area: str | None = None  # area code (district, street or community)
    unit_id: int | None = None
    channel: str | None = None
    overdue: bool = False
    q: str | None = None  # case number or words of the title


@dataclass(frozen=True)
class CasePage:
    rows: list[Case]
    total: int
    page: int
    pages: int


def _category_ids(session: Session, code: str) -> list[int]:
    root = session.scalar(select(Category.id).where(Category.code == code))
    if root is None:
        return []
    ids, frontier = [root], [root]
    while frontier:
        frontier = list(
            session.scalars(select(Category.id).where(Category.parent_id.in_(frontier)))
        )
        ids.extend(frontier)
    return ids


def _filtered(session: Session, f: CaseFilter, now: datetime) -> Select[tuple[Case]]:
    query = select(Case)
    if f.status:
        query = query.where(Case.status == f.status)
    if f.category:
        query = query.where(Case.category_id.in_(_category_ids(session, f.category)))
    if f.area:
        area = session.scalar(select(Area).where(Area.code == f.area))
        area_id = area.id if area else -1
        query = query.where(
            or_(Case.district_id == area_id, Case.street_id == area_id, Case.area_id == area_id)
        )
    if f.unit_id:
        query = query.where(Case.unit_id == f.unit_id)
    if f.channel:
        query = query.where(
            exists()
            .where(Complaint.case_id == Case.id)
            .where(Complaint.channel_id == Channel.id)
            .where(Channel.code == f.channel)
        )
    if f.overdue:
        query = query.where(Case.status.in_([s.value for s in CLOCKED_STATUSES]), Case.due_at < now)
    if f.q:
        like = f"%{f.q.strip()}%"
        query = query.where(or_(Case.number == f.q.strip(), Case.title.like(like)))
    return query


def list_cases(
    session: Session, f: CaseFilter, *, now: datetime, page: int = 1, size: int = PAGE_SIZE
) -> CasePage:
    query = _filtered(session, f, now)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = session.scalars(
        query.order_by(Case.opened_at.desc(), Case.id.desc()).offset((page - 1) * size).limit(size)
    )
    return CasePage(list(rows), total, page, pages)


def case_events(session: Session, case_id: int) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )


def case_complaints(session: Session, case_id: int) -> list[Complaint]:
    return list(
        session.scalars(
            select(Complaint).where(Complaint.case_id == case_id).order_by(Complaint.received_at)
        )
    )
