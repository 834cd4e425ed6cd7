"""The figures behind the dashboard and the reports: monthly trends, areas with their hot-spot and
repeat complaints, repeats by kind — each one GROUP BY query with conditional aggregation
(``reports.summary.count_complaints``), so SQLite and PostgreSQL give the same numbers and a
breakdown costs one pass over the period's complaints whatever the number of groups.

Counting follows the summary report exactly (a confirmed duplicate intake is not counted; a
repeat is a complaint with a confirmed repeat link from a caller not judged malicious), so the
dashboard's totals are the report's.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from civicdesk.intake.models import Complaint
from civicdesk.org.models import Area, AreaLevel
from civicdesk.repeats import conditions as repeat_conditions
from civicdesk.repeats.scoring import KIND_LABELS, REPEAT_KINDS
from civicdesk.reports.periods import Period
from civicdesk.reports.summary import (
    COMPLAINTS,
    HOTSPOT,
    REPEATS,
    UNLOCATED,
    Comparison,
    Measure,
    MeasureContext,
    _taxonomy,
    count_complaints,
)

SCOPE_COLUMN: dict[str, Any] = {
    AreaLevel.district: Complaint.district_id,
    AreaLevel.street: Complaint.street_id,
    AreaLevel.community: Complaint.area_id,
}
LEVEL_COLUMN: dict[str, Any] = {
    AreaLevel.district: Complaint.district_id,
    AreaLevel.street: Complaint.street_id,
    AreaLevel.community: Complaint.area_id,
}


def repeat_kind_measures() -> tuple[Measure, ...]:
    return tuple(
        Measure(
            f"repeat_{kind}",
            KIND_LABELS[kind],
            condition=lambda ctx, kind=kind: repeat_conditions.repeat((kind,)),
        )
        for kind in REPEAT_KINDS
    )


def scope_of(area: Area) -> list[ColumnElement[bool]]:
    """Conditions placing a complaint in ``area`` (none for the root: every complaint counts)."""
    return [] if area.parent_id is None else [SCOPE_COLUMN[area.level] == area.id]


def context(session: Session) -> MeasureContext:
    return MeasureContext(hotspot_category_ids=_taxonomy(session).hotspot_ids)


# ---- trends ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    labels: tuple[str, ...]  # 1月 … 12月
    this_year: tuple[int | None, ...]  # None: the month has not begun (or is after the end)
    last_year: tuple[int, ...]
    year: int


def month_period(year: int, month: int) -> Period:
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def monthly_trend(
    session: Session,
    *,
    year: int,
    until: date,
    area: Area,
    measure: Measure = COMPLAINTS,
    ctx: MeasureContext | None = None,
    group_by: ColumnElement[Any] | None = None,
) -> dict[Any, Trend]:
    """Complaints per month of ``year`` (up to ``until``) and of the year before, in one query;
    per value of ``group_by`` (key None when ungrouped)."""
    periods = [month_period(year, m) for m in range(1, 13)]
    periods += [month_period(year - 1, m) for m in range(1, 13)]
    counts = count_complaints(
        session,
        measures=(measure,),
        periods=periods,
        context=ctx or context(session),
        scope=scope_of(area),
        group_by=group_by,
    )
    labels = tuple(f"{m}月" for m in range(1, 13))
    result = {}
    keys = list(counts) or ([None] if group_by is None else [])
    for key in keys:
        values = counts.get(key, {}).get(measure.key, (0,) * 24)
        this = tuple(values[m] if periods[m].start <= until else None for m in range(12))
        result[key] = Trend(labels, this, tuple(values[12:]), year)
    return result


# ---- areas ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceRow:
    """An area's complaints, hot-spot complaints and repeats, this period and last year."""

    code: str | None
    name: str
    parent_name: str  # the district of a street, the street of a community
    complaints: Comparison
    hotspot: Comparison
    repeats: Comparison


def place_rows(
    session: Session,
    *,
    period: Period,
    area: Area,
    level: str,
    ctx: MeasureContext | None = None,
) -> list[PlaceRow]:
    """Every area of ``level`` inside ``area`` (configured order), with a 未定位 row for
    complaints placed no deeper than ``area``; one query."""
    column = LEVEL_COLUMN[level]
    counts = count_complaints(
        session,
        measures=(COMPLAINTS, HOTSPOT, REPEATS),
        periods=(period, period.same_period_last_year()),
        context=ctx or context(session),
        scope=scope_of(area),
        group_by=column,
    )
    rows = []
    for member, parent in areas_below(session, area, level):
        values = counts.pop(member.id, {})
        rows.append(
            PlaceRow(
                member.code,
                member.name,
                parent.name if parent is not None else "",
                _comparison(values.get(COMPLAINTS.key)),
                _comparison(values.get(HOTSPOT.key)),
                _comparison(values.get(REPEATS.key)),
            )
        )
    rest = [_row_sum(values) for values in counts.values()]
    if rest:
        total = [sum(parts, Comparison(0, 0)) for parts in zip(*rest, strict=True)]
        if total[0] != Comparison(0, 0):
            rows.append(PlaceRow(None, UNLOCATED, "", total[0], total[1], total[2]))
    return rows


def _row_sum(values: dict[str, tuple[int, ...]]) -> tuple[Comparison, Comparison, Comparison]:
    return (
        _comparison(values.get(COMPLAINTS.key)),
        _comparison(values.get(HOTSPOT.key)),
        _comparison(values.get(REPEATS.key)),
    )


def areas_below(session: Session, area: Area, level: str) -> list[tuple[Area, Area | None]]:
    """The areas of ``level`` under ``area``, each with its parent, in configured order."""
    everything = session.scalars(select(Area).order_by(Area.sort_order, Area.id)).all()
    by_id = {a.id: a for a in everything}

    def inside(candidate: Area) -> bool:
        current: Area | None = candidate
        while current is not None:
            if current.id == area.id:
                return True
            current = by_id.get(current.parent_id) if current.parent_id else None
        return False

    found = [a for a in everything if a.level == level and inside(a)]
    # Group by parent, parents in their own configured order.
    order = {a.id: i for i, a in enumerate(everything)}
    found.sort(key=lambda a: (order.get(a.parent_id or 0, -1), order[a.id]))
    return [(a, by_id.get(a.parent_id) if a.parent_id else None) for a in found]


def child_level(area: Area) -> str | None:
    return {
        AreaLevel.city: AreaLevel.district,
        AreaLevel.district: AreaLevel.street,
        AreaLevel.street: AreaLevel.community,
    }.get(AreaLevel(area.level))


# ---- repeats --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatKindRow:
    kind: str
    name: str
    value: Comparison


def repeat_kinds(session: Session, *, period: Period, area: Area) -> list[RepeatKindRow]:
    measures = repeat_kind_measures()
    counts = count_complaints(
        session,
        measures=measures,
        periods=(period, period.same_period_last_year()),
        context=context(session),
        scope=scope_of(area),
    ).get(None, {})
    return [
        RepeatKindRow(kind, m.name, _comparison(counts.get(m.key)))
        for kind, m in zip(REPEAT_KINDS, measures, strict=True)
    ]


def _comparison(counts: Sequence[int] | None) -> Comparison:
    return Comparison(0, 0) if counts is None else Comparison(counts[0], counts[1])
