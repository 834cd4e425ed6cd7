"""Triage on the staff pages: the case's suggestions with confirm/correct, the routed unit for
the dispatch form, and the centre's triage-quality page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.cases.models import Case
from civicdesk.errors import NotFound
from civicdesk.intake.models import Complaint
from civicdesk.org.models import Area, AreaLevel
from civicdesk.taxonomy.models import Category
from civicdesk.triage import repository, service
from civicdesk.web.deps import NowDep, SessionDep, check_csrf, render, require_roles

router = APIRouter(include_in_schema=False)
Deciders = Annotated[User, Depends(require_roles(Role.operator, Role.dispatcher, Role.admin))]
Viewers = Annotated[
    User, Depends(require_roles(Role.operator, Role.dispatcher, Role.leader, Role.admin))
]
DECIDERS = (Role.operator, Role.dispatcher, Role.admin)


def case_extras(db: Session, case: Case, user: User) -> dict[str, Any]:
    """What the case page shows of triage: each complaint's suggestion, and the unit the
    routing rules give for the case's current category and place (pre-selected for dispatch)."""
    engine = service.engine(db)
    categories = {c.id: c for c in db.scalars(select(Category))}
    category = categories.get(case.category_id) if case.category_id else None
    area = db.get(Area, case.area_id) if case.area_id else None
    location = engine.locator.placed(area.code) if area else engine.locator.locate(None)
    route = engine.route(category.code if category else None, location)
    suggestions = []
    for complaint, row in repository.case_suggestions(db, case.id):
        suggestions.append(
            {
                "complaint_id": complaint.id,
                "row": row,
                "category": categories.get(row.category_id) if row.category_id else None,
                "alternatives": [
                    (engine.categories[a["category"]].name, a["confidence"])
                    for a in row.alternatives
                    if a["category"] in engine.categories
                ],
                "area": db.get(Area, row.area_id) if row.area_id else None,
            }
        )
    return {
        "triage": {
            "route": route,
            "route_unit": route.unit,
            "suggestions": suggestions,
            "can_decide": user.role in DECIDERS,
            "leaves": [c for c in categories.values() if c.code in _leaves(engine)],
            "places": _places(db),
        }
    }


def _leaves(engine: Any) -> set[str]:
    return {code for code, info in engine.categories.items() if info.leaf}


def _places(db: Session) -> list[tuple[str, str]]:
    areas = list(db.scalars(select(Area).order_by(Area.sort_order, Area.code)))
    by_id = {a.id: a for a in areas}
    return [
        (a.code, f"{by_id[a.parent_id].name} {a.name}" if a.parent_id in by_id else a.name)
        for a in areas
        if a.level in (AreaLevel.district, AreaLevel.street, AreaLevel.community)
    ]


@router.post("/triage/complaints/{complaint_id}")
async def decide(
    request: Request, complaint_id: int, db: SessionDep, user: Deciders, now: NowDep
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    complaint = db.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("投诉不存在")
    service.decide(
        db,
        complaint,
        category=str(form.get("category", "")),
        area=str(form.get("area", "")) or None,
        actor=user,
        now=now,
    )
    case = db.get(Case, complaint.case_id) if complaint.case_id else None
    target = f"/cases/{case.number}?done=triage" if case else "/cases"
    return RedirectResponse(target, status_code=303)


@router.get("/triage/quality")
def quality_page(
    request: Request,
    db: SessionDep,
    user: Viewers,
    now: NowDep,
    days: Annotated[int, Query(ge=1, le=3650)] = 30,
) -> Response:
    since: datetime = now - timedelta(days=days)
    found = repository.quality(db, since=since)
    active = service.active_model(db)
    context = {"q": found, "days": days, "active": active}
    return render(request, "triage/quality.html", context)
