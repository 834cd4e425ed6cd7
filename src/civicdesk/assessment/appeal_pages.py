"""Staff pages of appeals (申诉/核减): the list with the filing form, the decision, the evidence
file, and the panel on the case page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.assessment import appeals as service
from civicdesk.assessment.scheme_models import Appeal
from civicdesk.cases.models import Case
from civicdesk.errors import InvalidInput, PermissionDenied
from civicdesk.intake.models import Complaint
from civicdesk.org.models import Unit
from civicdesk.reports.periods import Period, parse_date
from civicdesk.web.deps import CurrentUser, NowDep, SessionDep, check_csrf, render, require_roles

router = APIRouter(include_in_schema=False)
Appellant = Annotated[User, Depends(require_roles(Role.unit_staff, Role.leader, Role.admin))]
Decider = Annotated[User, Depends(require_roles(Role.leader, Role.admin))]


def _rows(db: Session, appeals: list[Appeal]) -> list[dict[str, Any]]:
    units = {u.id: u for u in db.scalars(select(Unit))}
    users = {u.id: u for u in db.scalars(select(User))}
    ids = [a.complaint_id for a in appeals]
    numbers = dict(
        db.execute(
            select(Complaint.id, Case.number)
            .join(Case, Case.id == Complaint.case_id)
            .where(Complaint.id.in_(ids))
        ).all()
    )
    return [
        {
            "a": a,
            "unit": units.get(a.unit_id),
            "filed_by": users.get(a.filed_by_id) if a.filed_by_id else None,
            "decided_by": users.get(a.decided_by_id) if a.decided_by_id else None,
            "case_number": numbers.get(a.complaint_id),
            "reason_label": service.REASON_LABELS[a.reason_kind],
            "status_label": service.STATUS_LABELS[a.status],
        }
        for a in appeals
    ]


@router.get("/assessment/appeals")
def appeals_page(
    request: Request,
    db: SessionDep,
    user: Appellant,
    status: str = "",
    complaint: str = "",
    done: str = "",
) -> Response:
    unit_id = user.unit_id if user.role == Role.unit_staff else None
    appeals = service.list_appeals(db, status=status or None, unit_id=unit_id)
    context = {
        "rows": _rows(db, appeals),
        "status": status,
        "statuses": service.STATUS_LABELS,
        "reasons": service.REASON_LABELS,
        "can_decide": user.role in service.DECIDERS,
        "units": list(db.scalars(select(Unit).order_by(Unit.kind, Unit.code)))
        if user.role != Role.unit_staff
        else [],
        "form": {"complaint": complaint},
        "flash": done,
    }
    return render(request, "assessment/appeal_list.html", context)


@router.post("/assessment/appeals")
async def file_appeal_page(
    request: Request, db: SessionDep, user: Appellant, now: NowDep
) -> Response:
    async with request.form(max_files=1, max_fields=20) as form:
        check_csrf(request, str(form.get("csrf", "")))
        values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        upload = form.get("evidence")
        data, name = b"", None
        if upload is not None and not isinstance(upload, str) and upload.filename:
            data, name = await upload.read(service.MAX_EVIDENCE_BYTES + 1), upload.filename
    try:
        complaint_id = int(values.get("complaint", "").strip().lstrip("#"))
    except ValueError:
        return _form_error(request, db, user, values, "请填写投诉编号（数字）")
    try:
        evidence = service.check_evidence(data, name) if name else None
        period = Period(
            parse_date(values.get("from", ""), field="from"),
            parse_date(values.get("to", ""), field="to"),
        )
        appeal = service.file_appeal(
            db,
            complaint_id=complaint_id,
            period=period,
            reason_kind=values.get("reason_kind", ""),
            reason=values.get("reason"),
            actor=user,
            now=now,
            unit_code=values.get("unit") or None,
            evidence=evidence,
            media_dir=request.app.state.settings.media_dir,
        )
    except (InvalidInput, PermissionDenied) as exc:
        return _form_error(request, db, user, values, exc.message)
    return RedirectResponse(f"/assessment/appeals?done=filed#appeal-{appeal.id}", status_code=303)


def _form_error(
    request: Request, db: Session, user: User, values: dict[str, str], message: str
) -> Response:
    unit_id = user.unit_id if user.role == Role.unit_staff else None
    context = {
        "rows": _rows(db, service.list_appeals(db, unit_id=unit_id)),
        "status": "",
        "statuses": service.STATUS_LABELS,
        "reasons": service.REASON_LABELS,
        "can_decide": user.role in service.DECIDERS,
        "units": list(db.scalars(select(Unit).order_by(Unit.kind, Unit.code)))
        if user.role != Role.unit_staff
        else [],
        "form": values,
        "error": message,
    }
    return render(request, "assessment/appeal_list.html", context, status_code=422)


@router.post("/assessment/appeals/{appeal_id}/decide")
async def decide_page(
    request: Request, appeal_id: int, db: SessionDep, user: Decider, now: NowDep
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    decision = str(form.get("decision", ""))
    if decision not in ("approve", "reject"):
        raise InvalidInput("请选择核减或驳回", field="decision")
    service.decide_appeal(
        db,
        appeal_id,
        approve=decision == "approve",
        reason=str(form.get("decision_reason", "")),
        actor=user,
        now=now,
    )
    return RedirectResponse(f"/assessment/appeals?done={decision}#appeal-{appeal_id}", 303)


@router.get("/assessment/appeals/{appeal_id}/evidence")
def evidence_file(request: Request, appeal_id: int, db: SessionDep, user: CurrentUser) -> Response:
    appeal = service.get_appeal(db, appeal_id)
    if user.role == Role.unit_staff and user.unit_id != appeal.unit_id:
        raise PermissionDenied("只能查看本单位的申诉材料")
    if user.role not in (Role.unit_staff, Role.leader, Role.admin, Role.dispatcher):
        raise PermissionDenied("当前角色无权查看申诉材料")
    if not appeal.evidence_path:
        raise InvalidInput("该申诉没有证明材料")
    from civicdesk.portal.uploads import MediaStore

    path = MediaStore(request.app.state.settings.media_dir).path(appeal.evidence_path)
    return FileResponse(path, media_type=appeal.evidence_type or "application/octet-stream")


def case_extras(db: Session, case: Case) -> dict[str, Any]:
    """The appeals of a case's complaints, for the case page (核减 shown where it happened)."""
    ids = list(db.scalars(select(Complaint.id).where(Complaint.case_id == case.id)))
    appeals = service.list_appeals(db, complaint_ids=ids) if ids else []
    return {"appeal_rows": _rows(db, appeals) if appeals else []}
