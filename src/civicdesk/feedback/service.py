"""Feedback to the citizen (统一反馈): the unit's reply written from its category's template, and
the callback rule. Flushes, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.cases import service as cases
from civicdesk.cases.models import Case
from civicdesk.clock import to_local
from civicdesk.config.policies import feedback_policy
from civicdesk.core.calendar import WorkCalendar
from civicdesk.core.workflow import CaseAction
from civicdesk.errors import InvalidInput
from civicdesk.org.models import Unit
from civicdesk.supervision.limits import category_codes
from civicdesk.taxonomy.models import Category

if TYPE_CHECKING:
    from civicdesk.cases.service import ActionContext

RESULT_PLACEHOLDER = "【请填写处置情况】"
NOT_SOLVED_RULE = "feedback.callback.not_solved"


def reply_text(session: Session, case: Case, *, result: str, now: datetime) -> str:
    """The reply to the citizen: the template of the case's category filled from the case."""
    category = session.get(Category, case.category_id) if case.category_id else None
    unit = session.get(Unit, case.unit_id) if case.unit_id else None
    codes = category_codes(session, category) if category else []
    template = feedback_policy(session).template_for(codes)
    values = {
        "number": case.number,
        "title": case.title,
        "address": case.address or "",
        "category": category.name if category else "",
        "unit": unit.name if unit else "承办单位",
        "date": f"{to_local(now):%Y年%m月%d日}",
        "result": result.strip().rstrip("。"),
    }
    return template.format(**values)


def draft(session: Session, case: Case, *, now: datetime) -> str:
    """The reply as the unit starts from: the template with the result still to write."""
    return reply_text(session, case, result=RESULT_PLACEHOLDER, now=now)


def reply_from_template(
    session: Session,
    case: Case,
    *,
    result: str,
    actor: User,
    now: datetime,
    calendar: WorkCalendar,
) -> Case:
    """The unit's reply (处置答复): what it did, in its category's template."""
    if not result or not result.strip():
        raise InvalidInput("请填写处置情况", field="result")
    text = reply_text(session, case, result=result, now=now)
    return cases.perform(
        session, case, CaseAction.reply, actor=actor, now=now, calendar=calendar, reply_text=text
    )


def after_not_solved(ctx: ActionContext) -> None:
    """The callback found the problem not solved: back to the unit for rework, unless the case
    was reworked as often as ``feedback.yaml`` allows — then the centre decides (close it as
    "closed, not fixed" with a reason, or suspend it)."""
    case = ctx.case
    if not feedback_policy(ctx.session).rework_after_not_solved(case.rework_count):
        return
    cases.perform_by_rule(
        ctx.session,
        case,
        CaseAction.rework,
        rule=NOT_SOLVED_RULE,
        now=ctx.now,
        calendar=ctx.calendar,
        note="回访未解决，自动返工",
    )
