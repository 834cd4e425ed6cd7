"""GeoReport v2 reads (services, definitions, requests, tokens) over civicdesk's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.config.policies import open311_document
from civicdesk.config.service import category_tree
from civicdesk.intake.models import Complaint
from civicdesk.open311.formats import Open311Error
from civicdesk.open311.mapping import CLOSED, RequestFacts, request_record
from civicdesk.open311.policy import Attribute
from civicdesk.org.models import Area, Unit
from civicdesk.portal import inbox
from civicdesk.portal.models import Submission
from civicdesk.portal.service import hash_token
from civicdesk.taxonomy.models import Category

WINDOW = timedelta(days=90)
MAX_PAGE = 1000


def check_jurisdiction(session: Session, jurisdiction_id: str | None) -> None:
    doc = open311_document(session)
    if jurisdiction_id and doc is not None and jurisdiction_id != doc.jurisdiction_id:
        raise Open311Error(400, f"unknown jurisdiction_id (this server: {doc.jurisdiction_id})")


def _attributes(session: Session) -> dict[str, list[Attribute]]:
    doc = open311_document(session)
    return dict(doc.attributes) if doc is not None else {}


def service_leaves(session: Session) -> list[tuple[Category, str | None]]:
    """Leaf categories in city-management remit, with their parent's name (the group)."""
    found: list[tuple[Category, str | None]] = []

    def walk(nodes: list[Any], parent: str | None) -> None:
        for node in nodes:
            if not node.category.in_remit:
                continue
            if node.is_leaf:
                found.append((node.category, parent))
            walk(node.children, node.category.name)

    walk(category_tree(session), None)
    return found


def services(session: Session) -> list[dict[str, Any]]:
    questions = _attributes(session)
    return [
        {
            "service_code": category.code,
            "service_name": category.name,
            "description": f"{group}：{category.name}" if group else category.name,
            "metadata": bool(questions.get(category.code)),
            "type": "realtime",
            "keywords": ",".join(category.keywords or []) or None,
            "group": group,
        }
        for category, group in service_leaves(session)
    ]


def service_definition(session: Session, code: str) -> dict[str, Any]:
    if code not in {c.code for c, _ in service_leaves(session)}:
        raise Open311Error(404, f"unknown service_code '{code[:64]}'")
    attributes = [
        {
            "variable": True,
            "code": a.code,
            "datatype": a.datatype.value,
            "required": a.required,
            "datatype_description": a.datatype_description,
            "order": order,
            "description": a.description,
            "values": [{"key": v.key, "name": v.name} for v in a.values],
        }
        for order, a in enumerate(_attributes(session).get(code, []), start=1)
    ]
    return {"service_code": code, "attributes": attributes}


def service_attributes(session: Session, code: str) -> list[Attribute]:
    return _attributes(session).get(code, [])


@dataclass(frozen=True)
class RequestQuery:
    ids: list[str]
    service_code: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()
    page: int = 1
    page_size: int = MAX_PAGE


def find_requests(session: Session, q: RequestQuery, *, now: datetime) -> list[dict[str, Any]]:
    query = select(Case).where(Case.complaint_count > 0)
    if q.ids:
        query = query.where(Case.number.in_(q.ids[:MAX_PAGE]))
    else:
        end = q.end or now
        start = q.start or end - WINDOW
        if end - start > WINDOW or start > end:
            raise Open311Error(400, "start_date..end_date must be at most 90 days, start first")
        query = query.where(Case.opened_at >= start, Case.opened_at <= end)
        if q.service_code:
            query = query.where(Case.category_id.in_(_category_ids(session, q.service_code)))
        query = _status_filter(query, q.statuses)
    query = query.order_by(Case.opened_at.desc(), Case.id.desc())
    cases = list(session.scalars(query.offset((q.page - 1) * q.page_size).limit(q.page_size)))
    facts = _facts(session, cases)
    return [request_record(case, facts[case.id]) for case in cases]


