"""The dashboard's counts from the assessment engine over the DuckDB copy.

At ten million complaints the live queries of ``assessment.dashboard`` and ``reports.summary``
take seconds; the DuckDB copy answers in tens of milliseconds (docs/benchmarks.md). When
``CIVICDESK_ANALYTICS_DUCKDB`` names a refreshed copy, the dashboard takes its headline figures,
the monthly trend, the area rows (districts/streets) and the category rows from
``engine.evaluate(backend="duckdb")`` and says how fresh they are ("数据截至 …").

The numbers are the live dashboard's: the engine's ``complaints``, ``hotspot`` and ``repeats``
count what ``reports.summary.count_complaints`` counts (a confirmed duplicate intake is not
counted; repeats by ``repeats.conditions``), approved appeals included as the live dashboard
includes them (``appeals="include"``), periods and their same period last year alike
(tests/assessment/test_dashboard_fast.py compares both on the same data). The rows are built
here the way the live functions build them (configured order, 未定位/未分类 rows for the rest).

Not from the copy: a street's dashboard (its rows are communities, which the fact relation does
not carry) — it stays on the live tables; and the map boundaries, repeat places and hot spots,
which are not counts of the fact relation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.assessment import dashboard as q
from civicdesk.assessment.engine import evaluate
from civicdesk.assessment.results import Assessment
from civicdesk.org.models import Area, AreaLevel
from civicdesk.reports.periods import Period
from civicdesk.reports.summary import (
    UNCATEGORISED,
    UNLOCATED,
    ZERO,
    AreaInfo,
    AreaRow,
    CategoryRow,
    Comparison,
    SummaryReport,
    _category_groups,
    _taxonomy,
)

COUNTS = ("complaints", "hotspot", "repeats")
# The levels whose dashboard the copy can answer (their rows are districts or streets).
LEVELS = (AreaLevel.city, AreaLevel.district)


@dataclass(frozen=True)
class DashboardCounts:
    report: SummaryReport
    trend: q.Trend
    children: list[q.PlaceRow]
    streets: list[q.PlaceRow]
    refreshed_at: datetime | None


def supported(area: Area) -> bool:
    return area.level in LEVELS


def _comparison(row: Any, key: str) -> Comparison:
    figure = row.figures[key]
    return Comparison(figure.current.numerator, figure.last_year.numerator)


def _by_key(result: Assessment) -> dict[Any, Any]:
    return {row.key[0] if row.key else None: row for row in result.rows}


def dashboard_counts(
    session: Session, *, period: Period, area: Area, path: Path | str
) -> DashboardCounts:
    """The dashboard's report, trend, child-area rows and street rows from the copy at ``path``."""
    if not supported(area):
        raise ValueError("the copy carries districts and streets, not communities")
    scope = None if area.parent_id is None else area.code

    def ev(by: str, on: Period = period) -> Assessment:
        return evaluate(
            session,
            period=on,
            by=by,
            measures=COUNTS,
            area_code=scope,
            appeals="include",
            backend="duckdb",
            duckdb_path=Path(path),
        )

    total = ev("total")
    streets = _place_rows(session, area, AreaLevel.street, _by_key(ev("street")))
    child_level = q.child_level(area)
    children = (
        streets
        if child_level == AreaLevel.street
        else _place_rows(session, area, AreaLevel.district, _by_key(ev("district")))
    )
    report = SummaryReport(
        period=period,
        baseline=period.same_period_last_year(),
        area=AreaInfo(area.code, area.name, area.short_name, area.level),
        total=_comparison(total.total, "complaints"),
        hotspot=_comparison(total.total, "hotspot"),
        repeats=_comparison(total.total, "repeats"),
        hotspot_categories=tuple(c.name for c in _taxonomy(session).hotspot_flagged),
        child_level=child_level,
        areas=_area_rows(session, area, children),
        categories=_category_rows(session, _by_key(ev("category"))),
    )
    report = _with_groups(report)
    year = period.end.year
    months = ev("month", Period(date(year, 1, 1), date(year, 12, 31)))
    trend = _trend(months, year, period.end)
    return DashboardCounts(report, trend, children, streets, total.refreshed_at)


