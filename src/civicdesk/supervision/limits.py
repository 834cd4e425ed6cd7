"""The time limits of a case's steps (签收 accept, 处置 handle, 答复 reply): the category's own
(``categories.yaml``), overridden by its supervision grade's (``supervision.yaml``). The centre's
own steps (立案 file, 派遣 dispatch) have no limit in ``categories.yaml``: theirs come from the
``centre_limits`` of ``supervision.yaml`` (per category, or ``default``), overridden by a grade's,
and are None when nothing sets one (no deadline is stored then).

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
    file: Duration | None = None
    dispatch: Duration | None = None

    def due(self, step: str, calendar: WorkCalendar, start: datetime) -> datetime:
        duration: Duration = getattr(self, step)
        return duration.after(calendar, start)

    def due_or_none(self, step: str, calendar: WorkCalendar, start: datetime) -> datetime | None:
        """``due`` for a step whose limit may be unset (file, dispatch): None then."""
        duration: Duration | None = getattr(self, step)
        return duration.after(calendar, start) if duration is not None else None


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
    policy = supervision_policy(session)
    codes = category_codes(session, category)
    chosen = policy.grade_limits(codes, grade)
    return StepLimits(
        accept=chosen.get("accept", Duration(float(category.accept_hours), "h")),
        handle=chosen.get("handle", Duration(float(category.handle_days), "d")),
        reply=chosen.get("reply", Duration(float(category.reply_days), "d")),
        file=chosen.get("file") or policy.centre_limit(codes, "file"),
        dispatch=chosen.get("dispatch") or policy.centre_limit(codes, "dispatch"),
    )


def centre_limit(
    session: Session, category: Category | None, grade: str | None, step: str
) -> Duration | None:
    """The 立案 (``step="file"``) or 派遣 (``"dispatch"``) limit of a case, also for a case not
    yet classified (``category`` None: the ``default`` entry)."""
    if category is not None:
        return getattr(for_grade(session, category, grade), step)
    return supervision_policy(session).centre_limit([], step)
