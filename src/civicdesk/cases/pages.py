"""Staff pages: the case list, a case with its timeline and allowed actions, the unit inbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from civicdesk.accounts.models import Role, User
from civicdesk.accounts.policy import scoped_unit_id
from civicdesk.assessment import appeal_pages
from civicdesk.cases import presenter, service
from civicdesk.cases.repository import CaseFilter, list_cases
from civicdesk.config.service import units_covering
from civicdesk.core.workflow import CaseAction, CaseStatus
from civicdesk.errors import DomainError
from civicdesk.intake.models import Channel
from civicdesk.org.models import Area, AreaLevel, Unit
from civicdesk.repeats import pages as repeat_pages
from civicdesk.supervision import pages as supervision_pages
from civicdesk.taxonomy.models import Category
from civicdesk.triage import pages as triage_pages
from civicdesk.web.deps import (
    CalendarDep,
    CurrentUser,
    NowDep,
    SessionDep,
    check_csrf,
    render,
    require_roles,
)

router = APIRouter(include_in_schema=False)
ListViewer = Annotated[
    User, Depends(require_roles(Role.operator, Role.dispatcher, Role.leader, Role.admin))
]
ACTION_FIELDS = (
    "unit",
    "reply_text",
    "satisfaction",
    "solved",
    "days",
    "review_on",
    *supervision_pages.ACTION_FIELDS,
)


def _filter_choices(db: SessionDep) -> dict[str, object]:
    return {
        "statuses": list(CaseStatus),
        "categories": list(
            db.scalars(select(Category).order_by(Category.sort_order, Category.code))
        ),
        "districts": list(
            db.scalars(
                select(Area).where(Area.level == AreaLevel.district).order_by(Area.sort_order)
            )
        ),
        "units": list(db.scalars(select(Unit).order_by(Unit.kind, Unit.code))),
        "channels": list(db.scalars(select(Channel).order_by(Channel.sort_order))),
    }


@router.get("/cases")
def case_list(
    request: Request,
    db: SessionDep,
    user: ListViewer,
    now: NowDep,
    status: str = "",
    category: str = "",
    area: str = "",
    unit: str = "",
    channel: str = "",
    overdue: str = "",
    q: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    unit_id = db.scalar(select(Unit.id).where(Unit.code == unit)) if unit else None
    f = CaseFilter(
        status=status or None,
        category=category or None,
        area=area or None,
        unit_id=unit_id,
        channel=channel or None,
        overdue=overdue == "1",
        q=q or None,
    )
    found = list_cases(db, f, now=now, page=page)
    names = presenter.Names(db)
    params = {
        "status": status,
        "category": category,
        "area": area,
        "unit": unit,
        "channel": channel,
        "overdue": overdue,
        "q": q,
    }
    context = {
        "found": found,
        "rows": [presenter.summary(c, names, now) for c in found.rows],
        "params": params,
        **_filter_choices(db),
    }
    return render(request, "cases/list.html", context)


@router.get("/inbox")
def inbox(
    request: Request,
    db: SessionDep,
    user: CurrentUser,
    now: NowDep,
    status: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    unit_id = scoped_unit_id(user) or user.unit_id
    if unit_id is None:
        return RedirectResponse("/cases", status_code=303)
    found = list_cases(db, CaseFilter(unit_id=unit_id, status=status or None), now=now, page=page)
    names = presenter.Names(db)
    context = {
        "found": found,
        "rows": [presenter.summary(c, names, now) for c in found.rows],
        "unit": names.units.get(unit_id),
        "status": status,
        **supervision_pages.inbox_extras(db, unit_id, names),
    }
    return render(request, "cases/inbox.html", context)


@router.get("/cases/{number}")
def case_page(
    request: Request,
    number: str,
    db: SessionDep,
    user: CurrentUser,
    now: NowDep,
    intake: str = "",
    done: str = "",
) -> Response:
    return _render_case(request, db, user, now, number, flash=intake or done)


def _render_case(
    request: Request,
    db: SessionDep,
    user: User,
    now,
    number: str,
    *,  # type: ignore[no-untyped-def]
    flash: str = "",
    error: str = "",
    failed_action: str = "",
    status_code: int = 200,
) -> Response:
    case = service.get_case(db, number)
    service.ensure_can_see(case, user)
    names = presenter.Names(db)
    detail = presenter.detail(db, case, user, names, now)
    suggested = units_covering(db, case.area_id) if case.area_id else []
    context = {
        "case": detail,
        "flash": flash,
        "error": error,
        "failed_action": failed_action,
        "units": list(db.scalars(select(Unit).order_by(Unit.kind, Unit.code))),
        "suggested_units": suggested,
        "repeat_panel": None if user.role == Role.unit_staff else repeat_pages.case_panel(db, case),
        **supervision_pages.case_extras(db, case, names, now),
        **triage_pages.case_extras(db, case, user),
        **appeal_pages.case_extras(db, case),
    }
    return render(request, "cases/detail.html", context, status_code=status_code)


@router.post("/cases/{number}/actions/{action}")
async def case_action(
    request: Request,
    number: str,
    action: CaseAction,
    db: SessionDep,
    user: CurrentUser,
    now: NowDep,
    calendar: CalendarDep,
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    params = {k: str(form[k]) for k in ACTION_FIELDS if form.get(k) not in (None, "")}
    if "unit" in params:
        params["unit_id"] = str(
            db.scalar(select(Unit.id).where(Unit.code == params.pop("unit"))) or ""
        )
    case = service.get_case(db, number)
    try:
        with db.begin_nested():
            service.perform(
                db,
                case,
                action,
                actor=user,
                now=now,
                calendar=calendar,
                note=str(form.get("note", "")),
                **params,
            )
    except DomainError as exc:
        db.expire_all()
        return _render_case(
            request,
            db,
            user,
            now,
            number,
            error=exc.message,
            failed_action=action.value,
            status_code=_status(exc),
        )
    target = (
        "/inbox"
        if user.role == Role.unit_staff and case.unit_id != user.unit_id
        else (f"/cases/{number}?done={action.value}")
    )
    return RedirectResponse(target, status_code=303)


def _status(exc: DomainError) -> int:
    from civicdesk.web.errors import status_for

    return status_for(exc)
