"""Returns (退回) decided by the centre, and what a suspension left of the handling clock.

A unit returns a misrouted case with a reason (``return``); the centre then approves it
(``approve_return``: back to filed, or straight to another unit by dispatching it) or refuses it
(``refuse_return``: back to the unit that returned it, whose handling limit kept running). The
returning unit is kept on the case until the decision and named in every history row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.errors import InvalidInput
from civicdesk.org.models import Unit
from civicdesk.supervision import limits as time_limits
from civicdesk.taxonomy.models import Category

if TYPE_CHECKING:
    from civicdesk.cases.service import ActionContext


def _unit_code(session: Session, unit_id: int | None) -> str | None:
    unit = session.get(Unit, unit_id) if unit_id else None
    return unit.code if unit else None


def approve_by_dispatch(session: Session, case: Case) -> str | None:
    """Dispatching a returned case approves its return; the returning unit's code, if any."""
    code = _unit_code(session, case.returned_by_unit_id)
    case.returned_by_unit_id = None
    return code


def approve(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    code = approve_by_dispatch(ctx.session, case)
    case.due_at = None
    return {"returned_by": code}


def refuse(ctx: ActionContext, category: Category) -> dict[str, Any]:
    case = ctx.case
    unit_id = case.returned_by_unit_id
    if unit_id is None:
        raise InvalidInput("找不到退回该案件的单位，请直接派遣")
    case.unit_id = unit_id
    case.returned_by_unit_id = None
    case.return_refused_count += 1
    # The unit acknowledges again within a fresh acceptance limit; the handling limit set at
    # dispatch keeps running, so a refused return gains the unit no time.
    limits = time_limits.for_grade(ctx.session, category, case.grade)
    case.accept_due_at = limits.due("accept", ctx.calendar, ctx.now)
    case.accepted_at = None
    case.due_at = case.accept_due_at
    return {
        "unit": _unit_code(ctx.session, unit_id),
        "accept_due_at": case.accept_due_at.isoformat(),
    }


def remaining_hours_at_suspension(session: Session, case: Case) -> float | None:
    """Working hours the handling limit had left when the case was last suspended from work."""
    events = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == "suspend")
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
    )
    for event in events:
        remaining = (event.data or {}).get("remaining_hours")
        if remaining is not None:
            return float(remaining)
    return None
