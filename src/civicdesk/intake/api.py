"""Intake API: any channel posts a complaint; a re-sent one is recognised, not recorded twice."""

from __future__ import annotations

from fastapi import APIRouter, Response

from civicdesk.accounts.models import Role
from civicdesk.cases.models import Case
from civicdesk.config.service import get_setting
from civicdesk.errors import NotFound, PermissionDenied
from civicdesk.intake import service
from civicdesk.intake.models import Channel, Complaint
from civicdesk.intake.schemas import ComplaintCreate, ComplaintRead
from civicdesk.org.models import Area
from civicdesk.taxonomy.models import Category
from civicdesk.web.deps import CurrentUser, NowDep, SessionDep

router = APIRouter(prefix="/api/complaints", tags=["intake"])
INTAKE_ROLES = frozenset({Role.operator, Role.dispatcher, Role.admin})


def read(db: SessionDep, complaint: Complaint, *, created: bool, personal: bool) -> ComplaintRead:
    category = db.get(Category, complaint.category_id) if complaint.category_id else None
    area = db.get(Area, complaint.area_id) if complaint.area_id else None
    case = db.get(Case, complaint.case_id) if complaint.case_id else None
    return ComplaintRead(
        id=complaint.id,
        channel=db.get_one(Channel, complaint.channel_id).code,
        upstream_ref=complaint.upstream_ref,
        received_at=complaint.received_at,
        complainant_name=complaint.complainant_name if personal else None,
        complainant_phone=complaint.complainant_phone if personal else None,
        title=complaint.title,
        text=complaint.text,
        address=complaint.address,
        longitude=complaint.longitude,
        latitude=complaint.latitude,
        category=category.code if category else None,
        area=area.code if area else None,
        case_number=case.number if case else None,
        created=created,
    )


@router.post(
    "",
    response_model=ComplaintRead,
    status_code=201,
    responses={200: {"description": "Already on record (same channel and upstream ref)"}},
)
def create_complaint(
    body: ComplaintCreate, response: Response, db: SessionDep, user: CurrentUser, now: NowDep
) -> ComplaintRead:
    if user.role not in INTAKE_ROLES:
        raise PermissionDenied("当前角色无权受理投诉")
    result = service.record_complaint(
        db, body, actor=user, now=now, case_prefix=get_setting(db, "case_number_prefix", "HZ")
    )
    if not result.created:
        response.status_code = 200
    return read(db, result.complaint, created=result.created, personal=True)


@router.get("/{complaint_id}", response_model=ComplaintRead)
def get_complaint(complaint_id: int, db: SessionDep, user: CurrentUser) -> ComplaintRead:
    complaint = db.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("投诉不存在")
    case = db.get(Case, complaint.case_id) if complaint.case_id else None
    if user.role == Role.unit_staff and (case is None or case.unit_id != user.unit_id):
        raise PermissionDenied("该投诉不属于本单位")
    return read(db, complaint, created=False, personal=user.role in INTAKE_ROLES)
