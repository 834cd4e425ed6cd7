"""Feedback API: the reply draft from the category's template, and the reply written from it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from civicdesk.cases import presenter
from civicdesk.cases import service as cases
from civicdesk.cases.schemas import CaseDetail
from civicdesk.feedback import service
from civicdesk.web.deps import CalendarDep, CurrentUser, NowDep, SessionDep

router = APIRouter(prefix="/api/cases", tags=["feedback"])


class ReplyDraft(BaseModel):
    text: str


class ReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    result: str = Field(min_length=1, max_length=3000, description="What the unit did")


@router.get("/{number}/reply-draft", response_model=ReplyDraft)
def get_reply_draft(number: str, db: SessionDep, user: CurrentUser, now: NowDep) -> ReplyDraft:
    """The reply to the citizen as the category's template gives it, the result to fill in."""
    case = cases.get_case(db, number)
    cases.ensure_can_see(case, user)
    return ReplyDraft(text=service.draft(db, case, now=now))


@router.post("/{number}/reply", response_model=CaseDetail)
def reply(
    number: str,
    body: ReplyCreate,
    db: SessionDep,
    user: CurrentUser,
    now: NowDep,
    calendar: CalendarDep,
) -> CaseDetail:
    """The unit's reply (处置答复), written from its category's template."""
    case = cases.get_case(db, number)
    service.reply_from_template(
        db, case, result=body.result, actor=user, now=now, calendar=calendar
    )
    return presenter.detail(db, case, user, presenter.Names(db), now)
