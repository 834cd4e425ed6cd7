"""The case lifecycle as data: statuses, named actions, and who may take each.

Refines DESIGN.md's guide: received 受理 → filed 立案 (or not_filed 不予立案) → dispatched 派遣 →
accepted 签收 (or returned 退回 → re-dispatched) → handled 处置 → closed 结案 (after verification
核查 and the callback 回访), or sent back for rework 返工. Side actions keep the status.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from civicdesk.errors import IllegalTransition, PermissionDenied


class CaseStatus(enum.StrEnum):
    received = "received"  # 受理: recorded, not yet judged
    not_filed = "not_filed"  # 不予立案: outside remit or not actionable (terminal, reopenable)
    filed = "filed"  # 立案: accepted as actionable, waiting for dispatch
    dispatched = "dispatched"  # 派遣: sent to a unit, waiting for 签收
    returned = "returned"  # 退回: the unit says it is not theirs; back with the dispatcher
    accepted = "accepted"  # 签收: the unit is handling it
    suspended = "suspended"  # 挂账: long-term problem, parked with a review date
    handled = "handled"  # 处置: the unit replied; the centre verifies and calls back
    closed = "closed"  # 结案
    merged = "merged"  # joined into another case (terminal)


OPEN_STATUSES = frozenset(
    {
        CaseStatus.received,
        CaseStatus.filed,
        CaseStatus.dispatched,
        CaseStatus.returned,
        CaseStatus.accepted,
        CaseStatus.suspended,
        CaseStatus.handled,
    }
)
# Statuses in which a unit owes a step on a clock (签收 or 处置): overdue applies to these.
CLOCKED_STATUSES = frozenset({CaseStatus.dispatched, CaseStatus.accepted})


class CaseAction(enum.StrEnum):
    file = "file"  # 立案
    not_file = "not_file"  # 不予立案
    dispatch = "dispatch"  # 派遣 (also re-dispatch after 退回)
    accept = "accept"  # 签收
    return_ = "return"  # 退回
    reply = "reply"  # 处置答复
    callback = "callback"  # 回访 (records satisfaction; status unchanged)
    close = "close"  # 核查结案
    rework = "rework"  # 返工
    request_extension = "request_extension"  # 延期申请
    approve_extension = "approve_extension"
    refuse_extension = "refuse_extension"
    urge = "urge"  # 催办
    supervise = "supervise"  # 督办
    suspend = "suspend"  # 挂账
    resume = "resume"
    reopen = "reopen"
    note = "note"  # internal note, any open status
    attach = "attach"  # a further complaint joins the case (any open status)
    receive = "receive"  # the case was opened by a complaint (history only, never a transition)
    approve_return = "approve_return"  # 同意退回: back to filed, to be dispatched elsewhere
    refuse_return = "refuse_return"  # 不同意退回: back to the unit that returned it
    set_grade = "set_grade"  # 设定督办等级 (分级督办)
    flag = "flag"  # 标注关注与难度: media/leader attention, departments, long-standing…
    # Issued by the supervision sweep (the platform itself, never a person):
    warn = "warn"  # 临期预警
    mark_overdue = "mark_overdue"  # 超期
    escalate = "escalate"  # 升级督办: up the unit chain
    review_due = "review_due"  # 挂账复查到期
    report_due = "report_due"  # 进展报告提醒 (a graded case's reporting cadence)


S = CaseStatus
A = CaseAction

# (action, from status) → to status. Anything not listed is refused.
TRANSITIONS: dict[tuple[CaseAction, CaseStatus], CaseStatus] = {
    (A.file, S.received): S.filed,
    (A.not_file, S.received): S.not_filed,
    (A.dispatch, S.filed): S.dispatched,
    (A.dispatch, S.returned): S.dispatched,
    (A.accept, S.dispatched): S.accepted,
    (A.return_, S.dispatched): S.returned,
    (A.return_, S.accepted): S.returned,
    (A.reply, S.accepted): S.handled,
    (A.callback, S.handled): S.handled,
    (A.close, S.handled): S.closed,
    (A.rework, S.handled): S.accepted,
    (A.request_extension, S.accepted): S.accepted,
    (A.approve_extension, S.accepted): S.accepted,
    (A.refuse_extension, S.accepted): S.accepted,
    (A.urge, S.dispatched): S.dispatched,
    (A.urge, S.accepted): S.accepted,
    (A.supervise, S.dispatched): S.dispatched,
    (A.supervise, S.accepted): S.accepted,
    (A.supervise, S.suspended): S.suspended,
    (A.suspend, S.accepted): S.suspended,
    (A.resume, S.suspended): S.accepted,
    (A.reopen, S.closed): S.filed,
    (A.reopen, S.not_filed): S.received,
    (A.approve_return, S.returned): S.filed,
    # The unit must acknowledge the case again; its handling limit keeps running.
    (A.refuse_return, S.returned): S.dispatched,
    (A.suspend, S.suspended): S.suspended,  # a new review date
    (A.escalate, S.dispatched): S.dispatched,
    (A.escalate, S.accepted): S.accepted,
    (A.review_due, S.suspended): S.suspended,
}
for _status in OPEN_STATUSES:
    TRANSITIONS[(A.note, _status)] = _status
    TRANSITIONS[(A.attach, _status)] = _status
    TRANSITIONS[(A.set_grade, _status)] = _status
    TRANSITIONS[(A.flag, _status)] = _status
# The clocks the sweep watches: 签收 (dispatched), 处置 (accepted), 答复 (handled).
for _status in (S.dispatched, S.accepted, S.handled):
    TRANSITIONS[(A.warn, _status)] = _status
    TRANSITIONS[(A.mark_overdue, _status)] = _status
for _status in (S.dispatched, S.accepted, S.suspended):
    TRANSITIONS[(A.report_due, _status)] = _status

R_OPERATOR, R_DISPATCHER, R_UNIT, R_LEADER, R_ADMIN = (
    "operator",
    "dispatcher",
    "unit_staff",
    "leader",
    "admin",
)
_CENTRE = frozenset({R_DISPATCHER, R_ADMIN})

# Who may take each action. Unit staff act only on cases of their own unit (checked in service).
ACTION_ROLES: dict[CaseAction, frozenset[str]] = {
    A.file: frozenset({R_OPERATOR}) | _CENTRE,
    A.not_file: frozenset({R_OPERATOR}) | _CENTRE,
    A.dispatch: _CENTRE,
    A.accept: frozenset({R_UNIT, R_ADMIN}),
    A.return_: frozenset({R_UNIT, R_ADMIN}),
    A.reply: frozenset({R_UNIT, R_ADMIN}),
    A.callback: frozenset({R_OPERATOR}) | _CENTRE,
    A.close: _CENTRE,
    A.rework: _CENTRE,
    A.request_extension: frozenset({R_UNIT, R_ADMIN}),
    A.approve_extension: _CENTRE,
    A.refuse_extension: _CENTRE,
    A.urge: _CENTRE,
    A.supervise: frozenset({R_LEADER}) | _CENTRE,
    A.suspend: _CENTRE,
    A.resume: _CENTRE,
    A.reopen: _CENTRE,
    A.note: frozenset({R_OPERATOR, R_DISPATCHER, R_UNIT, R_LEADER, R_ADMIN}),
    A.attach: frozenset({R_OPERATOR}) | _CENTRE,
    A.receive: frozenset(),
    A.approve_return: _CENTRE,
    A.refuse_return: _CENTRE,
    A.set_grade: frozenset({R_LEADER}) | _CENTRE,
    A.flag: frozenset({R_LEADER}) | _CENTRE,
    A.warn: frozenset(),
    A.mark_overdue: frozenset(),
    A.escalate: frozenset(),
    A.review_due: frozenset(),
    A.report_due: frozenset(),
}
# Actions only the platform takes (the sweep, the callback rule): no role may take them by hand.
SYSTEM_ACTIONS = frozenset({A.warn, A.mark_overdue, A.escalate, A.review_due, A.report_due})
# Unit staff's own actions, the rest of the unit-facing actions are the centre's.
UNIT_ACTIONS = frozenset({A.accept, A.return_, A.reply, A.request_extension})


@dataclass(frozen=True)
class ActionLabel:
    zh: str
    en: str


LABELS: dict[CaseAction, ActionLabel] = {
    A.file: ActionLabel("立案", "File"),
    A.not_file: ActionLabel("不予立案", "Do not file"),
    A.dispatch: ActionLabel("派遣", "Dispatch"),
    A.accept: ActionLabel("签收", "Accept"),
    A.return_: ActionLabel("退回", "Return"),
    A.reply: ActionLabel("处置答复", "Reply"),
    A.callback: ActionLabel("回访", "Callback"),
    A.close: ActionLabel("核查结案", "Verify and close"),
    A.rework: ActionLabel("返工", "Rework"),
    A.request_extension: ActionLabel("申请延期", "Request extension"),
    A.approve_extension: ActionLabel("批准延期", "Approve extension"),
    A.refuse_extension: ActionLabel("不批准延期", "Refuse extension"),
    A.urge: ActionLabel("催办", "Urge"),
    A.supervise: ActionLabel("督办", "Supervise"),
    A.suspend: ActionLabel("挂账", "Suspend"),
    A.resume: ActionLabel("恢复办理", "Resume"),
    A.reopen: ActionLabel("重新开启", "Reopen"),
    A.note: ActionLabel("备注", "Note"),
    A.attach: ActionLabel("并入投诉", "Attach complaint"),
    A.receive: ActionLabel("受理", "Received"),
    A.approve_return: ActionLabel("同意退回", "Approve return"),
    A.refuse_return: ActionLabel("不同意退回", "Refuse return"),
    A.set_grade: ActionLabel("设定督办等级", "Set supervision grade"),
    A.flag: ActionLabel("标注关注与难度", "Flag attention and difficulty"),
    A.warn: ActionLabel("临期预警", "Due soon"),
    A.mark_overdue: ActionLabel("超期", "Overdue"),
    A.escalate: ActionLabel("升级督办", "Escalate"),
    A.review_due: ActionLabel("挂账复查到期", "Suspension review due"),
    A.report_due: ActionLabel("进展报告提醒", "Progress report due"),
}

STATUS_LABELS: dict[CaseStatus, ActionLabel] = {
    S.received: ActionLabel("已受理", "Received"),
    S.not_filed: ActionLabel("不予立案", "Not filed"),
    S.filed: ActionLabel("已立案", "Filed"),
    S.dispatched: ActionLabel("已派遣", "Dispatched"),
    S.returned: ActionLabel("已退回", "Returned"),
    S.accepted: ActionLabel("处置中", "In hand"),
    S.suspended: ActionLabel("挂账", "Suspended"),
    S.handled: ActionLabel("待核查", "Awaiting verification"),
    S.closed: ActionLabel("已结案", "Closed"),
    S.merged: ActionLabel("已合并", "Merged"),
}

# Actions that need a reason written down (why is part of every history row; these insist).
REASON_REQUIRED = frozenset(
    {
        A.not_file,
        A.return_,
        A.rework,
        A.request_extension,
        A.refuse_extension,
        A.suspend,
        A.reopen,
        A.refuse_return,
    }
)

_BEFORE_REPLY = frozenset({S.received, S.filed, S.dispatched, S.returned, S.accepted, S.suspended})
_ALL = frozenset(CaseStatus)
# Why an action is refused in a status, where the bare "cannot" would leave the user guessing.
REFUSAL_HINTS: dict[CaseAction, tuple[frozenset[CaseStatus], str]] = {
    A.callback: (_BEFORE_REPLY, "案件尚未答复，不能回访"),
    A.close: (_BEFORE_REPLY, "案件尚未答复，不能核查结案"),
    A.request_extension: (_ALL, "只有已签收、正在处置的案件可以申请延期"),
    A.return_: (_ALL, "只有已派遣或已签收的案件可以退回"),
}


def next_status(status: str, action: CaseAction) -> CaseStatus:
    """The status after ``action``; raises IllegalTransition when the table has no such move."""
    try:
        return TRANSITIONS[(action, CaseStatus(status))]
    except (KeyError, ValueError):
        label = LABELS[action].zh
        state = STATUS_LABELS.get(CaseStatus(status), ActionLabel(status, status)).zh
        where, hint = REFUSAL_HINTS.get(action, (frozenset(), ""))
        suffix = f"：{hint}" if status in where else ""
        raise IllegalTransition(f"案件状态为“{state}”，不能执行“{label}”{suffix}") from None


def check_role(role: str, action: CaseAction) -> None:
    if role not in ACTION_ROLES[action]:
        raise PermissionDenied(f"当前角色无权执行“{LABELS[action].zh}”")


# Actions taken through the case page's action forms (attach happens at intake).
PAGE_ACTIONS = tuple(
    a for a in CaseAction if a not in (A.attach, A.receive) and a not in SYSTEM_ACTIONS
)


def allowed_actions(status: str, role: str) -> list[CaseAction]:
    """Exactly the actions this role may take on a case in this status, in table order."""
    return [
        action
        for action in PAGE_ACTIONS
        if (action, CaseStatus(status)) in TRANSITIONS and role in ACTION_ROLES[action]
    ]


def statuses(values: Iterable[str]) -> list[CaseStatus]:
    return [CaseStatus(v) for v in values]
