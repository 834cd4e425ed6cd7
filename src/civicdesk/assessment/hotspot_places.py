"""Hot spots seen over a period: the trend of each hot-spot category, and the places — streets,
communities, addresses — with the most complaints and repeats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from civicdesk.assessment.dashboard import (
    PlaceRow,
    Trend,
    context,
    monthly_trend,
    place_rows,
    scope_of,
)
from civicdesk.intake.models import Complaint
from civicdesk.org.models import Area, AreaLevel
from civicdesk.repeats import conditions as repeat_conditions
from civicdesk.reports.periods import Period
from civicdesk.reports.summary import HOTSPOT, _taxonomy


@dataclass(frozen=True)
class CategoryTrend:
    code: str
    name: str
    trend: Trend


def hotspot_trends(session: Session, *, year: int, until: date, area: Area) -> list[CategoryTrend]:
    """Monthly complaints of each flagged hot-spot category (its sub-categories included), this
    year and last; one query."""
    taxonomy = _taxonomy(session)
    flagged = {c.id for c in taxonomy.hotspot_flagged}

    def flagged_ancestor(category_id: int) -> int | None:
        current = taxonomy.by_id.get(category_id)
        while current is not None and current.id not in flagged:
            current = taxonomy.by_id.get(current.parent_id) if current.parent_id else None
        return current.id if current is not None else None

    grouped = monthly_trend(
        session,
        year=year,
        until=until,
        area=area,
        measure=HOTSPOT,
        group_by=Complaint.category_id,
    )
    sums: dict[int, tuple[list[int | None], list[int]]] = {}
    for category_id, trend in grouped.items():
        top = flagged_ancestor(category_id) if category_id is not None else None
        if top is None:
            continue
        this, last = sums.setdefault(top, ([None] * 12, [0] * 12))
        for m in range(12):
            if trend.this_year[m] is not None:
                this[m] = (this[m] or 0) + (trend.this_year[m] or 0)
            last[m] += trend.last_year[m]
    labels = tuple(f"{m}月" for m in range(1, 13))
    result = []
    for category in taxonomy.hotspot_flagged:
        this, last = sums.get(category.id, ([None] * 12, [0] * 12))
        started = [date(year, m, 1) <= until for m in range(1, 13)]
        this_year = tuple((v or 0) if s else None for v, s in zip(this, started, strict=True))
        result.append(
            CategoryTrend(category.code, category.name, Trend(labels, this_year, tuple(last), year))
        )
    return result


def top_places(
    session: Session, *, period: Period, area: Area, level: str, limit: int = 10
) -> list[PlaceRow]:
    """The areas of ``level`` with the most complaints this period (repeats break ties)."""
    rows = [
        r
        for r in place_rows(session, period=period, area=area, level=level, ctx=context(session))
        if r.code is not None and r.complaints.current > 0
    ]
    rows.sort(key=lambda r: (-r.complaints.current, -r.repeats.current))
    return rows[:limit]


@dataclass(frozen=True)
class AddressRow:
    address: str
    street: str
    complaints: int
    repeats: int


def top_addresses(
    session: Session, *, period: Period, area: Area, limit: int = 15
) -> list[AddressRow]:
    """Addresses (as written, trimmed) with at least two complaints this period, most first."""
    lower, upper = period.utc_bounds()
    repeat = func.count(case((repeat_conditions.repeat(), 1)))
    address = func.trim(Complaint.address)
    stmt = (
        select(address, Complaint.street_id, func.count(), repeat)
        .where(
            Complaint.received_at >= lower,
            Complaint.received_at < upper,
            Complaint.address.is_not(None),
            repeat_conditions.counted(),
            *scope_of(area),
        )
        .group_by(address, Complaint.street_id)
        .having(func.count() >= 2)
        .order_by(func.count().desc(), address)
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    names = dict(
        session.execute(select(Area.id, Area.name).where(Area.level == AreaLevel.street)).all()
    )
    return [
        AddressRow(text or "", names.get(street_id, ""), int(count), int(repeats or 0))
        for text, street_id, count, repeats in rows
    ]
