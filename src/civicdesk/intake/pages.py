"""The operator's intake form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from civicdesk.accounts.models import Role, User
from civicdesk.config.service import get_setting
from civicdesk.errors import InvalidInput
from civicdesk.intake import service
from civicdesk.intake.models import Channel
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.org.models import Area, AreaLevel
from civicdesk.taxonomy.models import Category
from civicdesk.web.deps import NowDep, SessionDep, check_csrf, render, require_roles
from civicdesk.web.forms import field_errors

router = APIRouter(include_in_schema=False)
Intaker = Annotated[User, Depends(require_roles(Role.operator, Role.dispatcher, Role.admin))]
FIELDS = (
    "channel",
    "upstream_ref",
    "received_at",
    "complainant_name",
    "complainant_phone",
    "title",
    "text",
    "address",
    "longitude",
    "latitude",
    "category",
    "area",
    "case_number",
)


def _choices(db: SessionDep) -> dict[str, object]:
    areas = list(db.scalars(select(Area).order_by(Area.sort_order, Area.code)))
    by_id = {a.id: a for a in areas}
    places = [
        (a.code, f"{by_id[a.parent_id].name} {a.name}" if a.parent_id in by_id else a.name)
        for a in areas
        if a.level in (AreaLevel.street, AreaLevel.community)
    ]
    categories = [
        c
        for c in db.scalars(select(Category).order_by(Category.sort_order, Category.code))
        if c.parent_id is not None or not _has_children(db, c)
    ]
    return {
        "channels": list(db.scalars(select(Channel).order_by(Channel.sort_order, Channel.code))),
        "categories": categories,
        "places": places,
    }


def _has_children(db: SessionDep, category: Category) -> bool:
    return (
        db.scalar(select(Category.id).where(Category.parent_id == category.id).limit(1)) is not None
    )


@router.get("/intake")
def intake_form(request: Request, db: SessionDep, user: Intaker) -> Response:
    return render(
        request, "intake/form.html", {"values": {"channel": "96310"}, "errors": {}, **_choices(db)}
    )


@router.post("/intake")
async def intake_submit(request: Request, db: SessionDep, user: Intaker, now: NowDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {k: str(form.get(k, "")).strip() for k in FIELDS}
    errors: dict[str, str] = {}
    try:
        optional = {k: (v or None) for k, v in values.items() if k not in ("channel", "text")}
        data = ComplaintCreate(**optional, channel=values["channel"], text=values["text"])
        result = service.record_complaint(
            db, data, actor=user, now=now, case_prefix=get_setting(db, "case_number_prefix", "HZ")
        )
    except ValidationError as exc:
        errors = field_errors(exc)
    except InvalidInput as exc:
        errors = {exc.field or "__all__": exc.message}
    if errors:
        context = {"values": values, "errors": errors, **_choices(db)}
        return render(request, "intake/form.html", context, status_code=422)
    flag = "created" if result.created else "existing"
    return RedirectResponse(f"/cases/{result.case.number}?intake={flag}", status_code=303)