def _category_ids(session: Session, code: str) -> list[int]:
    return list(session.scalars(select(Category.id).where(Category.code == code)))


def _status_filter(query: Any, statuses: tuple[str, ...]) -> Any:
    wanted = set(statuses)
    if not wanted or wanted >= {"open", "closed"}:
        return query
    closed = [s.value for s in CLOSED]
    return query.where(
        Case.status.in_(closed) if "closed" in wanted else Case.status.notin_(closed)
    )


def _facts(session: Session, cases: list[Case]) -> dict[int, RequestFacts]:
    """Everything besides the case, in a few queries for the whole page."""
    ids = [c.id for c in cases]
    if not ids:
        return {}
    firsts: dict[int, Complaint] = {}
    for complaint in session.scalars(
        select(Complaint).where(Complaint.case_id.in_(ids)).order_by(Complaint.received_at.desc())
    ):
        firsts[complaint.case_id or 0] = complaint  # the earliest wins (descending order)
    updated: dict[int, datetime] = {
        case_id: at
        for case_id, at in session.execute(
            select(CaseEvent.case_id, func.max(CaseEvent.at))
            .where(CaseEvent.case_id.in_(ids))
            .group_by(CaseEvent.case_id)
        )
    }
    # Complaints sent by citizens themselves (portal, Open311): their text may be published.
    media: dict[int, str | None] = {
        complaint_id: url
        for complaint_id, url in session.execute(
            select(Submission.complaint_id, Submission.media_url).where(
                Submission.complaint_id.in_([c.id for c in firsts.values()])
            )
        )
    }
    categories = {c.id: c for c in session.scalars(select(Category))}
    units = {u.id: u.name for u in session.scalars(select(Unit))}
    areas = {a.id: a for a in session.scalars(select(Area))}
    return {
        case.id: _case_facts(case, firsts, updated, media, categories, units, areas)
        for case in cases
    }


def _case_facts(
    case: Case,
    firsts: dict[int, Complaint],
    updated: dict[int, datetime],
    media: dict[int, str | None],
    categories: dict[int, Category],
    units: dict[int, str],
    areas: dict[int, Area],
) -> RequestFacts:
    first = firsts.get(case.id)
    category = categories.get(case.category_id) if case.category_id else None
    return RequestFacts(
        first=first,
        category_code=category.code if category else None,
        category_name=category.name if category else None,
        unit_name=units.get(case.unit_id) if case.unit_id else None,
        area_path=_path(areas, case.area_id),
        area_code=areas[case.area_id].code if case.area_id in areas else None,
        updated_at=updated.get(case.id),
        media_url=media.get(first.id) if first else None,
        text_public=first is not None and first.id in media,
    )


def _path(areas: dict[int, Area], area_id: int | None) -> str | None:
    names: list[str] = []
    while area_id is not None and area_id in areas and areas[area_id].parent_id is not None:
        names.append(areas[area_id].name)
        area_id = areas[area_id].parent_id
    return "".join(reversed(names)) or None


def by_token(session: Session, token: str) -> dict[str, Any]:
    """``{service_request_id, token}``; the id is null while the request waits in the inbox
    (GeoReport: a token is answered with the id once the request has been processed)."""
    if len(token) > 64:
        raise Open311Error(404, "unknown token")
    item = inbox.by_token(session, token)
    if item is not None and item.complaint_id is None:
        return {"service_request_id": None, "token": token}
    complaint_id = item.complaint_id if item is not None else None
    if complaint_id is None:
        submission = session.scalar(
            select(Submission).where(Submission.token_hash == hash_token(token))
        )
        if submission is None:
            raise Open311Error(404, "unknown token")
        complaint_id = submission.complaint_id
    complaint = session.get_one(Complaint, complaint_id)
    case = session.get_one(Case, complaint.case_id)
    return {"service_request_id": case.number, "token": token}
