"""API authentication: exchange a username and password for an expiring bearer token."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request

from civicdesk.accounts import service
from civicdesk.accounts.schemas import TokenCreate, TokenRead, UserRead
from civicdesk.errors import AuthenticationRequired
from civicdesk.web.deps import CurrentUser, NowDep, SessionDep, session_token

router = APIRouter(prefix="/api", tags=["auth"])


@router.post("/auth/token", response_model=TokenRead)
def create_token(body: TokenCreate, request: Request, db: SessionDep, now: NowDep) -> TokenRead:
    user = service.authenticate(db, username=body.username, password=body.password)
    if user is None:
        raise AuthenticationRequired("用户名或密码错误")
    hours = request.app.state.settings.session_hours
    token = service.start_session(db, user=user, now=now, hours=hours)
    return TokenRead(access_token=token, expires_at=now + timedelta(hours=hours))


@router.delete("/auth/token", status_code=204)
def revoke_token(request: Request, user: CurrentUser, db: SessionDep, now: NowDep) -> None:
    token = session_token(request)
    if token:
        service.end_session(db, token=token, now=now)


@router.get("/me", response_model=UserRead)
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user, from_attributes=True)
