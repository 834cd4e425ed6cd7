"""The deadlines of the centre's own steps: 立案 (file) from when a case opens, 派遣 (dispatch)
from when it is filed. Stored when the work arises, like the units' accept/handle deadlines,
never recomputed on read; the assessment compares them with ``filed_at``/``dispatched_at``
(按时立案率, 按期派遣率).

The limits are those of ``supervision.yaml`` (``centre_limits`` per category or ``default``,
overridden by a grade's ``limits``). Without a configured limit no deadline is stored, and the
assessment leaves the case out of those two rates instead of guessing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicdesk.cases.models import Case
from civicdesk.core.calendar import CalendarUnknownYear, WorkCalendar
from civicdesk.db import session_memo
from civicdesk.supervision import limits as time_limits
from civicdesk.supervision.policy import Duration
from civicdesk.taxonomy.models import Category


def set_file_due(
    session: Session,
    case: Case,
    category: Category | None,
    *,
    calendar: WorkCalendar | None = None,
) -> None:
    """Store the filing deadline of a case just opened (from ``opened_at``).

    Intake must never fail for a deadline: a year whose holidays are not loaded leaves the
    deadline unset (the case is then out of 按时立案率, as an import without deadlines is)."""
    limit = time_limits.centre_limit(session, category, case.grade, "file")
    if limit is None:
        case.file_due_at = None
        return
    if calendar is None:
        from civicdesk.config.service import work_calendar

        calendar = work_calendar(session)
    try:
        case.file_due_at = limit.after(calendar, case.opened_at)
    except CalendarUnknownYear:
        case.file_due_at = None


def dispatch_due(
    session: Session, category: Category, grade: str | None, calendar: WorkCalendar, now: datetime
) -> datetime | None:
    """The dispatch deadline of a case filed (or handed back to the centre) at ``now``."""
    return time_limits.for_grade(session, category, grade).due_or_none("dispatch", calendar, now)


class FileDeadlines:
    """``set_file_due`` for many cases at once (the bulk import): the calendar read once, each
    category's limit once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._calendar: WorkCalendar | None = None
        self._limits: dict[int | None, Duration | None] = {}

    @classmethod
    def of(cls, session: Session) -> FileDeadlines:
        """A new instance, or the session's own when it reuses look-ups (``db.session_memo``:
        the inbox drain reads the calendar and the limits once, not once per batch)."""
        return session_memo(session, "civicdesk_file_deadlines", lambda: cls(session))

    def due(self, category_id: int | None, opened_at: datetime) -> datetime | None:
        if category_id not in self._limits:
            category = self.session.get(Category, category_id) if category_id else None
            self._limits[category_id] = time_limits.centre_limit(
                self.session, category, None, "file"
            )
        limit = self._limits[category_id]
        if limit is None:
            return None
        if self._calendar is None:
            from civicdesk.config.service import work_calendar

            self._calendar = work_calendar(self.session)
        try:
            return limit.after(self._calendar, opened_at)
        except CalendarUnknownYear:
            return None
