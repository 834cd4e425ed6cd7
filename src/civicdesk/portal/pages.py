"""The citizen portal's pages (public, Simplified Chinese, phone-sized first)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from civicdesk.errors import DomainError, IllegalTransition, InvalidInput, NotFound
from civicdesk.portal import choices, inbox, tracking
from civicdesk.portal.forms import BodyTooLarge, PostedForm, SmallForm, SubmissionForm
from civicdesk.portal.models import Attachment
from civicdesk.portal.schemas import CitizenRatingForm, PortalComplaint
from civicdesk.portal.uploads import MediaStore
from civicdesk.portal.web import (
    DoorDep,
    LimitersDep,
    check_portal_csrf,
    check_rate,
    client_address,
    portal_config,
    reference,
    render_public,
    security_headers,
    settings_of,
    write_connection,
)
from civicdesk.web.deps import CalendarDep, NowDep, SessionDep
from civicdesk.web.forms import field_errors

router = APIRouter(include_in_schema=False)


def _form_page(
    request: Request, db: SessionDep, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    context = {"values": values, "errors": errors, **choices.form_choices(db, request)}
    return render_public(request, "portal/index.html", context, status_code=status)


@router.get("/portal")
def portal_home(request: Request, db: SessionDep, area: str | None = None) -> Response:
    return _form_page(request, db, {"area": area or ""}, {}, 200)


@router.post("/portal/submit")
def portal_submit(request: Request, form: SubmissionForm, door: DoorDep) -> Response:
    """Checked, then into the inbox with one insert; the answer carries the private link at
    once (no ORM session, no case: intake runs in the drain, see portal.inbox). Everything but
    the statements runs before the write transaction opens."""
    values = {k: v for k, v in form.fields.items() if k != "csrf"}
    try:
        if isinstance(form.error, BodyTooLarge) or (form.error is not None and not form.fields):
            raise form.error  # not read at all, so there is no CSRF field to check either
        check_portal_csrf(request, form.fields.get("csrf"))
        check_rate(door.limits.submit_by_address, client_address(request))
        if form.error is not None:
            raise form.error
        complaint = PortalComplaint(**values)
        ref = reference(request)
        config = portal_config(request, ref, channel="web", source="portal")
        draft = inbox.prepare(complaint, config=config, ref=ref, now=door.now)
        with write_connection(request) as db:
            accepted = inbox.put(
                db, draft, form.photos, store=door.store, config=config, ref=ref, now=door.now,
                admit=lambda: check_rate(door.limits.submit_by_phone, complaint.phone),
            )  # fmt: skip
    except ValidationError as exc:
        return _refused(request, values, field_errors(exc), 422)
    except InvalidInput as exc:
        status = 413 if isinstance(exc, BodyTooLarge) else 422
        return _refused(request, values, {exc.field or "__all__": exc.message}, status)
    flag = "new" if accepted.created else "again"
    return RedirectResponse(f"/portal/t/{accepted.token}?{flag}=1", status_code=303)


def _refused(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    with request.app.state.sessionmaker() as db:
        return _form_page(request, db, values, errors, status)


@router.get("/portal/t/{token}")
def portal_link(request: Request, token: str, db: SessionDep) -> Response:
    try:
        view = tracking.view(db, tracking.by_token(db, token))
    except tracking.PendingIntake as pending:
        view = tracking.pending_view(db, pending.item)
    context = {"view": view, "token": token, "flags": request.query_params}
    return render_public(request, "portal/case.html", context)


@router.post("/portal/t/{token}/rate")
def portal_link_rate(
    request: Request,
    token: str,
    form: SmallForm,
    db: SessionDep,
    now: NowDep,
    calendar: CalendarDep,
) -> Response:
    check_portal_csrf(request, form.fields.get("csrf"))
    complaint = tracking.by_token(db, token)
    try:
        tracking.rate(db, complaint, _rating_form(form), via="link", now=now, calendar=calendar)
    except (ValidationError, InvalidInput, IllegalTransition) as exc:
        db.rollback()
        context = {"view": tracking.view(db, complaint), "token": token, "rate_error": _msg(exc)}
        return render_public(request, "portal/case.html", context, status_code=422)
    return RedirectResponse(f"/portal/t/{token}?rated=1", status_code=303)


@router.get("/portal/t/{token}/photos/{index}")
def portal_photo(request: Request, token: str, index: int, db: SessionDep) -> Response:
    complaint = tracking.by_token(db, token)
    photos = list(
        db.scalars(
            select(Attachment)
            .where(Attachment.complaint_id == complaint.id)
            .order_by(Attachment.id)
        )
    )
    if not 1 <= index <= len(photos):
        raise NotFound("照片不存在")
    photo = photos[index - 1]
    path = MediaStore(settings_of(request).media_dir).path(photo.stored_name)
    response = FileResponse(path, media_type=photo.content_type)
    response.headers["Cache-Control"] = "private, no-store"
    return security_headers(request, response)


@router.get("/portal/track")
def portal_track_form(request: Request) -> Response:
    return render_public(request, "portal/track.html", {"values": {}, "errors": {}})


@router.post("/portal/track")
def portal_track(
    request: Request, form: SmallForm, db: SessionDep, limits: LimitersDep
) -> Response:
    check_portal_csrf(request, form.fields.get("csrf"))
    check_rate(limits.track_by_address, client_address(request))
    values = {"number": form.fields["number"], "phone": form.fields["phone"]}
    try:
        view = tracking.view(
            db, tracking.by_number_and_phone(db, values["number"], values["phone"])
        )
    except tracking.PendingIntake as pending:
        view = tracking.pending_view(db, pending.item)
    except NotFound as exc:
        context = {"values": values, "errors": {"__all__": exc.message}}
        return render_public(request, "portal/track.html", context, status_code=404)
    context = {"view": view, "lookup": values}
    return render_public(request, "portal/case.html", context)


@router.post("/portal/rate")
def portal_rate(
    request: Request,
    form: SmallForm,
    db: SessionDep,
    now: NowDep,
    calendar: CalendarDep,
    limits: LimitersDep,
) -> Response:
    check_portal_csrf(request, form.fields.get("csrf"))
    check_rate(limits.track_by_address, client_address(request))
    lookup = {"number": form.fields["number"], "phone": form.fields["phone"]}
    complaint = tracking.by_number_and_phone(db, lookup["number"], lookup["phone"])
    context: dict[str, object] = {"lookup": lookup}
    try:
        tracking.rate(db, complaint, _rating_form(form), via="phone", now=now, calendar=calendar)
        context["flags"], status = {"rated": "1"}, 200
    except (ValidationError, InvalidInput, IllegalTransition) as exc:
        db.rollback()
        context["rate_error"], status = _msg(exc), 422
    context["view"] = tracking.view(db, complaint)
    return render_public(request, "portal/case.html", context, status_code=status)


def _rating_form(form: PostedForm) -> CitizenRatingForm:
    if form.error is not None:
        raise form.error
    values = form.fields
    if values["solved"] not in ("yes", "no"):
        raise InvalidInput("请选择问题是否已解决", field="solved")
    return CitizenRatingForm(
        satisfaction=values["satisfaction"],
        solved=values["solved"] == "yes",
        comment=values["comment"] or None,
    )


def _msg(exc: ValidationError | DomainError) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    return "；".join(field_errors(exc).values())


@router.get("/portal/boundaries.json")
def portal_boundaries(request: Request) -> Response:
    path = settings_of(request).map_boundaries
    if path is None or not path.is_file():
        raise NotFound("未配置区划边界")
    response = FileResponse(path, media_type="application/geo+json")
    return security_headers(request, response)
