"""The sweep as a task: find the candidates, then process them in batches, one short transaction
per batch (the locks are held only while a batch's notices are written). Run by
``civicdesk supervision sweep`` and by the worker; safe to run twice and by two workers at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from civicdesk.config.policies import supervision_policy
from civicdesk.config.service import work_calendar
from civicdesk.db import begin_for_writing
from civicdesk.supervision import repository, rules
from civicdesk.supervision.sweep import SweepContext, SweepStats, process

BATCH = 500


def _min_complaints(session: Session) -> int | None:
    counts = [
        r.when.complaints_at_least
        for r in supervision_policy(session).rules
        if r.when.complaints_at_least is not None
    ]
    return min(counts) if counts else None


def run_sweep(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    assume_weekdays: bool = False,
    batch: int = BATCH,
    on_batch: Callable[[SweepStats], None] | None = None,
) -> SweepStats:
    """One full sweep at ``now``; the totals."""
    with sessions() as session:
        calendar = work_calendar(session, assume_weekdays_for_unknown=assume_weekdays)
        bounds = rules.warning_bounds(supervision_policy(session), calendar, now)
        ids = repository.sweep_candidates(
            session, now=now, bounds=bounds, min_complaints=_min_complaints(session)
        )
    total = SweepStats()
    for start in range(0, len(ids), batch):
        with sessions() as session:
            begin_for_writing(session)
            ctx = SweepContext.build(session, now=now, calendar=calendar)
            stats = process(session, ids[start : start + batch], ctx)
            session.commit()
        total.add(stats)
        if on_batch is not None:
            on_batch(stats)
    return total
