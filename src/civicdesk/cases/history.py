"""The append-only case history: one row per action, written in the action's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.cases.models import Case, CaseEvent


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
