"""Triage API: suggestions while the operator types, and confirming or correcting them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from civicdesk.accounts.models import Role
from civicdesk.errors import NotFound, PermissionDenied
from civicdesk.intake.models import Complaint
from civicdesk.intake.schemas import MAX_TEXT
from civicdesk.triage import service
from civicdesk.web.deps import CurrentUser, NowDep, SessionDep

router = APIRouter(prefix="/api/triage", tags=["triage"])
TRIAGE_ROLES = frozenset({Role.operator, Role.dispatcher, Role.admin})


class SuggestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=200)
    text: str = Field(default="", max_length=MAX_TEXT)
    address: str | None = Field(default=None, max_length=300)
    area: str | None = Field(default=None, max_length=32)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=64)
    area: str | None = Field(default=None, max_length=32)


def _allowed(user: CurrentUser) -> None:
    if user.role not in TRIAGE_ROLES:
        raise PermissionDenied("当前角色无权进行分类")


@router.post("/suggest")
def suggest(body: SuggestRequest, db: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Category (with confidence and alternatives), place and unit for a complaint being typed.
    Writes nothing."""
    _allowed(user)
    result = service.suggest(
        db,
        title=body.title,
        text=body.text,
        address=body.address,
        area=body.area,
        longitude=body.longitude,
        latitude=body.latitude,
    )
    return result.as_dict(service.engine(db))


@router.post("/complaints/{complaint_id}")
def decide(
    complaint_id: int, body: DecisionRequest, db: SessionDep, user: CurrentUser, now: NowDep
) -> dict[str, Any]:
    """Confirm the suggestion (the same category) or correct it; the case follows."""
    _allowed(user)
    complaint = db.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("投诉不存在")
    decision = service.decide(
        db, complaint, category=body.category, area=body.area, actor=user, now=now
    )
    return {"status": decision.suggestion.status, "corrected": decision.corrected}
