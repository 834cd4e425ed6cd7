"""Repeat measures for a period against the same period last year: by kind, area, unit,
category and month; the hard spots (热难点: places with the most repeats); frequent callers
flagged for review, and callers a person judged possibly malicious (kept apart).

Counted as in the summary report (``repeats.conditions``): confirmed links only, duplicates
merged, malicious callers' repeats apart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case
from civicdesk.clock import to_local
from civicdesk.intake.models import Complaint
from civicdesk.repeats import conditions
from civicdesk.repeats.models import CallerReview, RepeatLink
from civicdesk.repeats.scoring import REPEAT_KINDS
from civicdesk.reports.periods import Period

FREQUENT_CALLER = 5  # complaints in the period from one caller before they are flagged


@dataclass(frozen=True)
class Pair:
    current: int
    previous: int


@dataclass(frozen=True)
class HardSpot:
    place: str
    district_id: int | None
    repeats: int
    complaints: int
    latest_case: str | None  # the number of the latest case


@dataclass(frozen=True)
class Caller:
    caller: str
    complaints: int
    repeats: int
    review: str | None  # None: flagged for review; "malicious" | "cleared" once judged


@dataclass
class RepeatMeasures:
    period: Period
    baseline: Period
    total: Pair
    by_kind: dict[str, Pair] = field(default_factory=dict)
    by_district: dict[int | None, Pair] = field(default_factory=dict)
    by_unit: dict[int | None, Pair] = field(default_factory=dict)
    by_category: dict[int | None, Pair] = field(default_factory=dict)
    by_month: dict[str, Pair] = field(default_factory=dict)  # "01".."12" → this year, last year
    hard_spots: list[HardSpot] = field(default_factory=list)
    callers: list[Caller] = field(default_factory=list)
    malicious_kept_apart: int = 0
    suggested_waiting: int = 0


def repeat_measures(session: Session, *, start: date, end: date, spots: int = 15) -> RepeatMeasures:
    period = Period(start, end)
    baseline = period.same_period_last_year()
    current, previous = _links(session, period), _links(session, baseline)
    result = RepeatMeasures(period, baseline, Pair(len(current), len(previous)))
    for name, index in (("by_kind", 1), ("by_district", 2), ("by_unit", 3), ("by_category", 4)):
        now_count = Counter(row[index] for row in current)
        then_count = Counter(row[index] for row in previous)
        keys = sorted(set(now_count) | set(then_count), key=lambda k: -now_count[k])
        setattr(result, name, {k: Pair(now_count[k], then_count[k]) for k in keys})
    for kind in REPEAT_KINDS:
        result.by_kind.setdefault(kind, Pair(0, 0))
    months_now = Counter(to_local(row[0]).strftime("%m") for row in current)
    months_then = Counter(to_local(row[0]).strftime("%m") for row in previous)
    for month in sorted(set(months_now) | set(months_then)):
        result.by_month[month] = Pair(months_now[month], months_then[month])
    result.hard_spots = hard_spots(session, period, limit=spots)
    result.callers = frequent_callers(session, period)
    result.malicious_kept_apart = _malicious(session, period)
    result.suggested_waiting = _suggested(session, period)
    return result


def _bounds(period: Period) -> tuple[datetime, datetime]:
    return period.utc_bounds()


def _links(session: Session, period: Period) -> list[tuple]:  # type: ignore[type-arg]
    lower, upper = _bounds(period)
    query = (
        select(
            RepeatLink.received_at,
            RepeatLink.kind,
            Complaint.district_id,
            RepeatLink.unit_id,
            Complaint.category_id,
        )
        .join(Complaint, Complaint.id == RepeatLink.complaint_id)
        .where(
            RepeatLink.received_at >= lower,
            RepeatLink.received_at < upper,
            conditions.repeat(),
        )
    )
    return list(session.execute(query))


def hard_spots(session: Session, period: Period, *, limit: int = 15) -> list[HardSpot]:
    """Places with the most counted repeats in the period (热难点)."""
    lower, upper = _bounds(period)
    query = (
        select(
            RepeatLink.place,
            Complaint.district_id,
            func.count(),
            func.count(func.distinct(RepeatLink.earlier_id)),
            func.max(RepeatLink.earlier_case_id),
        )
        .join(Complaint, Complaint.id == RepeatLink.complaint_id)
        .where(
            RepeatLink.received_at >= lower,
            RepeatLink.received_at < upper,
            RepeatLink.place.is_not(None),
            conditions.repeat(),
        )
        .group_by(RepeatLink.place, Complaint.district_id)
        .order_by(func.count().desc(), RepeatLink.place)
        .limit(limit)
    )
    rows = list(session.execute(query))
    numbers = dict(
        session.execute(
            select(Case.id, Case.number).where(Case.id.in_([r[4] for r in rows if r[4]]))
        ).all()
    )
    return [HardSpot(p, d, n, n + firsts, numbers.get(case)) for p, d, n, firsts, case in rows]


def _caller_column():  # type: ignore[no-untyped-def]
    return func.coalesce(Complaint.complainant_phone, Complaint.complainant_name)


def frequent_callers(
    session: Session, period: Period, *, threshold: int = FREQUENT_CALLER, limit: int = 30
) -> list[Caller]:
    """Callers with at least ``threshold`` complaints in the period: flagged for a person to
    review, never judged by the machine."""
    lower, upper = _bounds(period)
    caller = _caller_column()
    query = (
        select(caller, func.count())
        .where(
            Complaint.received_at >= lower,
            Complaint.received_at < upper,
            or_(Complaint.complainant_phone.is_not(None), Complaint.complainant_name.is_not(None)),
        )
        .group_by(caller)
        .having(func.count() >= threshold)
        .order_by(func.count().desc())
        .limit(limit)
    )
    rows = list(session.execute(query))
    reviews = {
        r.caller: r.status
        for r in session.scalars(
            select(CallerReview).where(CallerReview.caller.in_([row[0] for row in rows]))
        )
    }
    return [Caller(c, n, _repeats_of(session, c, lower, upper), reviews.get(c)) for c, n in rows]


def _repeats_of(session: Session, caller: str, lower: datetime, upper: datetime) -> int:
    query = (
        select(func.count())
        .select_from(RepeatLink)
        .join(Complaint, Complaint.id == RepeatLink.complaint_id)
        .where(
            RepeatLink.status == "confirmed",
            RepeatLink.kind.in_(REPEAT_KINDS),
            RepeatLink.received_at >= lower,
            RepeatLink.received_at < upper,
            _caller_column() == caller,
        )
    )
    return int(session.scalar(query) or 0)


def _malicious(session: Session, period: Period) -> int:
    lower, upper = _bounds(period)
    linked = select(RepeatLink.complaint_id).where(
        RepeatLink.kind.in_(REPEAT_KINDS), RepeatLink.status == "confirmed"
    )
    query = select(func.count()).where(
        Complaint.received_at >= lower,
        Complaint.received_at < upper,
        Complaint.id.in_(linked),
        conditions.malicious_caller(),
    )
    return int(session.scalar(query) or 0)


def _suggested(session: Session, period: Period) -> int:
    lower, upper = _bounds(period)
    query = select(func.count()).where(
        RepeatLink.status == "suggested",
        RepeatLink.received_at >= lower,
        RepeatLink.received_at < upper,
    )
    return int(session.scalar(query.select_from(RepeatLink)) or 0)
