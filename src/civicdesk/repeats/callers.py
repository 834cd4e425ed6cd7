"""A person's judgement of a frequent caller: possibly malicious (their repeats are kept apart
from the measures) or cleared. The machine only flags; it never judges."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.errors import InvalidInput, PermissionDenied
from civicdesk.repeats.models import CallerReview

REVIEWERS = frozenset({Role.dispatcher, Role.leader, Role.admin})
STATUSES = ("malicious", "cleared", "reset")


def review(
    session: Session,
    *,
    caller: str,
    status: str,
    note: str | None,
    actor: User,
    now: datetime,
) -> CallerReview | None:
    """Record the judgement (``reset`` removes it: flagged for review again)."""
    if actor.role not in REVIEWERS:
        raise PermissionDenied("当前角色无权认定投诉人")
    caller = caller.strip()
    if not caller or len(caller) > 100:
        raise InvalidInput("请指明投诉人（电话或姓名）", field="caller")
    if status not in STATUSES:
        raise InvalidInput("认定结果应为：疑似恶意、正常或撤销认定", field="status")
    existing = session.scalar(select(CallerReview).where(CallerReview.caller == caller))
    if status == "reset":
        if existing is not None:
            session.delete(existing)
        session.flush()
        return None
    if status == "malicious" and not (note or "").strip():
        raise InvalidInput("认定为疑似恶意投诉须写明理由", field="note")
    row = existing or CallerReview(caller=caller)
    row.status, row.note = status, (note or "").strip() or None
    row.decided_by_id, row.decided_at = actor.id, now
    session.add(row)
    session.flush()
    return row
