"""JSON API of assessment schemes, scores, publications, appeals and inspections."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from civicdesk.accounts.models import Role, User
from civicdesk.assessment import appeals, inspections
from civicdesk.assessment import publication as pub
from civicdesk.assessment.scheme_models import Appeal, Inspection, Publication
from civicdesk.assessment.schemes import get_scheme, list_schemes
from civicdesk.assessment.scorecard import score
from civicdesk.reports.periods import Period
from civicdesk.reports.periods import parse_period as parse_period_text
from civicdesk.web.deps import NowDep, SessionDep, require_roles

router = APIRouter(prefix="/api/assessment", tags=["assessment"])
Viewer = Annotated[User, Depends(require_roles(Role.leader, Role.dispatcher, Role.admin))]
Publisher = Annotated[User, Depends(require_roles(Role.leader, Role.admin))]
Appellant = Annotated[User, Depends(require_roles(Role.unit_staff, Role.leader, Role.admin))]


@router.get("/schemes")
def schemes(db: SessionDep, user: Viewer) -> list[dict[str, Any]]:
    """Every stored scheme version (newest version of each code first)."""
    return [
        {"code": r.code, "version": r.version, "name": r.name, "loaded_at": r.loaded_at,
         "document": r.document}
        for r in list_schemes(db)
    ]  # fmt: skip


@router.get("/scores")
def scores(
    db: SessionDep, user: Viewer, now: NowDep, scheme: str, period: str, version: int | None = None
) -> dict[str, Any]:
    """A scheme applied now to a period (``2026-01..2026-07``): every unit with its figures,
    points, deductions and their reasons, total, rank and grade."""
    found, _ = get_scheme(db, scheme, version)
    return score(db, found, parse_period_text(period), as_of=now).to_dict()


class PublishRequest(BaseModel):
    scheme: str
    period: str = Field(description="2026-01..2026-07, 2026-03 or 2026-01-05..2026-02-20")
    note: str | None = Field(default=None, max_length=500)


def _publication(p: Publication, *, full: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": p.id,
        "scheme": p.scheme_code,
        "scheme_version": p.scheme_version,
        "period": {"start": p.period_start, "end": p.period_end},
        "version": p.version,
        "engine_backend": p.engine_backend,
        "published_at": p.published_at,
        "note": p.note,
        "changes": p.changes,
    }
    if full:
        data["document"] = p.document
    return data


@router.post("/publications", status_code=201)
def publish(body: PublishRequest, db: SessionDep, user: Publisher, now: NowDep) -> dict[str, Any]:
    publication = pub.publish(
        db,
        scheme_code=body.scheme,
        period=parse_period_text(body.period),
        actor=user,
        now=now,
        note=body.note,
    )
    return _publication(publication, full=True)


@router.get("/publications")
def publications(db: SessionDep, user: Viewer, scheme: str | None = None) -> list[dict[str, Any]]:
    return [_publication(p, full=False) for p in pub.list_publications(db, scheme)]


@router.get("/publications/{publication_id}")
def publication(publication_id: int, db: SessionDep, user: Viewer) -> dict[str, Any]:
    return _publication(pub.get_publication(db, publication_id), full=True)


class AppealCreate(BaseModel):
    complaint_id: int
    period_start: date
    period_end: date
    reason_kind: str
    reason: str = Field(max_length=2000)
    unit: str | None = Field(default=None, description="Unit code (leaders and admins only)")


class AppealDecision(BaseModel):
    approve: bool
    reason: str = Field(max_length=2000)


def _appeal(a: Appeal) -> dict[str, Any]:
    return {
        "id": a.id,
        "complaint_id": a.complaint_id,
        "unit_id": a.unit_id,
        "period": {"start": a.period_start, "end": a.period_end},
        "reason_kind": a.reason_kind,
        "reason": a.reason,
        "has_evidence": a.evidence_path is not None,
        "status": a.status,
        "filed_by_id": a.filed_by_id,
        "filed_at": a.filed_at,
        "decided_by_id": a.decided_by_id,
        "decided_at": a.decided_at,
        "decision_reason": a.decision_reason,
    }


@router.post("/appeals", status_code=201)
def file_appeal(body: AppealCreate, db: SessionDep, user: Appellant, now: NowDep) -> dict[str, Any]:
    """申诉 (evidence files are uploaded through the page form)."""
    appeal = appeals.file_appeal(
        db,
        complaint_id=body.complaint_id,
        period=Period(body.period_start, body.period_end),
        reason_kind=body.reason_kind,
        reason=body.reason,
        actor=user,
        now=now,
        unit_code=body.unit,
    )
    return _appeal(appeal)


@router.post("/appeals/{appeal_id}/decision")
def decide(
    appeal_id: int, body: AppealDecision, db: SessionDep, user: Publisher, now: NowDep
) -> dict[str, Any]:
    appeal = appeals.decide_appeal(
        db, appeal_id, approve=body.approve, reason=body.reason, actor=user, now=now
    )
    return _appeal(appeal)


@router.get("/appeals")
def list_appeals(
    db: SessionDep, user: Appellant, status: str | None = None, complaint: int | None = None
) -> list[dict[str, Any]]:
    unit_id = user.unit_id if user.role == Role.unit_staff else None
    found = appeals.list_appeals(
        db, status=status, unit_id=unit_id, complaint_ids=[complaint] if complaint else None
    )
    return [_appeal(a) for a in found]


def _inspection(i: Inspection) -> dict[str, Any]:
    return {
        "id": i.id,
        "area_id": i.area_id,
        "inspected_on": i.inspected_on,
        "inspector": i.inspector,
        "items_checked": i.items_checked,
        "problems_found": i.problems_found,
        "deductions": i.deductions,
        "score": i.score,
        "note": i.note,
    }


@router.post("/inspections", status_code=201)
def record_inspection(
    body: inspections.InspectionCreate, db: SessionDep, user: Viewer, now: NowDep
) -> dict[str, Any]:
    return _inspection(inspections.record_inspection(db, body, actor=user, now=now))


@router.get("/inspections")
def list_inspections(
    db: SessionDep, user: Viewer, period: str | None = None
) -> list[dict[str, Any]]:
    chosen = parse_period_text(period) if period else None
    return [
        _inspection(i) | {"area": a.code}
        for i, a in inspections.list_inspections(db, period=chosen)
    ]
