"""Staff pages of supervision: the dispatchers' board (/supervision), acknowledging a notice."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.cases.models import Case
from civicdesk.cases.presenter import Names
from civicdesk.config.policies import supervision_policy
from civicdesk.org.models import Area, AreaLevel, Unit
from civicdesk.supervision import presenter, service
from civicdesk.supervision import repository as repo
from civicdesk.supervision.api import board_filter
from civicdesk.web.deps import (
    CalendarDep,
    CurrentUser,
    NowDep,
    SessionDep,
    check_csrf,
    render,
    require_roles,
)

router = APIRouter(include_in_schema=False)
Supervisor = Annotated[User, Depends(require_roles(Role.dispatcher, Role.leader, Role.admin))]

COUNT_LABELS = {
    "overdue": "超期",
    "due_soon": "临期",
    "escalated": "已升级督办",
    "review_due": "挂账到期待复查",
    "graded": "分级督办中",
}


@router.get("/supervision")
def board_page(
    request: Request,
    db: SessionDep,
    user: Supervisor,
    now: NowDep,
    calendar: CalendarDep,
    unit: str = "",
    district: str = "",
) -> Response:
    found = service.board(
        db, board_filter(db, unit or None, district or None), now=now, calendar=calendar
    )
    context = {
        "board": presenter.board(db, found, Names(db), now),
        "labels": COUNT_LABELS,
        "params": {"unit": unit, "district": district},
        "districts": list(
            db.scalars(
                select(Area).where(Area.level == AreaLevel.district).order_by(Area.sort_order)
            )
        ),
        "units": list(db.scalars(select(Unit).order_by(Unit.kind, Unit.code))),
    }
    return render(request, "supervision/board.html", context)


@router.post("/notices/{notice_id}/read")
async def read_notice(
    request: Request, notice_id: int, db: SessionDep, user: CurrentUser, now: NowDep
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    service.mark_read(db, notice_id, user=user, now=now)
    back = str(form.get("next", "/inbox"))
    return RedirectResponse(back if back.startswith("/") else "/inbox", status_code=303)


# ---- what the case page and the unit inbox show of supervision (cases.pages calls these) ----

ACTION_FIELDS = (
    "grade",
    "media_attention",
    "leader_attention",
    "long_standing",
    "needs_demolition",
    "departments",
)


def case_extras(db: Session, case: Case, names: Names, now: datetime) -> dict[str, object]:
    from civicdesk.feedback.service import draft

    return {
        "sup": presenter.case_panel(db, case, names),
        "grades": list(supervision_policy(db).grades.values()),
        "reply_draft": draft(db, case, now=now),
    }


def inbox_extras(db: Session, unit_id: int, names: Names) -> dict[str, object]:
    return {
        "notices": presenter.notices(db, repo.unit_notices(db, unit_id), names),
        "unread": repo.unread_count(db, unit_id),
    }
