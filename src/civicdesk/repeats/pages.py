"""Staff pages: the repeat dashboard (/repeats), the operator's decisions on a link, the review
of frequent callers, the intake form's repeat check, and the case page's repeat panel."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.cases.models import Case
from civicdesk.clock import to_local
from civicdesk.errors import InvalidInput
from civicdesk.intake.models import Channel, Complaint
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.org.models import Area, Unit
from civicdesk.org.service import area_by_code, placement
from civicdesk.repeats import callers, repository, service
from civicdesk.repeats.context import load_context
from civicdesk.repeats.measures import repeat_measures
from civicdesk.repeats.models import RepeatLink
from civicdesk.repeats.scoring import KIND_LABELS, KINDS, Match
from civicdesk.reports.periods import parse_date, year_to_date
from civicdesk.taxonomy.models import Category
from civicdesk.web.deps import NowDep, SessionDep, check_csrf, render, require_roles

router = APIRouter(include_in_schema=False)
Viewer = Annotated[
    User, Depends(require_roles(Role.operator, Role.dispatcher, Role.leader, Role.admin))
]
Decider = Annotated[User, Depends(require_roles(Role.operator, Role.dispatcher, Role.admin))]


@router.get("/repeats")
def dashboard(
    request: Request, db: SessionDep, user: Viewer, now: NowDep, date_from: str = "", to: str = ""
) -> Response:
    request_from = request.query_params.get("from", date_from)
    default = year_to_date(to_local(now).date())
    try:
        start = parse_date(request_from, field="from") if request_from else default.start
        end = parse_date(to, field="to") if to else default.end
    except InvalidInput as exc:
        start, end, error = default.start, default.end, exc.message
    else:
        error = ""
    measures = repeat_measures(db, start=start, end=end)
    names = _names(db)
    context = {
        "m": measures,
        "params": {"from": start.isoformat(), "to": end.isoformat()},
        "error": error,
        "kinds": KIND_LABELS,
        "names": names,
        "peak": max([max(p.current, p.previous) for p in measures.by_month.values()] + [1]),
        "can_review": user.role in (Role.dispatcher, Role.admin, Role.leader),
    }
    return render(request, "repeats/dashboard.html", context)


def _names(db: Session) -> dict[str, dict[int, str]]:
    return {
        "areas": dict(db.execute(select(Area.id, Area.name)).all()),
        "units": dict(db.execute(select(Unit.id, Unit.name)).all()),
        "categories": dict(db.execute(select(Category.id, Category.name)).all()),
    }


@router.post("/repeats/links/{link_id}/{decision}")
async def decide_link(
    request: Request, link_id: int, decision: str, db: SessionDep, user: Decider, now: NowDep
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    link = service.get_link(db, link_id)
    if decision == "reject":
        service.reject_link(db, link, actor=user, now=now)
    elif decision == "confirm":
        kind = str(form.get("kind", "")) or None
        service.confirm_link(db, link, actor=user, now=now, kind=kind)
    else:
        raise InvalidInput(f"未知操作：{decision}")
    complaint = db.get_one(Complaint, link.complaint_id)
    case = db.get_one(Case, complaint.case_id)
    return RedirectResponse(f"/cases/{case.number}?done=repeat#repeats", status_code=303)


@router.post("/repeats/callers")
async def review_caller(request: Request, db: SessionDep, user: Viewer, now: NowDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    callers.review(
        db,
        caller=str(form.get("caller", "")),
        status=str(form.get("status", "")),
        note=str(form.get("note", "")) or None,
        actor=user,
        now=now,
    )
    return RedirectResponse(
        f"/repeats?from={form.get('from', '')}&to={form.get('to', '')}#callers", status_code=303
    )


@router.post("/intake/check")
async def intake_check(request: Request, db: SessionDep, user: Decider, now: NowDep) -> Response:
    """The intake form with the earlier complaints this one may repeat, before it is recorded."""
    from civicdesk.intake.pages import FIELDS, _choices

    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {k: str(form.get(k, "")).strip() for k in FIELDS}
    candidates: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    try:
        optional = {k: (v or None) for k, v in values.items() if k not in ("channel", "text")}
        data = ComplaintCreate(**optional, channel=values["channel"], text=values["text"] or "—")
        candidates = preview_rows(db, data, now=now)
    except ValidationError as exc:
        from civicdesk.web.forms import field_errors

        errors = field_errors(exc)
    context = {"values": values, "errors": errors, "candidates": candidates, "checked": True}
    return render(request, "intake/form.html", context | _choices(db))


def preview_rows(db: Session, data: ComplaintCreate, *, now: Any) -> list[dict[str, Any]]:
    ctx = load_context(db)
    channel = db.scalar(select(Channel).where(Channel.code == data.channel))
    category = db.scalar(select(Category).where(Category.code == data.category))
    area = area_by_code(db, data.area) if data.area else None
    place = placement(db, area)
    facts = ctx.facts(
        id=service.NEW_ID,
        created=now,
        received=data.received_at or now,
        channel_id=channel.id if channel else None,
        phone=data.complainant_phone,
        name=data.complainant_name,
        title=data.title,
        text=data.text,
        address=data.address,
        lon=data.longitude,
        lat=data.latitude,
        category=category.id if category else None,
        area=place.area_id,
        case_id=None,
        district=place.district_id,
    )
    return [_row(db, m) for m in service.preview(db, facts, ctx)]


def _row(db: Session, match: Match) -> dict[str, Any]:
    earlier = db.get_one(Complaint, match.earlier.id)
    case = db.get(Case, earlier.case_id) if earlier.case_id else None
    return {
        "complaint": earlier,
        "case": case,
        "score": match.score,
        "signals": match.signals,
        "open": case is not None and case.status not in ("closed", "not_filed", "merged"),
    }


def case_panel(db: Session, case: Case) -> dict[str, Any]:
    """Links of the case's complaints (with the decisions allowed), and candidates for its
    complaints that have no link yet (for the case page)."""
    links = repository.links_of_case(db, case.id)
    ids = {c for (c,) in db.execute(select(Complaint.id).where(Complaint.case_id == case.id))}
    rows = []
    for link in links:
        earlier = db.get_one(Complaint, link.earlier_id)
        later = db.get_one(Complaint, link.complaint_id)
        rows.append(
            {
                "link": link,
                "earlier": earlier,
                "later": later,
                "earlier_case": db.get(Case, earlier.case_id) if earlier.case_id else None,
                "later_case": db.get(Case, later.case_id) if later.case_id else None,
                "outgoing": link.complaint_id in ids,
            }
        )
    linked = {link.complaint_id for link in links}
    candidates = []
    for complaint_id in sorted(ids - linked)[:5]:
        complaint = db.get_one(Complaint, complaint_id)
        candidates += [_row(db, m) for m in service.candidates_for(db, complaint, limit=3)]
    return {"rows": rows, "candidates": candidates, "kinds": KINDS, "labels": KIND_LABELS}


__all__ = ["RepeatLink", "case_panel", "date", "router"]
