"""The time limits of a case's steps (签收 accept, 处置 handle, 答复 reply): the category's own
(``categories.yaml``), overridden by its supervision grade's (``supervision.yaml``).

Read when work is assigned (dispatch, rework, a refused return, a grade change) and turned into
stored deadlines; never recomputed on read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from civicdesk.config.policies import supervision_policy
from civicdesk.core.calendar import WorkCalendar
from civicdesk.supervision.policy import Duration
from civicdesk.taxonomy.models import Category


@dataclass(frozen=True)
class StepLimits:
    accept: Duration
    handle: Duration
    reply: Duration

    def due(self, step: str, calendar: WorkCalendar, start: datetime) -> datetime:
        duration: Duration = getattr(self, step)
        return duration.after(calendar, start)


def category_codes(session: Session, category: Category) -> list[str]:
    """The category's code and its ancestors', most specific first."""
    codes: list[str] = []
    current: Category | None = category
    while current is not None and len(codes) < 16:
        codes.append(current.code)
        current = session.get(Category, current.parent_id) if current.parent_id else None
    return codes


def for_grade(session: Session, category: Category, grade: str | None) -> StepLimits:
    """The limits a case of ``category`` at ``grade`` gets (no grade: the category's)."""
    chosen = supervision_policy(session).grade_limits(category_codes(session, category), grade)
    return StepLimits(
        accept=chosen.get("accept", Duration(float(category.accept_hours), "h")),
        handle=chosen.get("handle", Duration(float(category.handle_days), "d")),
        reply=chosen.get("reply", Duration(float(category.reply_days), "d")),
    )
