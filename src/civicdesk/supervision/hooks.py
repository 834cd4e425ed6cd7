"""What follows a person's action on a case, in the same transaction (called by
``cases.service.perform`` after the action's history row is written):

- a 催办/督办 by hand becomes a notice the unit sees, with its messages;
- a dispatch (or a refused return) tells the unit by the outbox;
- a "not solved" callback sends the case back for rework, as ``feedback.yaml`` says;
- the rules that do not wait for a deadline (a leader's flag, many complaints) run at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from civicdesk.config.policies import supervision_policy
from civicdesk.core.workflow import CaseAction
from civicdesk.notifications import service as outbox
from civicdesk.supervision.models import NoticeKind
from civicdesk.supervision.notices import UnitDirectory, issue_manual
from civicdesk.supervision.sweep import evaluate_now

if TYPE_CHECKING:
    from civicdesk.cases.service import ActionContext

A = CaseAction
_MANUAL = {A.urge: NoticeKind.urge, A.supervise: NoticeKind.supervise}
_EVALUATE_AFTER = frozenset({A.dispatch, A.accept, A.resume, A.flag, A.refuse_return, A.set_grade})


def after_action(ctx: ActionContext, action: CaseAction, data: dict[str, Any]) -> None:
    if ctx.actor is None:
        return
    if action in _MANUAL:
        _manual_notice(ctx, _MANUAL[action])
    if action in (A.dispatch, A.refuse_return):
        _tell_unit(ctx)
    if action == A.callback and ctx.case.solved is False:
        from civicdesk.feedback.service import after_not_solved

        after_not_solved(ctx)
    if action in _EVALUATE_AFTER:
        evaluate_now(ctx.session, ctx.case, now=ctx.now, calendar=ctx.calendar)


def _manual_notice(ctx: ActionContext, kind: NoticeKind) -> None:
    assert ctx.actor is not None
    if kind == NoticeKind.supervise:
        ctx.case.supervise_count += 1
    units = UnitDirectory(ctx.session, supervision_policy(ctx.session))
    issue_manual(
        ctx.session, ctx.case, kind, actor=ctx.actor, now=ctx.now, note=ctx.note, units=units
    )


def _tell_unit(ctx: ActionContext) -> None:
    case = ctx.case
    units = UnitDirectory(ctx.session, supervision_policy(ctx.session))
    recipient = units.recipient(case.unit_id)
    if recipient is None or case.accept_due_at is None:
        return
    from civicdesk.clock import to_local

    due = f"{to_local(case.accept_due_at):%m月%d日 %H:%M}"
    body = f"【派遣】{case.number}「{case.title}」已派至本单位，请于{due}前签收。"
    outbox.enqueue(
        ctx.session, [outbox.Message(recipient, f"派遣 {case.number}", body, case.id)], now=ctx.now
    )
