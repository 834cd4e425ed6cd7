"""The supervision actions on a case, run by ``cases.service.perform`` like every other action
(role, scope, transition and history there): setting the grade (分级督办) and flagging public
attention and difficulty."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from civicdesk.cases.models import Case
from civicdesk.config.policies import supervision_policy
from civicdesk.core.workflow import CaseStatus
from civicdesk.errors import InvalidInput
from civicdesk.supervision import limits as time_limits
from civicdesk.supervision.marks import schedule_report
from civicdesk.supervision.models import Notice
from civicdesk.supervision.rules import STEP_OF_STATUS
from civicdesk.taxonomy.models import Category

if TYPE_CHECKING:
    from civicdesk.cases.service import ActionContext

_TRUE = {"1", "true", "yes", "on", "是"}
_FALSE = {"0", "false", "no", "off", "否"}
_DUE_COLUMN = {"accept": "accept_due_at", "handle": "handle_due_at", "reply": "reply_due_at"}


def set_grade(ctx: ActionContext, *, grade: str | None = None) -> dict[str, Any]:
    """Set or change the grade; the suggestion at that moment goes into the history with its
    reasons. A higher grade's tighter limit applies at once: the current step's deadline moves
    forward when the grade's limit, counted from now, ends earlier (it never moves back)."""
    from civicdesk.supervision.service import suggest

    policy = supervision_policy(ctx.session)
    if not policy.grades:
        raise InvalidInput("尚未配置督办等级（supervision.yaml）", field="grade")
    chosen = policy.grade(grade)
    if chosen is None:
        names = "、".join(f"{g.name}({g.code})" for g in policy.grades.values())
        raise InvalidInput(f"请选择督办等级：{names}", field="grade")
    case = ctx.case
    previous, case.grade, case.grade_set_at = case.grade, chosen.code, ctx.now
    suggestion = suggest(ctx.session, case, policy)
    cadence = policy.report_every(chosen.code)
    ctx.session.flush()
    first_report = cadence.after(ctx.calendar, ctx.now) if cadence else None
    schedule_report(ctx.session, case.id, first_report)
    level = policy.levels.get(chosen.level)
    return {
        "grade": chosen.code,
        "previous": previous,
        "level": level.name if level else chosen.level,
        "suggested": suggestion.grade,
        "score": suggestion.score,
        "reasons": [r.text for r in suggestion.reasons],
        "due_at": _tighten(ctx),
    }


def _tighten(ctx: ActionContext) -> str | None:
    case = ctx.case
    step = STEP_OF_STATUS.get(CaseStatus(case.status))
    category = ctx.session.get(Category, case.category_id) if case.category_id else None
    if step not in _DUE_COLUMN or category is None or case.due_at is None:
        return None
    limits = time_limits.for_grade(ctx.session, category, case.grade)
    due = limits.due(step, ctx.calendar, ctx.now)
    if due >= case.due_at:
        return None
    setattr(case, _DUE_COLUMN[step], due)
    if step == "accept" and case.handle_due_at is not None:
        case.handle_due_at = min(case.handle_due_at, limits.due("handle", ctx.calendar, ctx.now))
    case.due_at = due
    return due.isoformat()


def _flag_value(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise InvalidInput("请选择“是”或“否”", field=name)


def flag(
    ctx: ActionContext,
    *,
    media_attention: Any = None,
    leader_attention: Any = None,
    long_standing: Any = None,
    needs_demolition: Any = None,
    departments: Any = None,
) -> dict[str, Any]:
    """Record public attention and difficulty. Turning the leader's flag on is a leader's
    instruction (领导批示): the leader-flag rule issues its 督办 at once."""
    case = ctx.case
    given = {
        "media_attention": media_attention,
        "leader_attention": leader_attention,
        "long_standing": long_standing,
        "needs_demolition": needs_demolition,
    }
    changed: dict[str, Any] = {}
    for name, raw in given.items():
        if raw is None or raw == "":
            continue
        value = _flag_value(name, raw)
        if getattr(case, name) != value:
            setattr(case, name, value)
            changed[name] = value
    if departments not in (None, ""):
        try:
            count = int(departments)
        except (TypeError, ValueError):
            count = 0
        if not 1 <= count <= 50:
            raise InvalidInput("涉及部门数应为1至50", field="departments")
        if count != case.departments_involved:
            case.departments_involved = changed["departments"] = count
    if not changed:
        raise InvalidInput("没有需要变更的标注")
    if changed.get("leader_attention"):
        case.leader_flagged_at = ctx.now
    return changed


def notified(case: Case, unit_id: int) -> bool:
    """Whether a notice about the case was addressed to the unit (an escalation, say)."""
    session = object_session(case)
    if session is None:
        return False
    found = session.scalar(
        select(Notice.id).where(Notice.case_id == case.id, Notice.unit_id == unit_id).limit(1)
    )
    return found is not None
