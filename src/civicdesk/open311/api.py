"""Open311 GeoReport v2 under /open311/v2/ (docs/open311.md): every resource as .json or .xml."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from civicdesk.clock import from_local
from civicdesk.config.policies import open311_document
from civicdesk.open311 import keys, posting, service
from civicdesk.open311.formats import Open311Error, Open311Route, check_format, respond
from civicdesk.portal.forms import UploadLimits, check_body_size, parse_form
from civicdesk.portal.schemas import CitizenComplaint
from civicdesk.portal.web import (
    DoorDep,
    check_rate,
    portal_config,
    reference,
    write_connection,
)
from civicdesk.web.deps import NowDep, SessionDep

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-27T00:00:00+08:00"  # when this server's GeoReport interface last changed


@router.get("/discovery.{fmt}")
def discovery(request: Request, fmt: str, db: SessionDep) -> Response:
    check_format(fmt)
    doc = open311_document(db)
    base = request.app.state.settings.public_base_url or str(request.base_url)
    body = {
        "changeset": CHANGESET,
        "contact": doc.contact if doc else "",
        "key_service": doc.key_service if doc else "",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base.rstrip('/')}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", body)


@router.get("/services.{fmt}")
def services(fmt: str, db: SessionDep, jurisdiction_id: str | None = None) -> Response:
    check_format(fmt)
    service.check_jurisdiction(db, jurisdiction_id)
    return respond(fmt, "services", service.services(db))


@router.get("/services/{code}.{fmt}")
def service_definition(
    code: str, fmt: str, db: SessionDep, jurisdiction_id: str | None = None
) -> Response:
    check_format(fmt)
    service.check_jurisdiction(db, jurisdiction_id)
    return respond(fmt, "service_definition", service.service_definition(db, code))


async def _posted_form(request: Request) -> FormData:
    """The POST body, read before the transaction opens (form-encoded; files are refused)."""
    check_body_size(request, UploadLimits(max_photos=0, max_photo_bytes=0))
    return await parse_form(request, max_files=0, max_fields=100)


@router.post("/requests.{fmt}")
def post_request(
    request: Request,
    fmt: str,
    form: Annotated[FormData, Depends(_posted_form)],
    door: DoorDep,
) -> Response:
    """Checked against cached reference data, then one insert into the inbox in a short write
    transaction (the API key is looked up in it, so a revoked key is refused at once)."""
    check_format(fmt)
    state = request.app.state
    services = posting.catalog(state, state.sessionmaker)
    jurisdiction = str(form.get("jurisdiction_id") or "") or None
    ref = reference(request)
    # GeoReport allows 4,000 characters of description, plus the attribute answers.
    config = replace(portal_config(request, ref, channel="app", source="open311"), max_text=5000)
    services.check_jurisdiction(jurisdiction)
    # Read before the write transaction opens; a bad request is still answered after the key
    # and rate checks, as before.
    built: tuple[CitizenComplaint, str | None] | Open311Error
    try:
        built = posting.complaint_from_form(services, ref, form)
    except Open311Error as exc:
        built = exc
    with write_connection(request) as db:
        key_id = keys.live_key_id(db, str(form.get("api_key") or ""))
        if key_id is None:
            raise Open311Error(403, "a valid api_key is required to POST requests")
        check_rate(door.limits.open311_by_key, f"key:{key_id}")
        if isinstance(built, Open311Error):
            raise built
        complaint, media_url = built
        answer, created = posting.post_request(
            db, complaint, media_url=media_url, api_key_id=key_id, store=door.store,
            config=config, ref=ref, now=door.now,
        )  # fmt: skip
    return respond(fmt, "service_requests", [answer], status_code=201 if created else 200)


@router.get("/requests.{fmt}")
def get_requests(
    fmt: str,
    db: SessionDep,
    now: NowDep,
    jurisdiction_id: str | None = None,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: str | None = None,
    page: int = 1,
    page_size: int = service.MAX_PAGE,
) -> Response:
    check_format(fmt)
    service.check_jurisdiction(db, jurisdiction_id)
    if not (page >= 1 and 1 <= page_size <= service.MAX_PAGE):
        raise Open311Error(400, f"page must be ≥ 1 and page_size 1..{service.MAX_PAGE}")
    statuses = tuple(s.strip() for s in (status or "").split(",") if s.strip())
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, "status must be open, closed or both (comma-separated)")
    query = service.RequestQuery(
        ids=[i.strip() for i in (service_request_id or "").split(",") if i.strip()],
        service_code=service_code,
        start=from_local(start_date) if start_date else None,
        end=from_local(end_date) if end_date else None,
        statuses=statuses,
        page=page,
        page_size=page_size,
    )
    return respond(fmt, "service_requests", service.find_requests(db, query, now=now))


@router.get("/requests/{request_id}.{fmt}")
def get_request(
    request_id: str, fmt: str, db: SessionDep, now: NowDep, jurisdiction_id: str | None = None
) -> Response:
    check_format(fmt)
    service.check_jurisdiction(db, jurisdiction_id)
    found = service.find_requests(db, service.RequestQuery(ids=[request_id]), now=now)
    if not found:
        raise Open311Error(404, f"no service request {request_id[:32]}")
    return respond(fmt, "service_requests", found)


@router.get("/tokens/{token}.{fmt}")
def get_token(token: str, fmt: str, db: SessionDep, jurisdiction_id: str | None = None) -> Response:
    check_format(fmt)
    service.check_jurisdiction(db, jurisdiction_id)
    return respond(fmt, "service_requests", [service.by_token(db, token)])


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def not_found(rest: str) -> Response:
    raise Open311Error(404, "no such resource: see /open311/v2/discovery.json")
