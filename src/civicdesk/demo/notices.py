"""The supervision notices of the demo history, made while its events are replayed: each
dispatcher's urge (催办) and leader's supervision (督办) becomes the notice the unit saw in its
inbox (``supervision.notices.issue_manual``), and each 超期 and 升级督办 the sweep issued while a
step was late (``lifecycle.while_late``) becomes the sweep's notice, under the sweep's own
(case, rule, occasion) key — so the worker, run on the demo database, never issues them again.
Texts follow ``supervision.notices``; older notices are delivered and read."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.core.workflow import CaseAction as A
from civicdesk.core.workflow import CaseStatus as S
from civicdesk.demo.calendar_fast import DAY, HOUR, MINUTE, OFFSET
from civicdesk.org.models import Unit
from civicdesk.supervision.models import Notice

ACTIONS = frozenset({A.urge.value, A.supervise.value, A.mark_overdue.value, A.escalate.value})
_KIND = {
    A.urge: "urge",
    A.supervise: "supervise",
    A.mark_overdue: "overdue",
    A.escalate: "escalate",
}
_STEP = {S.dispatched.value: "签收", S.accepted.value: "处置"}
_RULE_NAME = {"escalate-district": "超期1个工作日升级区级督办"}
CENTRE = "centre-96310"


def local_text(ts: int) -> str:
    return time.strftime("%m月%d日 %H:%M", time.gmtime(ts + OFFSET))


@dataclass
class NoticeRows:
    """Notice rows with their ids, and the unit chain escalations go up."""

    next_id: int
    now: int
    parent: dict[int, int | None]
    names: dict[int, str]
    centre: int | None
    readers: dict[int, int]  # unit → its on-duty login, who reads the notice
    rows: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, session: Session, now: int, readers: dict[int, int]) -> NoticeRows:
        units = list(session.scalars(select(Unit)))
        centre = next((u.id for u in units if u.code == CENTRE), None)
        first = (session.scalar(select(func.max(Notice.id))) or 0) + 1
        return cls(
            first,
            now,
            {u.id: u.parent_id for u in units},
            {u.id: u.name for u in units},
            centre,
            readers,
        )

    def add(
        self,
        *,
        case_id: int,
        subject: str,
        action: str,
        ts: int,
        status: str,
        unit_id: int | None,
        due_at: int | None,
        actor_id: int | None,
        note: str | None,
        data: dict[str, Any],
    ) -> tuple[dict[str, Any], int | None]:
        """The notice of one event; returns the event's data and unit as the sweep or
        ``cases.service`` records them (an escalation's history row names the unit above)."""
        kind = _KIND[A(action)]
        recipient, rule, occasion, level = unit_id, "manual", None, 0
        step = _STEP.get(status, "办理")
        if kind == "urge":
            text = f"【催办】{subject}：{note or '请尽快办理并反馈结果'}"
        elif kind == "supervise":
            text = f"【督办】{subject}：{note or '请尽快办理并反馈结果'}"
        else:
            rule, occasion, due_at = data["rule"], data["due"], data["due"]
            if kind == "overdue":
                text = f"{subject}已超过{step}期限（{local_text(data['due'])}），请尽快办理。"
            else:
                level = int(data["level"])
                recipient = self.parent.get(unit_id) if unit_id is not None else None
                recipient = recipient or self.centre
                unit = self.names.get(unit_id, "受理中心") if unit_id is not None else "受理中心"
                name = _RULE_NAME.get(rule, rule)
                text = f"【升级督办】{unit}承办的{subject}{step}已超期（{name}），请督促办理。"
        notice_id = self.next_id
        self.next_id += 1
        read = ts + (2 * HOUR if kind == "escalate" else 30 * MINUTE)
        old = ts < self.now - DAY
        self.rows.append(
            {
                "id": notice_id,
                "case_id": case_id,
                "kind": kind,
                "rule": rule,
                "occasion_at": occasion,
                "unit_id": recipient,
                "handling_unit_id": unit_id,
                "level": level,
                "due_at": due_at,
                "issued_at": ts,
                "issued_by_id": actor_id if rule == "manual" else None,
                "text": text,
                "delivered_at": ts + MINUTE if ts + MINUTE < self.now else None,
                "read_at": read if old else None,
                "read_by_id": self.readers.get(recipient) if old and recipient else None,
            }
        )
        if rule == "manual":
            return data, unit_id
        recorded = {"rule": rule, "notice": notice_id, **({"level": level} if level else {})}
        return recorded, recipient
