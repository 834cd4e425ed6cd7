"""What the public pages share: their CSRF token, the rate limiters, the media store, the
portal's configuration, security headers, and rendering with the public base template."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from civicdesk.db import writing_connection
from civicdesk.errors import PermissionDenied, RateLimited
from civicdesk.portal.inbox import Reference
from civicdesk.portal.inbox import reference as inbox_reference
from civicdesk.portal.limits import Limiters, TokenBucket
from civicdesk.portal.service import PortalConfig
from civicdesk.portal.uploads import MediaStore
from civicdesk.settings import Settings
from civicdesk.web.deps import render

CSRF_COOKIE = "civicdesk_portal"
_init_lock = threading.Lock()


def too_many(wait_seconds: float) -> RateLimited:
    minutes = max(1, round(wait_seconds / 60))
    return RateLimited(
        f"提交过于频繁，请约 {minutes} 分钟后再试；紧急情况请拨打96310", retry_after=wait_seconds
    )


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


async def limiters(request: Request) -> Limiters:
    # async (like the other small dependencies of the public POSTs): run on the event loop,
    # not with a hop to the thread pool each.
    state = request.app.state
    with _init_lock:
        if getattr(state, "portal_limiters", None) is None:
            state.portal_limiters = Limiters.from_settings(state.settings)
    return state.portal_limiters


LimitersDep = Annotated[Limiters, Depends(limiters)]


async def media_store(request: Request) -> MediaStore:
    return MediaStore(settings_of(request).media_dir)


async def public_now(request: Request) -> datetime:
    return request.app.state.clock.now()


@dataclass(frozen=True)
class Door:
    """What a public submission needs besides its body: the time, the limits, the media store.
    One dependency instead of three: FastAPI's resolution costs more than each of them."""

    now: datetime
    limits: Limiters
    store: MediaStore


async def public_door(request: Request) -> Door:
    return Door(await public_now(request), await limiters(request), await media_store(request))


DoorDep = Annotated[Door, Depends(public_door)]


def portal_config(request: Request, ref: Reference, *, channel: str, source: str) -> PortalConfig:
    settings = settings_of(request)
    return PortalConfig(
        channel=channel,
        source=source,
        case_prefix=ref.case_prefix,
        duplicate_seconds=settings.portal_duplicate_seconds,
        max_text=settings.portal_max_text,
        boundaries=settings.map_boundaries,
        repeat_check=settings.portal_repeat_check,
    )


def client_address(request: Request) -> str:
    # Behind a reverse proxy run uvicorn with --proxy-headers/--forwarded-allow-ips, so that
    # this is the citizen's address and not the proxy's (docs/portal.md).
    return request.client.host if request.client else "unknown"


def check_rate(bucket: TokenBucket, key: str) -> None:
    wait = bucket.take(key)
    if wait is not None:
        raise too_many(wait)


# ---- CSRF: a double-submit token, since citizens have no session ---------------------------


def _sign(request: Request, value: str) -> str:
    key = settings_of(request).secret_key.encode()
    return hmac.new(key, b"portal:" + value.encode(), hashlib.sha256).hexdigest()


def portal_csrf(request: Request) -> tuple[str, str | None]:
    """The form token for this browser, and a new cookie value to set (None: keep the cookie)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if cookie and 20 <= len(cookie) <= 64:
        return _sign(request, cookie), None
    fresh = secrets.token_urlsafe(24)
    return _sign(request, fresh), fresh


def check_portal_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not hmac.compare_digest(submitted, _sign(request, cookie)):
        raise PermissionDenied("页面已过期，请刷新页面后重新提交（需要允许 Cookie）")


# ---- rendering ------------------------------------------------------------------------------


def security_headers(request: Request, response: Any) -> Any:
    tiles = settings_of(request).map_tile_url
    tile_origin = ""
    if tiles and "://" in tiles:
        scheme, rest = tiles.split("://", 1)
        tile_origin = " " + scheme + "://" + rest.split("/", 1)[0].replace("{s}", "*")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{tile_origin}; connect-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    )
    # Private links carry their secret in the path: never send it to another site.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def render_public(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    token, fresh = portal_csrf(request)
    response = render(request, template, {"portal_csrf": token, **(context or {})}, status_code)
    if fresh is not None:
        response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="strict", max_age=7 * 86400)
    return security_headers(request, response)


# ---- the write transaction of a public POST ------------------------------------------------


def write_connection(request: Request) -> AbstractContextManager[Connection]:
    """A writing transaction opened only when the request has been read and checked (on
    SQLite: the writer gate and ``BEGIN IMMEDIATE``, see ``db.writing_connection``), committed
    before the answer is sent. A plain connection: the door runs two statements and needs no
    ORM session."""
    return writing_connection(request.app.state.sessionmaker.kw["bind"])


def reference(request: Request) -> Reference:
    """What submissions are checked against, cached on the application (``portal.inbox``);
    read in a session of its own when the cache is stale, outside the write transaction."""
    state = request.app.state
    cached: Reference | None = getattr(state, "portal_reference", None)
    if cached is not None and cached.fresh():
        return cached
    with state.sessionmaker() as session:
        return inbox_reference(session, state)
