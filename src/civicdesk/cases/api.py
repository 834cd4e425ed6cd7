"""Case API: list with filters, one case with its history, and lifecycle actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from civicdesk.accounts.policy import scoped_unit_id
from civicdesk.cases import presenter, service
from civicdesk.cases.repository import CaseFilter, list_cases
from civicdesk.cases.schemas import ActionRequest, CaseDetail, CaseList
from civicdesk.core.workflow import CaseAction
from civicdesk.errors import InvalidInput
from civicdesk.org.models import Unit
from civicdesk.web.deps import CalendarDep, CurrentUser, NowDep, SessionDep

router = APIRouter(prefix="/api/cases", tags=["cases"])


@router.get("", response_model=CaseList)
def get_cases(
    db: SessionDep,
    user: CurrentUser,
    now: NowDep,
    status: str | None = None,
    category: str | None = None,
    area: str | None = None,
    unit: str | None = None,
    channel: str | None = None,
    overdue: bool = False,
    q: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 25,
) -> CaseList:
    unit_id = scoped_unit_id(user)
    if unit_id is None and unit:
        unit_id = _unit_id(db, unit)
    found = list_cases(
        db,
        CaseFilter(
            status=status,
            category=category,
            area=area,
            unit_id=unit_id,
            channel=channel,
            overdue=overdue,
            q=q,
        ),
        now=now,
        page=page,
        size=size,
    )
    names = presenter.Names(db)
    return CaseList(
        items=[presenter.summary(c, names, now) for c in found.rows],
        total=found.total,
        page=found.page,
        pages=found.pages,
    )


@router.get("/{number}", response_model=CaseDetail)
def get_case(number: str, db: SessionDep, user: CurrentUser, now: NowDep) -> CaseDetail:
    case = service.get_case(db, number)
    service.ensure_can_see(case, user)
    return presenter.detail(db, case, user, presenter.Names(db), now)


@router.post("/{number}/actions/{action}", response_model=CaseDetail)
def take_action(
    number: str,
    action: CaseAction,
    body: ActionRequest,
    db: SessionDep,
    user: CurrentUser,
    now: NowDep,
    calendar: CalendarDep,
) -> CaseDetail:
    case = service.get_case(db, number)
    params = body.model_dump(exclude_none=True, exclude={"note", "unit"})
    if body.unit is not None:
        params["unit_id"] = _unit_id(db, body.unit)
    service.perform(
        db, case, action, actor=user, now=now, calendar=calendar, note=body.note, **params
    )
    return presenter.detail(db, case, user, presenter.Names(db), now)


def _unit_id(db: SessionDep, code: str) -> int:
    unit_id = db.scalar(select(Unit.id).where(Unit.code == code))
    if unit_id is None:
        raise InvalidInput(f"未知单位代码：{code}", field="unit")
    return unit_id
