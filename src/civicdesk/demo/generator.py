"""A deterministic, realistic history of complaints and cases for the demo.

The generated history covers ``year - 1`` (whole) and ``year`` up to ``today`` and reproduces
the source's January–July figures exactly (at scale 1.0): 32,971 → 16,676 complaints, hot-spot
complaints 20,345 → 13,021, repeat complaints 6,483 → 2,460. Repeats are *planted* on purpose —
same place, same category, later — and written to ``demo_planted_repeats`` as the truth that
repeat detection is scored against; everything else is kept apart by place, so the truth is
honest.

How: each day gets an exact quota (complaints, repeats, hot-spot complaints) apportioned from
the period targets (``volumes``); new complaints open issues at fresh places, repeats pick open
cases (the complaint joins) or recently closed ones (the problem came back: a new case)
(``planning``, ``repeats``). Each case is walked through the lifecycle of ``core.workflow``
with deadlines from the working-day calendar (``lifecycle``, ``calendar_fast``); whatever lies
after ``today`` is cut off, so recent cases stay open. Everything is planned in memory with one
seeded random stream and integer epoch seconds (never the wall clock), then made into rows
(``rendering``) and bulk inserted (``writing``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from civicdesk.config.service import work_calendar
from civicdesk.core.workflow import CaseStatus as S
from civicdesk.demo.calendar_fast import FastCalendar, as_datetime, date_of, day_number, start_of
from civicdesk.demo.draws import FastRandom
from civicdesk.demo.inspections import inspection_rows, write_inspections
from civicdesk.demo.logins import DEMO_PASSWORD, Actors, demo_users
from civicdesk.demo.planned import PlannedComplaint
from civicdesk.demo.planning import Planner, Progress
from civicdesk.demo.reference import Reference, load_reference
from civicdesk.demo.rendering import Rows, render
from civicdesk.demo.shape import REPEAT_KINDS
from civicdesk.demo.volumes import PeriodFigures, Span, Volumes, published_targets
from civicdesk.demo.writing import write_rows

__all__ = [
    "DEMO_PASSWORD",
    "HistoryStats",
    "PeriodFigures",
    "Progress",
    "generate_history",
    "published_targets",
]

OPEN_STATUSES = frozenset(
    s.value
    for s in (S.received, S.filed, S.dispatched, S.returned, S.accepted, S.suspended, S.handled)
)


@dataclass
class HistoryStats:
    seed: int
    year: int
    today: date
    scale: float
    first_day: date
    last_day: date
    complaints: int = 0
    cases: int = 0
    events: int = 0
    planted_repeats: int = 0
    repeats_by_kind: dict[str, int] = field(default_factory=dict)
    # January–July of year - 1 and of year, keyed by year.
    jan_jul: dict[int, PeriodFigures] = field(default_factory=dict)
    open_cases: int = 0
    overdue_cases: int = 0
    not_filed: int = 0
    logins: list[str] = field(default_factory=list)
    # On-duty logins of the receiving units, each named after its unit code.
    unit_logins: int = 0
    inspections: int = 0  # 街面保序检查 rows (demo/inspections.py)


def generate_history(
    session: Session,
    *,
    seed: int = 2011,
    year: int,
    today: date,
    scale: float = 1.0,
    progress: Progress | None = None,
) -> HistoryStats:
    """Generate and insert the demo history (flushes, never commits)."""
    if not 0 < scale <= 1.0:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    if today <= date(year, 1, 1):
        raise ValueError(f"today ({today}) must be after 1 January {year}")
    span = Span.of(seed, year, today, scale)
    tick = progress or _no_progress
    rng = FastRandom(seed)
    calendar = FastCalendar(work_calendar(session, assume_weekdays_for_unknown=True), span.first)
    reference = load_reference(session, rng)
    actors = demo_users(session, reference, now=_as_datetime(start_of(span.first)))
    planner = _plan(span, reference, rng, calendar, tick)
    complaints = sorted(planner.complaints, key=lambda c: c.ts)
    cases = sorted(planner.cases, key=lambda c: c.complaints[0].ts)
    rows = render(
        session,
        rng,
        complaints=complaints,
        cases=cases,
        now=span.now,
        prefix=reference.prefix,
        actors=actors,
    )
    total = (span.end - span.first) + len(rows.cases) + len(rows.complaints) + len(rows.events)
    total += len(rows.notices)
    write_rows(session, rows, lambda advance, label: tick(advance, total, label))
    # 街面保序检查 of every street over the same days (its own random stream).
    checks = inspection_rows(
        session,
        calendar,
        seed=seed,
        first=date_of(span.first),
        last=date_of(span.end - 1),
        recorded_at=_as_datetime(span.now),
    )
    stats = _stats(span, complaints, rows, actors)
    stats.inspections = write_inspections(session, checks)
    return stats


def _plan(
    span: Span, reference: Reference, rng: FastRandom, calendar: FastCalendar, tick: Progress
) -> Planner:
    """Every period day by day, then the hot-spot counts made exact."""
    volumes = Volumes(span, calendar)
    periods = volumes.periods()
    estimate = (span.end - span.first) + sum(p.total for p in periods) * 9
    planner = Planner(span, reference, rng, calendar, volumes, tick)
    for period in periods:
        planner.plan_period(period, estimate)
    for period in periods:
        planner.fix_hotspot(period)
    return planner


def _no_progress(advance: int, total: int, description: str) -> None:
    pass


def _as_datetime(ts: int) -> datetime:
    value = as_datetime(ts)
    assert value is not None
    return value


def _stats(
    span: Span, complaints: list[PlannedComplaint], rows: Rows, actors: Actors
) -> HistoryStats:
    stats = HistoryStats(
        span.seed,
        span.year,
        span.today,
        span.scale,
        date_of(span.first),
        date_of(span.end - 1),
        complaints=len(complaints),
        cases=len(rows.cases),
        events=len(rows.events),
        planted_repeats=len(rows.planted),
        logins=list(actors.logins),
        unit_logins=actors.unit_logins,
    )
    planted = rows.planted
    stats.repeats_by_kind = {k: sum(1 for p in planted if p["kind"] == k) for k in REPEAT_KINDS}
    for year in (span.year - 1, span.year):
        lo, hi = start_of(day_number(date(year, 1, 1))), start_of(day_number(date(year, 8, 1)))
        chosen = [c for c in complaints if lo <= c.ts < hi]
        stats.jan_jul[year] = PeriodFigures(
            len(chosen),
            sum(1 for c in chosen if c.issue.category.hot),
            sum(1 for c in chosen if c.kind),
        )
    now = span.now
    stats.open_cases = sum(1 for r in rows.cases if r["status"] in OPEN_STATUSES)
    stats.overdue_cases = sum(
        1 for r in rows.cases if r["due_at"] is not None and r["due_at"] < now
    )
    stats.not_filed = sum(1 for r in rows.cases if r["status"] == S.not_filed.value)
    return stats
