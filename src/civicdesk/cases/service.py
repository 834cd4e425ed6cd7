"""Case lifecycle actions. Each is one named verb: it checks role, scope and the transition table,
changes the case, appends a history row, and flushes (the request or command edge commits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.cases import deadlines, history, returns
from civicdesk.cases.models import Case
from civicdesk.clock import SHANGHAI, to_local
from civicdesk.core.calendar import CalendarUnknownYear, WorkCalendar
from civicdesk.core.workflow import (
    REASON_REQUIRED,
    UNIT_ACTIONS,
    CaseAction,
    CaseStatus,
    check_role,
    next_status,
)
from civicdesk.errors import ConfigurationError, InvalidInput, NotFound, PermissionDenied
from civicdesk.org.models import Unit
from civicdesk.supervision import actions as supervision_actions
from civicdesk.supervision import limits as time_limits
from civicdesk.taxonomy.models import Category

A = CaseAction
SATISFACTION = ("satisfied", "basically", "unsatisfied")
MAX_EXTENSION_DAYS = 30


@dataclass(frozen=True)
class ActionContext:
    session: Session
    case: Case
    actor: User | None  # None: the platform itself, by a rule (perform_by_rule)
    now: datetime
    calendar: WorkCalendar
    note: str | None


def ensure_can_see(case: Case, user: User) -> None:
    # A unit a notice was escalated to (the squadron's bureau) may read the case it
    # supervises; acting on it stays with the handling unit (visible_actions).
    if (
        user.role == Role.unit_staff
        and case.unit_id != user.unit_id
        and (user.unit_id is None or not supervision_actions.notified(case, user.unit_id))
    ):
        raise PermissionDenied("该案件不属于本单位")


def perform(
    session: Session,
    case: Case,
    action: CaseAction,
    *,
    actor: User,
    now: datetime,
    calendar: WorkCalendar,
    note: str | None = None,
    **params: Any,
) -> Case:
    """Take ``action`` on ``case``: the one entry point the API and pages call."""
    check_role(actor.role, action)
    ensure_can_see(case, actor)
    if action in UNIT_ACTIONS and actor.role == Role.unit_staff and case.unit_id != actor.unit_id:
        raise PermissionDenied("只能办理本单位的案件")
    note = (note or "").strip() or None
    if action in REASON_REQUIRED and not note:
        raise InvalidInput("请填写原因", field="note")
    ctx = ActionContext(session, case, actor, now, calendar, note)
    extra = _apply(ctx, action, params)
    # Lazy: supervision and feedback build on cases (notices, outbox, the callback rule).
    from civicdesk.supervision.hooks import after_action

    after_action(ctx, action, extra)
    return case


def perform_by_rule(
    session: Session,
    case: Case,
    action: CaseAction,
    *,
    rule: str,
    now: datetime,
    calendar: WorkCalendar,
    note: str | None = None,
    **params: Any,
) -> Case:
    """Take ``action`` as the platform itself, because ``rule`` of the configuration says so
    (e.g. a "not solved" callback sends the case back for rework): the transition table is
    checked as for a person, the history row names the rule instead of an actor."""
    ctx = ActionContext(session, case, None, now, calendar, note)
    _apply(ctx, action, {**params, "_rule": rule})
    return case


def _apply(ctx: ActionContext, action: CaseAction, params: dict[str, Any]) -> dict[str, Any]:
    case = ctx.case
    rule = params.pop("_rule", None)
    from_status = case.status
    to_status = next_status(case.status, action)
    try:
        extra = _HANDLERS.get(action, _no_change)(ctx, **params) or {}
    except CalendarUnknownYear as exc:
        raise ConfigurationError(
            f"{exc.year}年的节假日安排尚未载入，无法计算期限；请管理员执行 civicdesk calendar load"
        ) from exc
    case.status = to_status
    unit_id = extra.pop("unit_id", case.unit_id)
    history.record(
        ctx.session,
        case,
        action.value,
        actor=ctx.actor,
        at=ctx.now,
        from_status=from_status,
        note=ctx.note,
        unit_id=unit_id,
        rule=rule,
        **extra,
    )
    ctx.session.flush()
    return extra


def _no_change(ctx: ActionContext, **params: Any) -> dict[str, Any] | None:
    if params:
        raise InvalidInput(f"不支持的参数：{', '.join(params)}")
    return None


def _category(ctx: ActionContext) -> Category:
    category = ctx.session.get(Category, ctx.case.category_id) if ctx.case.category_id else None
    if category is None:
        raise InvalidInput("请先确定案件类别", field="category")
    return category


def _file(ctx: ActionContext) -> dict[str, Any]:
    category = _category(ctx)
    if not category.in_remit:
        raise InvalidInput(f"“{category.name}”不属于城管事项，请作不予立案处理", field="category")
    case = ctx.case
    case.filed_at = ctx.now
    # 派遣 is due this long after filing (stored now, like the units' deadlines).
    case.dispatch_due_at = deadlines.dispatch_due(
        ctx.session, category, case.grade, ctx.calendar, ctx.now
    )
    extra: dict[str, Any] = {"category": category.code}
    if case.dispatch_due_at is not None:
        extra["dispatch_due_at"] = case.dispatch_due_at.isoformat()
    return extra


def _not_file(ctx: ActionContext) -> None:
    ctx.case.not_filed_reason = ctx.note
    ctx.case.due_at = None


def _dispatch(ctx: ActionContext, *, unit_id: int | str | None = None) -> dict[str, Any]:
    unit = ctx.session.get(Unit, int(unit_id)) if unit_id else None
    if unit is None:
        raise InvalidInput("请选择承办单位", field="unit_id")
    category = _category(ctx)
    case = ctx.case
    returned_by = returns.approve_by_dispatch(ctx.session, case)
    case.unit_id = unit.id
    case.dispatched_at = ctx.now
    case.accepted_at = None
    case.accepted_late = case.handled_late = None
    limits = time_limits.for_grade(ctx.session, category, case.grade)
    case.accept_due_at = limits.due("accept", ctx.calendar, ctx.now)
    # The handling limit runs from dispatch: a unit gains no time by accepting late.
    case.handle_due_at = limits.due("handle", ctx.calendar, ctx.now)
    case.due_at = case.accept_due_at
    return {
        "unit": unit.code,
        "returned_by": returned_by,
        "accept_due_at": case.accept_due_at.isoformat(),
        "handle_due_at": case.handle_due_at.isoformat(),
    }


def _accept(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    case.accepted_at = ctx.now
    case.due_at = case.handle_due_at
    late = case.accept_due_at is not None and ctx.now > case.accept_due_at
    case.accepted_late = late
    return {"late": late}


def _return(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    returning_unit = case.unit_id
    case.returned_count += 1
    case.returned_by_unit_id = returning_unit
    case.unit_id = None
    case.due_at = None
    # Back with the centre: dispatching it again is a new dispatch step with its own limit (a
    # misrouting shows in 回退率/派遣准确率, not a second time as a late dispatch).
    category = ctx.session.get(Category, case.category_id) if case.category_id else None
    if category is not None:
        case.dispatch_due_at = deadlines.dispatch_due(
            ctx.session, category, case.grade, ctx.calendar, ctx.now
        )
    return {"unit_id": returning_unit}


def _reply(ctx: ActionContext, *, reply_text: str | None = None) -> dict[str, Any]:
    text = (reply_text or "").strip()
    if not text:
        raise InvalidInput("请填写处置结果", field="reply_text")
    case = ctx.case
    case.reply_text = text
    case.handled_at = ctx.now
    late = case.handle_due_at is not None and ctx.now > case.handle_due_at
    case.handled_late = late
    # 答复: the centre verifies and answers the citizen (callback, closure) within the limit.
    limits = time_limits.for_grade(ctx.session, _category(ctx), case.grade)
    case.reply_due_at = case.due_at = limits.due("reply", ctx.calendar, ctx.now)
    return {"late": late, "reply_due_at": case.reply_due_at.isoformat()}


def _callback(
    ctx: ActionContext, *, satisfaction: str | None = None, solved: str | bool | None = None
) -> dict[str, Any]:
    if satisfaction not in SATISFACTION:
        raise InvalidInput("请选择满意度：满意、基本满意或不满意", field="satisfaction")
    if solved is None or solved == "":
        raise InvalidInput("请选择问题是否解决", field="solved")
    solved_flag = (
        solved if isinstance(solved, bool) else str(solved).lower() in ("1", "true", "yes", "是")
    )
    ctx.case.satisfaction = satisfaction
    ctx.case.solved = solved_flag
    return {"satisfaction": satisfaction, "solved": solved_flag}


def _close(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    if case.solved is False and not ctx.note:
        raise InvalidInput("回访显示问题未解决：请返工，或写明结案理由", field="note")
    case.closed_at = ctx.now
    case.due_at = None
    # "Closed, not fixed" stays apart from "fixed" in the data, for the page and the measures.
    case.close_outcome = "not_fixed" if case.solved is False else "fixed"
    return {"solved": case.solved, "outcome": case.close_outcome}


def _rework(ctx: ActionContext) -> dict[str, Any]:
    category = _category(ctx)
    case = ctx.case
    case.rework_count += 1
    case.handled_at = None
    case.satisfaction = None
    case.solved = None
    case.handled_late = case.reply_due_at = None
    # Rework gets a fresh handling limit from now, as a new assignment of work.
    limits = time_limits.for_grade(ctx.session, category, case.grade)
    case.handle_due_at = limits.due("handle", ctx.calendar, ctx.now)
    case.due_at = case.handle_due_at
    return {"handle_due_at": case.handle_due_at.isoformat()}


def _request_extension(ctx: ActionContext, *, days: int | str | None = None) -> dict[str, Any]:
    case = ctx.case
    if case.extension_requested_days is not None:
        raise InvalidInput("已有待审批的延期申请")
    try:
        n = int(days) if days not in (None, "") else 0
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= MAX_EXTENSION_DAYS:
        raise InvalidInput(f"延期天数应为1至{MAX_EXTENSION_DAYS}个工作日", field="days")
    if case.handle_due_at is not None and ctx.now > case.handle_due_at:
        raise InvalidInput("已超过处置期限，不能再申请延期", field="days")
    case.extension_requested_days = n
    return {"days": n}


def _decide_extension(ctx: ActionContext, *, approve: bool) -> dict[str, Any]:
    case = ctx.case
    days = case.extension_requested_days
    if days is None:
        raise InvalidInput("没有待审批的延期申请")
    case.extension_requested_days = None
    if not approve:
        case.extension_refused_count += 1
        return {"days": days}
    base = case.handle_due_at or ctx.now
    case.handle_due_at = ctx.calendar.due_after_working_days(base, days)
    case.due_at = case.handle_due_at
    case.extension_count += 1
    return {"days": days, "handle_due_at": case.handle_due_at.isoformat()}


def _urge(ctx: ActionContext) -> None:
    ctx.case.urge_count += 1


def _suspend(ctx: ActionContext, *, review_on: str | date | None = None) -> dict[str, Any]:
    if not review_on:
        raise InvalidInput("请填写复查日期", field="review_on")
    try:
        review = review_on if isinstance(review_on, date) else date.fromisoformat(str(review_on))
    except ValueError:
        raise InvalidInput("复查日期格式应为 YYYY-MM-DD", field="review_on") from None
    if review <= to_local(ctx.now).date():
        raise InvalidInput("复查日期应晚于今天", field="review_on")
    case = ctx.case
    # The handling clock stops while a case is suspended: keep what was left of it.
    remaining = None
    if case.status == CaseStatus.accepted and case.handle_due_at is not None:
        remaining = round(ctx.calendar.working_hours_between(ctx.now, case.handle_due_at), 2)
    case.review_on = review
    # The sweep raises the case when its review day's office hours open.
    opens = ctx.calendar.office_hours.periods[0][0]
    case.due_at = datetime.combine(review, opens, tzinfo=SHANGHAI)
    return {"review_on": review.isoformat(), "remaining_hours": remaining}


def _resume(ctx: ActionContext) -> dict[str, Any]:
    case = ctx.case
    remaining = returns.remaining_hours_at_suspension(ctx.session, case)
    if remaining is not None:
        case.handle_due_at = ctx.calendar.due_after_working_hours(ctx.now, remaining)
    case.review_on = None
    case.due_at = case.handle_due_at
    iso = case.handle_due_at.isoformat() if case.handle_due_at else None
    return {"handle_due_at": iso}


def _reopen(ctx: ActionContext) -> None:
    case = ctx.case
    case.closed_at = None
    case.not_filed_reason = None
    case.close_outcome = None
    case.due_at = None


_HANDLERS: dict[CaseAction, Callable[..., dict[str, Any] | None]] = {
    A.file: _file,
    A.not_file: _not_file,
    A.dispatch: _dispatch,
    A.accept: _accept,
    A.return_: _return,
    A.reply: _reply,
    A.callback: _callback,
    A.close: _close,
    A.rework: _rework,
    A.request_extension: _request_extension,
    A.approve_extension: lambda ctx: _decide_extension(ctx, approve=True),
    A.refuse_extension: lambda ctx: _decide_extension(ctx, approve=False),
    A.urge: _urge,
    A.suspend: _suspend,
    A.resume: _resume,
    A.reopen: _reopen,
    A.approve_return: returns.approve,
    A.refuse_return: lambda ctx: returns.refuse(ctx, _category(ctx)),
    A.set_grade: supervision_actions.set_grade,
    A.flag: supervision_actions.flag,
}


def get_case(session: Session, number: str) -> Case:
    from sqlalchemy import select

    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound(f"案件 {number} 不存在")
    return case


def status_of(case: Case) -> CaseStatus:
    return CaseStatus(case.status)