def _with_groups(report: SummaryReport) -> SummaryReport:
    from dataclasses import replace

    return replace(report, category_groups=_category_groups(report.categories))


def _trend(months: Assessment, year: int, until: date) -> q.Trend:
    by_month = {row.key[0]: row for row in months.rows}
    this, last = [], []
    for m in range(1, 13):
        row = by_month.get(f"{year}-{m:02d}")
        figure = row.figures["complaints"] if row is not None else None
        current = figure.current.numerator if figure is not None else 0
        this.append(current if date(year, m, 1) <= until else None)
        last.append(figure.last_year.numerator if figure is not None else 0)
    labels = tuple(f"{m}月" for m in range(1, 13))
    return q.Trend(labels, tuple(this), tuple(last), year)


def _place_rows(session: Session, area: Area, level: str, rows: dict[Any, Any]) -> list[q.PlaceRow]:
    """As ``dashboard.place_rows``: every area of ``level`` inside ``area``, then 未定位."""
    out = []
    for member, parent in q.areas_below(session, area, level):
        row = rows.pop(member.id, None)
        out.append(
            q.PlaceRow(
                member.code,
                member.name,
                parent.name if parent is not None else "",
                *(_comparison(row, k) if row is not None else ZERO for k in COUNTS),
            )
        )
    rest = [tuple(_comparison(row, k) for k in COUNTS) for row in rows.values()]
    if rest:
        total = [sum(parts, Comparison(0, 0)) for parts in zip(*rest, strict=True)]
        if total[0] != ZERO:
            out.append(q.PlaceRow(None, UNLOCATED, "", total[0], total[1], total[2]))
    return out


def _area_rows(session: Session, area: Area, children: list[q.PlaceRow]) -> tuple[AreaRow, ...]:
    """As ``reports.summary``: the direct child areas, then 未定位 when anything is left."""
    direct = session.scalars(
        select(Area).where(Area.parent_id == area.id).order_by(Area.sort_order, Area.id)
    ).all()
    by_code = {r.code: r for r in children}
    rows = [
        AreaRow(
            c.code, c.name, c.short_name, by_code[c.code].complaints if c.code in by_code else ZERO
        )
        for c in direct
    ]
    known = {c.code for c in direct}
    unlocated = sum((r.complaints for r in children if r.code not in known), ZERO)
    if unlocated != ZERO:
        rows.append(AreaRow(None, UNLOCATED, UNLOCATED, unlocated))
    return tuple(rows)


def _category_rows(session: Session, rows: dict[Any, Any]) -> tuple[CategoryRow, ...]:
    """As ``reports.summary``: categories with complaints in either period and the hot-spot
    leaves, in tree order, then 未分类."""
    taxonomy = _taxonomy(session)
    counts = {
        key: _comparison(row, "complaints")
        for key, row in rows.items()
        if _comparison(row, "complaints") != ZERO
    }
    shown = set(counts) - {None}
    shown |= {cid for cid in taxonomy.leaves if cid in taxonomy.hotspot_ids}
    shown &= set(taxonomy.by_id)
    out = []
    for cid in sorted(shown, key=lambda cid: taxonomy.order[cid]):
        category, top = taxonomy.by_id[cid], taxonomy.top[cid]
        out.append(
            CategoryRow(
                code=category.code,
                name=category.name,
                hotspot=cid in taxonomy.hotspot_ids,
                group_code=top.code,
                group_name=top.name,
                complaints=counts.get(cid, ZERO),
            )
        )
    uncategorised = counts.get(None, ZERO)
    if uncategorised != ZERO:
        out.append(CategoryRow(None, UNCATEGORISED, False, None, UNCATEGORISED, uncategorised))
    return tuple(out)
