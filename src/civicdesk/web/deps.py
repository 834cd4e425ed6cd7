"""Typed FastAPI dependencies: the session (one transaction per request), the clock, the
current user, roles, the working calendar, the language, and template rendering."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.accounts.service import resolve_session
from civicdesk.clock import to_local
from civicdesk.core.calendar import WorkCalendar
from civicdesk.db import begin_for_writing
from civicdesk.errors import AuthenticationRequired, PermissionDenied
from civicdesk.web import i18n

SESSION_COOKIE = "civicdesk_session"
LANG_COOKIE = "civicdesk_lang"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return to_local(value).strftime(fmt) if value else ""


TEMPLATES.env.filters["local"] = _local_time


def get_db(request: Request) -> Iterator[Session]:
    session: Session = request.app.state.sessionmaker()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        begin_for_writing(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so a client never hears "created"
# about a transaction that then fails to commit.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


def get_now(request: Request) -> datetime:
    return request.app.state.clock.now()


NowDep = Annotated[datetime, Depends(get_now)]


def session_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


@dataclass(frozen=True)
class UserView:
    """What templates show of the user: a plain copy, usable after the session has closed
    (error pages render after the request's transaction was rolled back)."""

    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None


def get_optional_user(request: Request, db: SessionDep, now: NowDep) -> User | None:
    token = session_token(request)
    user = resolve_session(db, token=token, now=now) if token else None
    request.state.user = (
        UserView(user.id, user.username, user.display_name, user.role, user.unit_id)
        if user
        else None
    )
    return user


def get_user(user: Annotated[User | None, Depends(get_optional_user)]) -> User:
    if user is None:
        raise AuthenticationRequired("请先登录")
    return user


CurrentUser = Annotated[User, Depends(get_user)]


def require_roles(*roles: str) -> Callable[[User], User]:
    def dependency(user: CurrentUser) -> User:
        if user.role not in roles:
            raise PermissionDenied("当前角色无权访问此功能")
        return user

    return dependency


def get_calendar(request: Request, db: SessionDep) -> WorkCalendar:
    from civicdesk.config.service import work_calendar

    return work_calendar(
        db, assume_weekdays_for_unknown=request.app.state.settings.assume_weekdays_for_unknown_years
    )


CalendarDep = Annotated[WorkCalendar, Depends(get_calendar)]


def get_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


def csrf_token(request: Request) -> str:
    token = request.cookies.get(SESSION_COOKIE, "")
    key = request.app.state.settings.secret_key.encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(submitted, csrf_token(request)):
        raise PermissionDenied("表单已失效，请刷新页面后重试")


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    lang = get_lang(request)
    base = {
        "user": getattr(request.state, "user", None),
        "lang": lang,
        "t": lambda key: i18n.translate(key, lang),
        "status_label": lambda s: i18n.status_label(s, lang),
        "action_label": lambda a: i18n.action_label(a, lang),
        "satisfaction_label": lambda s: i18n.satisfaction_label(s, lang),
        "csrf": csrf_token(request),
    }
    base.update(context or {})
    response = TEMPLATES.TemplateResponse(request, template, base, status_code=status_code)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    return response
