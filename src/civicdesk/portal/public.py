"""The public projection of a case: what anyone holding the case's link or number may read.

Only the steps listed in ``PUBLIC_STEPS`` appear, each in citizen-facing Chinese; no staff name,
no internal note, no other complainant's data, no reason written for staff. Free text that
reaches the public (the unit's reply, the citizen's own text) passes through ``redact``, which
masks phone numbers, ID-card numbers and e-mail addresses typed into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.core.workflow import CaseAction, CaseStatus

A = CaseAction
S = CaseStatus

_ID_CARD = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}-?)?(\d{3,4})(\d{4})(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def redact(text: str | None) -> str | None:
    """Mask personal numbers in free text: 139****5678, 330106********123X, e-mail hidden."""
    if not text:
        return text
    text = _EMAIL.sub("[邮箱已隐藏]", text)
    text = _ID_CARD.sub(lambda m: m[1] + "*" * 8 + m[3], text)
    text = _MOBILE.sub(lambda m: m[1] + "****" + m[3], text)
    return _LANDLINE.sub(lambda m: (m[1] or "") + "*" * len(m[2]) + m[3], text)


# The citizen-facing wording of each public step; "{unit}" is the handling unit's name.
PUBLIC_STEPS: dict[CaseAction, str] = {
    A.receive: "诉求已受理",
    A.file: "已立案，进入办理流程",
    A.not_file: "经审核不予立案（不属于城管职责范围或不具备立案条件），如有疑问请拨打96310",
    A.dispatch: "已派遣至{unit}办理",
    A.accept: "{unit}已签收，正在处置",
    A.reply: "{unit}已处置并答复",
    A.callback: "平台已回访",
    A.close: "平台核查后结案",
    A.rework: "核查未通过，已要求承办单位重新处置",
    A.approve_extension: "处置期限经批准延长",
    A.suspend: "问题需长期整治，已列入挂账跟踪",
    A.resume: "恢复处置",
    A.reopen: "案件重新开启办理",
    A.approve_return: "重新派遣中",
}


@dataclass(frozen=True)
class PublicStep:
    at: datetime
    text: str
    reply: str | None = None  # the unit's answer, on the latest reply only


def timeline(
    case: Case, events: list[CaseEvent], unit_names: dict[int, str], *, own_complaint_id: int
) -> list[PublicStep]:
    """The public steps of ``case``; ``own_complaint_id`` is the reader's complaint (its
    joining the case is shown as their receipt; other people's complaints are not shown)."""
    steps: list[PublicStep] = []
    last_reply = max((i for i, e in enumerate(events) if e.action == A.reply), default=-1)
    for index, event in enumerate(events):
        text = _step_text(event, unit_names, own_complaint_id)
        if text is None:
            continue
        reply = None
        if index == last_reply and case.status in (S.handled, S.closed):
            reply = redact(case.reply_text)
        steps.append(PublicStep(event.at, text, reply))
    if case.status == S.merged:
        steps.append(PublicStep(steps[-1].at if steps else case.opened_at, "已与同一问题合并办理"))
    return steps


def _step_text(event: CaseEvent, unit_names: dict[int, str], own: int) -> str | None:
    try:
        action = CaseAction(event.action)
    except ValueError:
        return None
    if action == A.attach:
        mine = (event.data or {}).get("complaint_id") == own
        return "您的诉求已受理，并入同一问题的案件一并办理" if mine else None
    if action == A.close and (event.data or {}).get("outcome") == "not_fixed":
        return "平台核查后结案（问题未能完全解决）"
    wording = PUBLIC_STEPS.get(action)
    if wording is None:
        return None
    unit = unit_names.get(event.unit_id) if event.unit_id else None
    return wording.format(unit=unit or "承办单位")


# Where the case stands, in the six stages the citizen is told about.
STAGES = ("受理", "立案", "派遣", "处置", "核查", "结案")
STAGE_OF: dict[CaseStatus, str] = {
    S.received: "受理",
    S.not_filed: "结案",
    S.filed: "立案",
    S.dispatched: "派遣",
    S.returned: "派遣",
    S.accepted: "处置",
    S.suspended: "处置",
    S.handled: "核查",
    S.closed: "结案",
    S.merged: "结案",
}
PUBLIC_STATUS: dict[CaseStatus, str] = {
    S.received: "已受理，等待审核",
    S.not_filed: "不予立案",
    S.filed: "已立案，等待派遣",
    S.dispatched: "已派遣，等待承办单位签收",
    S.returned: "重新派遣中",
    S.accepted: "承办单位处置中",
    S.suspended: "挂账跟踪中",
    S.handled: "已答复，平台核查回访中",
    S.closed: "已结案",
    S.merged: "已合并办理",
}
