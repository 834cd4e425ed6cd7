"""The append-only case history: one row per action, written in the action's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.db import copy_rows


def record(
    session: Session,
    case: Case,
    action: str,
    *,
    actor: User | None,
    at: datetime,
    from_status: str | None,
    note: str | None = None,
    unit_id: int | None = None,
    **data: Any,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        at=at,
        actor_id=actor.id if actor else None,
        action=action,
        from_status=from_status,
        to_status=case.status,
        note=note,
        unit_id=unit_id,
        data={k: v for k, v in data.items() if v is not None},
    )
    session.add(event)
    return event


def record_many(session: Session, events: list[dict[str, Any]]) -> None:
    """Append many rows at once (the supervision sweep: thousands of notices in one batch).
    Each dict has the columns of ``CaseEvent``; ``data`` drops its None values like ``record``.
    The caller has checked each action against the transition table, as ``record``'s callers do.
    """
    if not events:
        return
    rows = [
        {**e, "data": {k: v for k, v in (e.get("data") or {}).items() if v is not None}}
        for e in events
    ]
    copy_rows(session, CaseEvent.__table__, rows)
