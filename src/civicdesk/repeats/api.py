"""Repeat API: a complaint's link and candidates; confirm, change or undo a link; measures."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from civicdesk.accounts.models import Role
from civicdesk.cases.models import Case
from civicdesk.errors import NotFound, PermissionDenied
from civicdesk.intake.models import Complaint
from civicdesk.repeats import repository, service
from civicdesk.repeats.measures import repeat_measures
from civicdesk.repeats.models import RepeatLink
from civicdesk.repeats.schemas import (
    CandidateRead,
    ComplaintRepeatsRead,
    LinkDecision,
    RepeatLinkRead,
)
from civicdesk.web.deps import CurrentUser, NowDep, SessionDep

router = APIRouter(prefix="/api", tags=["repeats"])
READERS = frozenset({Role.operator, Role.dispatcher, Role.leader, Role.admin})


def _read(link: RepeatLink) -> RepeatLinkRead:
    return RepeatLinkRead(
        id=link.id,
        complaint_id=link.complaint_id,
        earlier_id=link.earlier_id,
        kind=link.kind,
        detected_kind=link.detected_kind,
        score=link.score,
        status=link.status,
        decided_by_person=link.decided_by_id is not None,
        explanation=link.explanation or {},
        received_at=link.received_at,
        place=link.place,
    )


@router.get("/complaints/{complaint_id}/repeats", response_model=ComplaintRepeatsRead)
def complaint_repeats(complaint_id: int, db: SessionDep, user: CurrentUser) -> ComplaintRepeatsRead:
    if user.role not in READERS:
        raise PermissionDenied("当前角色无权查看重复投诉识别")
    complaint = db.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("投诉不存在")
    link = repository.link_of(db, complaint_id)
    candidates = []
    for match in service.candidates_for(db, complaint):
        earlier = db.get_one(Complaint, match.earlier.id)
        case = db.get(Case, earlier.case_id) if earlier.case_id else None
        candidates.append(
            CandidateRead(
                earlier_id=earlier.id,
                case_number=case.number if case else None,
                score=match.score,
                signals=match.signals,
            )
        )
    return ComplaintRepeatsRead(link=_read(link) if link else None, candidates=candidates)


@router.post("/repeat-links/{link_id}/confirm", response_model=RepeatLinkRead)
def confirm(
    link_id: int, body: LinkDecision, db: SessionDep, user: CurrentUser, now: NowDep
) -> RepeatLinkRead:
    link = service.confirm_link(
        db, service.get_link(db, link_id), actor=user, now=now, kind=body.kind
    )
    return _read(link)


@router.post("/repeat-links/{link_id}/reject", response_model=RepeatLinkRead)
def reject(link_id: int, db: SessionDep, user: CurrentUser, now: NowDep) -> RepeatLinkRead:
    return _read(service.reject_link(db, service.get_link(db, link_id), actor=user, now=now))


@router.get("/repeats/measures")
def measures(db: SessionDep, user: CurrentUser, start: date, end: date) -> dict[str, object]:
    if user.role not in READERS:
        raise PermissionDenied("当前角色无权查看重复投诉统计")
    m = repeat_measures(db, start=start, end=end)
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "total": vars(m.total),
        "by_kind": {k: vars(v) for k, v in m.by_kind.items()},
        "by_month": {k: vars(v) for k, v in m.by_month.items()},
        "hard_spots": [vars(s) for s in m.hard_spots],
        "frequent_callers": len(m.callers),
        "malicious_kept_apart": m.malicious_kept_apart,
        "suggested_waiting": m.suggested_waiting,
    }
