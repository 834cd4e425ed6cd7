"""Service-card pages: the staff page where a unit maintains its cards, and the public look-up
and printable card (with a QR code opening the portal for that street)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import select

from civicdesk.accounts.models import Role, User
from civicdesk.errors import InvalidInput, NotFound
from civicdesk.org.cards import service
from civicdesk.org.cards.models import ServiceCard
from civicdesk.org.cards.qr import portal_url, qr_svg
from civicdesk.org.models import Unit, UnitKind
from civicdesk.portal.choices import street_groups
from civicdesk.portal.web import render_public
from civicdesk.web.deps import NowDep, SessionDep, check_csrf, render, require_roles
from civicdesk.web.forms import field_errors

router = APIRouter(include_in_schema=False)
Maintainer = Annotated[User, Depends(require_roles(Role.unit_staff, Role.admin))]
FIELDS = ("staff_name", "post", "phone", "duties", "office_hours", "area", "sort_order")


def _unit(db: SessionDep, user: User, code: str | None) -> Unit:
    if user.role == Role.unit_staff:
        return db.get_one(Unit, user.unit_id)
    unit = db.scalar(select(Unit).where(Unit.code == code)) if code else None
    if unit is None:
        unit = db.scalars(select(Unit).where(Unit.kind == UnitKind.squadron).order_by(Unit.code))
        unit = unit.first()
    if unit is None:
        raise NotFound("没有可维护的单位")
    return unit


def _manage_page(
    request: Request, db: SessionDep, user: User, unit: Unit, **extra: object
) -> Response:
    units = [] if user.role == Role.unit_staff else list(
        db.scalars(select(Unit).where(Unit.kind == UnitKind.squadron).order_by(Unit.code))
    )  # fmt: skip
    context = {
        "unit": unit,
        "units": units,
        "cards": service.unit_cards(db, unit.id),
        "areas": service.covered_areas(db, unit),
        "values": {},
        "errors": {},
        "editing": None,
        **extra,
    }
    return render(
        request, "cards/manage.html", context, status_code=422 if extra.get("errors") else 200
    )


@router.get("/cards/manage")
def manage(
    request: Request, db: SessionDep, user: Maintainer, unit: str | None = None, edit: int = 0
) -> Response:
    the_unit = _unit(db, user, unit)
    card = db.get(ServiceCard, edit) if edit else None
    editing = card if card is not None and card.unit_id == the_unit.id else None
    return _manage_page(request, db, user, the_unit, editing=editing)


@router.post("/cards/manage")
async def manage_save(request: Request, db: SessionDep, user: Maintainer, now: NowDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    unit = _unit(db, user, str(form.get("unit", "")) or None)
    values = {k: str(form.get(k, "")).strip() for k in FIELDS}
    card_id = str(form.get("card_id", ""))
    card = db.get(ServiceCard, int(card_id)) if card_id.isdigit() else None
    try:
        data = service.CardInput(**{**values, "sort_order": values["sort_order"] or "0"})
        service.save_card(db, unit, data, actor=user, now=now, card=card)
    except ValidationError as exc:
        db.rollback()
        return _manage_page(request, db, user, unit, values=values, errors=field_errors(exc))
    except InvalidInput as exc:
        db.rollback()
        errors = {exc.field or "__all__": exc.message}
        return _manage_page(request, db, user, unit, values=values, errors=errors)
    return RedirectResponse(f"/cards/manage?unit={unit.code}&saved=1", status_code=303)


@router.post("/cards/manage/{card_id}/delete")
async def manage_delete(
    request: Request, card_id: int, db: SessionDep, user: Maintainer
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    card = db.get(ServiceCard, card_id)
    if card is None:
        raise NotFound("服务卡不存在")
    unit = db.get_one(Unit, card.unit_id)
    service.delete_card(db, card, actor=user)
    return RedirectResponse(f"/cards/manage?unit={unit.code}", status_code=303)


# ---- public --------------------------------------------------------------------------------


@router.get("/portal/cards")
def public_lookup(request: Request, db: SessionDep, q: str = "", area: str = "") -> Response:
    q = q.strip()[:300]
    # The address wins over the street picker (which shows the last street found).
    found = service.lookup_text(db, q) if q else None
    if found is None and area:
        found = service.for_area(db, area)
    context = {
        "q": q,
        "found": found,
        "searched": bool(q or area),
        "street_groups": street_groups(db),
    }
    return render_public(request, "portal/cards.html", context)


@router.get("/portal/cards/{code}/print")
def public_print(request: Request, code: str, db: SessionDep) -> Response:
    found = service.for_area(db, code)
    base = request.app.state.settings.public_base_url or str(request.base_url)
    url = portal_url(base, found.area.code)
    # Markup: the SVG is segno's own output for a URL built from an area code, no user text.
    context = {"found": found, "url": url, "qr": Markup(qr_svg(url))}
    return render_public(request, "portal/card_print.html", context)
