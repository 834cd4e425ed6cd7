"""Supervision API: the board, a case's supervision panel, a unit's notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from civicdesk.accounts.models import Role, User
from civicdesk.cases import service as cases
from civicdesk.cases.presenter import Names
from civicdesk.errors import InvalidInput, PermissionDenied
from civicdesk.org.models import Area, Unit
from civicdesk.supervision import presenter, service
from civicdesk.supervision import repository as repo
from civicdesk.supervision.schemas import (
    BoardRead,
    CaseSupervisionRead,
    NoticeList,
    NoticeRead,
)
from civicdesk.web.deps import CalendarDep, CurrentUser, NowDep, SessionDep, require_roles

router = APIRouter(prefix="/api/supervision", tags=["supervision"])
Supervisor = Annotated[User, Depends(require_roles(Role.dispatcher, Role.leader, Role.admin))]


def board_filter(db: SessionDep, unit: str | None, district: str | None) -> repo.BoardFilter:
    unit_id = district_id = None
    if unit:
        unit_id = db.scalar(select(Unit.id).where(Unit.code == unit))
        if unit_id is None:
            raise InvalidInput(f"未知单位代码：{unit}", field="unit")
    if district:
        district_id = db.scalar(select(Area.id).where(Area.code == district))
        if district_id is None:
            raise InvalidInput(f"未知区域代码：{district}", field="district")
    return repo.BoardFilter(unit_id=unit_id, district_id=district_id)


@router.get("/board", response_model=BoardRead)
def get_board(
    db: SessionDep,
    user: Supervisor,
    now: NowDep,
    calendar: CalendarDep,
    unit: str | None = None,
    district: str | None = None,
) -> BoardRead:
    """Due soon, overdue, escalated, suspensions due for review, graded cases; per unit."""
    found = service.board(db, board_filter(db, unit, district), now=now, calendar=calendar)
    return presenter.board(db, found, Names(db), now)


@router.get("/cases/{number}", response_model=CaseSupervisionRead)
def get_case_supervision(number: str, db: SessionDep, user: CurrentUser) -> CaseSupervisionRead:
    """A case's grade, the suggested grade with its reasons, its limits, counts and notices."""
    case = cases.get_case(db, number)
    cases.ensure_can_see(case, user)
    return presenter.case_panel(db, case, Names(db))


@router.get("/notices", response_model=NoticeList)
def get_notices(db: SessionDep, user: CurrentUser, unit: str | None = None) -> NoticeList:
    """Notices addressed to a unit: unit staff see their own unit's; the centre names one."""
    if user.role == Role.unit_staff:
        unit_id = user.unit_id
    elif unit:
        unit_id = board_filter(db, unit, None).unit_id
    else:
        raise InvalidInput("请指定单位代码 unit", field="unit")
    if unit_id is None:  # pragma: no cover - unit staff always have a unit (a constraint)
        raise PermissionDenied("当前账号不属于任何单位")
    rows = repo.unit_notices(db, unit_id)
    return NoticeList(
        items=presenter.notices(db, rows, Names(db)), unread=repo.unread_count(db, unit_id)
    )


@router.post("/notices/{notice_id}/read", response_model=NoticeRead)
def read_notice(notice_id: int, db: SessionDep, user: CurrentUser, now: NowDep) -> NoticeRead:
    """Acknowledge a notice (签收通知)."""
    notice = service.mark_read(db, notice_id, user=user, now=now)
    return presenter.notices(db, [notice], Names(db))[0]
