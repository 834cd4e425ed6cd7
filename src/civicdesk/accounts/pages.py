"""Staff log in and out of the web console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from civicdesk.accounts import service
from civicdesk.accounts.models import Role, User
from civicdesk.web.deps import (
    SESSION_COOKIE,
    NowDep,
    SessionDep,
    check_csrf,
    get_optional_user,
    render,
)

router = APIRouter(include_in_schema=False)

HOME_BY_ROLE = {
    Role.operator: "/intake",
    Role.dispatcher: "/cases",
    Role.unit_staff: "/inbox",
    Role.leader: "/reports/summary",
    Role.admin: "/cases",
}


def _safe_next(target: str | None) -> str | None:
    # Only local paths: never redirect a logged-in user to another site.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@router.get("/")
def home(user: Annotated[User | None, Depends(get_optional_user)]) -> Response:
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME_BY_ROLE.get(Role(user.role), "/cases"), status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next) or ""})


@router.post("/login")
def login(
    request: Request,
    db: SessionDep,
    now: NowDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    user = service.authenticate(db, username=username.strip(), password=password)
    if user is None:
        context = {
            "error": "用户名或密码错误",
            "username": username,
            "next": _safe_next(next) or "",
        }
        return render(request, "login.html", context, status_code=401)
    settings = request.app.state.settings
    token = service.start_session(db, user=user, now=now, hours=settings.session_hours)
    target = _safe_next(next) or HOME_BY_ROLE.get(Role(user.role), "/cases")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        max_age=int(settings.session_hours * 3600),
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(
    request: Request, db: SessionDep, now: NowDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        check_csrf(request, csrf)
        service.end_session(db, token=token, now=now)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
