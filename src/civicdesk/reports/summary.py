"""The complaint summary: totals, areas, categories and hot spots, against last year.

The source's figures, for the main urban area and January–July, are the model: 投诉总量 16676件,
比去年同期减少16295件, 下降49.42%; 9类热点问题 13021件. Every figure is a count of complaints
(one contact by one citizen through one channel), placed by the complaint's own district/street
and category ids, and counted in SQL by conditional aggregation: one GROUP BY query per breakdown
computes every measure for every period at once, so the cost does not grow with the rows Python
sees, and the same SQL runs on SQLite and PostgreSQL.

Measures are declared once, in ``MEASURES``; the assessment engine adds its measures there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from civicdesk.errors import ConfigurationError, InvalidInput, NotFound
from civicdesk.intake.models import Complaint
from civicdesk.org.models import AREA_DEPTH, Area, AreaLevel
from civicdesk.repeats import conditions as repeat_conditions
from civicdesk.reports.periods import Period
from civicdesk.taxonomy.models import Category

UNLOCATED = "未定位"
UNCATEGORISED = "未分类"

# ---------------------------------------------------------------------------------------------
# Measures: what is counted. One declared place; queries take them as data.


@dataclass(frozen=True)
class MeasureContext:
    """Configuration a measure's condition needs, read once per report."""

    hotspot_category_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Measure:
    key: str
    name: str  # as reports write it
    unit: str = "件"
    # Which complaints count, beyond the period and area; None counts every complaint.
    condition: Callable[[MeasureContext], ColumnElement[bool]] | None = None


COMPLAINTS = Measure("complaints", "投诉总量")
HOTSPOT = Measure(
    "hotspot",
    "热点问题投诉",
    condition=lambda ctx: Complaint.category_id.in_(sorted(ctx.hotspot_category_ids)),
)
# 重复投诉量: complaints with a confirmed repeat link (repeats.conditions; docs/repeats.md).
REPEATS = Measure("repeats", "重复投诉量", condition=lambda ctx: repeat_conditions.repeat())
MEASURES: dict[str, Measure] = {m.key: m for m in (COMPLAINTS, HOTSPOT, REPEATS)}


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Comparison:
    """A count this period and in the period it is compared with."""

    current: int
    previous: int

    @property
    def change(self) -> int:
        return self.current - self.previous

    @property
    def percent(self) -> Decimal | None:
        """Relative change in per cent, 2 decimals (half up); None when there is no base."""
        if self.previous == 0:
            return None
        ratio = Decimal(self.change) * 100 / Decimal(self.previous)
        return ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def __add__(self, other: Comparison) -> Comparison:
        return Comparison(self.current + other.current, self.previous + other.previous)

    def to_dict(self) -> dict[str, Any]:
        pct = self.percent
        return {
            "current": self.current,
            "previous": self.previous,
            "change": self.change,
            "percent": None if pct is None else float(pct),
        }


ZERO = Comparison(0, 0)


@dataclass(frozen=True)
class AreaInfo:
    code: str
    name: str
    short_name: str
    level: str


@dataclass(frozen=True)
class AreaRow:
    """A child area of the report's area; ``code`` None is the 未定位 row."""

    code: str | None
    name: str
    short_name: str
    complaints: Comparison


@dataclass(frozen=True)
class CategoryRow:
    """A category (leaf, or any with complaints filed directly); ``code`` None is 未分类."""

    code: str | None
    name: str
    hotspot: bool
    group_code: str | None
    group_name: str
    complaints: Comparison


@dataclass(frozen=True)
class CategoryGroupRow:
    """A top-level category with every complaint below it."""

    code: str | None
    name: str
    complaints: Comparison


@dataclass(frozen=True)
class SummaryReport:
    period: Period
    baseline: Period  # the same period last year
    area: AreaInfo
    total: Comparison
    hotspot: Comparison
    hotspot_categories: tuple[str, ...]  # the flagged categories' names, in configured order
    child_level: str | None  # level of the rows in ``areas``; None when there are none
    areas: tuple[AreaRow, ...] = ()
    categories: tuple[CategoryRow, ...] = ()
    category_groups: tuple[CategoryGroupRow, ...] = ()
    repeats: Comparison = Comparison(0, 0)  # 重复投诉量 (confirmed repeat links)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": {
                "from": self.period.start.isoformat(),
                "to": self.period.end.isoformat(),
                "label": self.period.label(),
            },
            "baseline": {
                "from": self.baseline.start.isoformat(),
                "to": self.baseline.end.isoformat(),
                "label": self.baseline.label(),
            },
            "area": vars(self.area),
            "total": self.total.to_dict(),
            "hotspot": self.hotspot.to_dict() | {"categories": list(self.hotspot_categories)},
            "child_level": self.child_level,
            "areas": [
                {
                    "code": r.code,
                    "name": r.name,
                    "short_name": r.short_name,
                    **r.complaints.to_dict(),
                }
                for r in self.areas
            ],
            "categories": [
                {
                    "code": r.code,
                    "name": r.name,
                    "hotspot": r.hotspot,
                    "group_code": r.group_code,
                    "group_name": r.group_name,
                    **r.complaints.to_dict(),
                }
                for r in self.categories
            ],
            "category_groups": [
                {"code": r.code, "name": r.name, **r.complaints.to_dict()}
                for r in self.category_groups
            ],
            "repeats": self.repeats.to_dict(),
        }


# ---------------------------------------------------------------------------------------------
# The counting query


def count_complaints(
    session: Session,
    *,
    measures: Sequence[Measure],
    periods: Sequence[Period],
    context: MeasureContext,
    scope: Sequence[ColumnElement[bool]] = (),
    group_by: ColumnElement[Any] | None = None,
) -> dict[Any, dict[str, tuple[int, ...]]]:
    """Count each measure in each period, per value of ``group_by`` (key None when ungrouped).

    One statement: ``count(CASE WHEN <in period i> AND <measure condition> THEN 1 END)`` for every
    (measure, period) pair, over the rows in any of the periods. Returns
    ``{group key: {measure key: (count in periods[0], count in periods[1], ...)}}``; groups
    without a complaint in any period are absent.
    """
    in_period = []
    for period in periods:
        lower, upper = period.utc_bounds()
        in_period.append(and_(Complaint.received_at >= lower, Complaint.received_at < upper))
    columns = []
    for measure in measures:
        for index, condition in enumerate(in_period):
            if measure.condition is not None:
                condition = and_(condition, measure.condition(context))
            counted = func.count(case((condition, literal_column("1"))))
            columns.append(counted.label(f"{measure.key}_{index}"))
    keys = [] if group_by is None else [group_by.label("group_key")]
    # A confirmed duplicate intake is merged into its original: counted once, by no measure.
    stmt = select(*keys, *columns).where(or_(*in_period), repeat_conditions.counted(), *scope)
    if group_by is not None:
        stmt = stmt.group_by(group_by)
    result: dict[Any, dict[str, tuple[int, ...]]] = {}
    for row in session.execute(stmt):
        values = list(row)
        key = values.pop(0) if group_by is not None else None
        counts = {}
        for m_index, measure in enumerate(measures):
            chunk = values[m_index * len(periods) : (m_index + 1) * len(periods)]
            counts[measure.key] = tuple(int(v or 0) for v in chunk)
        result[key] = counts
    return result


# ---------------------------------------------------------------------------------------------
# Areas and categories


# The complaint column that places a complaint in an area of this level, and in its children.
_SCOPE_COLUMN: dict[str, Any] = {
    AreaLevel.district: Complaint.district_id,
    AreaLevel.street: Complaint.street_id,
    AreaLevel.community: Complaint.area_id,
}
_CHILD_COLUMN: dict[str, Any] = {
    AreaLevel.city: Complaint.district_id,
    AreaLevel.district: Complaint.street_id,
    AreaLevel.street: Complaint.area_id,
}


def root_area(session: Session) -> Area:
    root = session.scalars(
        select(Area).where(Area.parent_id.is_(None)).order_by(Area.sort_order, Area.id).limit(1)
    ).first()
    if root is None:
        raise ConfigurationError(
            "尚未载入区域配置 / no areas configured: run `civicdesk config load`"
        )
    return root


def resolve_area(session: Session, key: str | None) -> Area:
    """The area named by code, name (上城区) or short name (上城); the root area when None."""
    if key is None or not key.strip():
        return root_area(session)
    key = key.strip()
    by_code = session.scalars(select(Area).where(Area.code == key)).first()
    if by_code is not None:
        return by_code
    for column in (Area.name, Area.short_name):
        matches = session.scalars(
            select(Area).where(column == key).order_by(Area.sort_order, Area.id)
        ).all()
        # 西湖 is both a district and a street: the larger area is the one people mean.
        if matches:
            top = min(AREA_DEPTH[AreaLevel(a.level)] for a in matches)
            matches = [a for a in matches if AREA_DEPTH[AreaLevel(a.level)] == top]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            options = "、".join(f"{a.name}（{a.code}）" for a in matches)
            raise InvalidInput(
                f"区域“{key}”不唯一，请用代码指定：{options} / ambiguous area {key!r}",
                field="area",
            )
    districts = session.scalars(
        select(Area.name).where(Area.level == AreaLevel.district).order_by(Area.sort_order, Area.id)
    ).all()
    raise NotFound(
        f"未找到区域“{key}”。可选的区：{'、'.join(districts)}（也可输入简称、代码或街道名称）/ "
        f"unknown area {key!r}",
        field="area",
    )


@dataclass(frozen=True)
class _Taxonomy:
    by_id: Mapping[int, Category]
    top: Mapping[int, Category]  # category id → its top-level ancestor
    order: Mapping[int, tuple[int, ...]]  # category id → sort key along its path
    leaves: frozenset[int]
    hotspot_ids: frozenset[int]  # flagged categories and everything below them
    hotspot_flagged: tuple[Category, ...]


def _taxonomy(session: Session) -> _Taxonomy:
    categories = session.scalars(select(Category)).all()
    by_id = {c.id: c for c in categories}
    parents = {c.parent_id for c in categories if c.parent_id is not None}

    def path(category: Category) -> list[Category]:
        chain = [category]
        while chain[-1].parent_id is not None and len(chain) <= len(by_id):
            chain.append(by_id[chain[-1].parent_id])
        return chain[::-1]

    paths = {c.id: path(c) for c in categories}
    order = {cid: tuple(x for c in p for x in (c.sort_order, c.id)) for cid, p in paths.items()}
    hotspot_ids = frozenset(cid for cid, p in paths.items() if any(c.hotspot for c in p))
    flagged = tuple(sorted((c for c in categories if c.hotspot), key=lambda c: order[c.id]))
    return _Taxonomy(
        by_id=by_id,
        top={cid: p[0] for cid, p in paths.items()},
        order=order,
        leaves=frozenset(c.id for c in categories if c.id not in parents),
        hotspot_ids=hotspot_ids,
        hotspot_flagged=flagged,
    )


# ---------------------------------------------------------------------------------------------
# The report


def summary(
    session: Session, *, start: date, end: date, area_code: str | None = None
) -> SummaryReport:
    """Complaints in ``area_code`` (default: the root area) from local date ``start`` to ``end``
    inclusive, with the same period last year."""
    period = Period(start, end)
    baseline = period.same_period_last_year()
    periods = (period, baseline)
    area = resolve_area(session, area_code)
    taxonomy = _taxonomy(session)
    context = MeasureContext(hotspot_category_ids=taxonomy.hotspot_ids)
    scope = [] if area.parent_id is None else [_SCOPE_COLUMN[area.level] == area.id]

    totals = count_complaints(
        session,
        measures=(COMPLAINTS, HOTSPOT, REPEATS),
        periods=periods,
        context=context,
        scope=scope,
    ).get(None, {})
    child_level, area_rows = _area_rows(session, area, periods, context, scope)
    category_rows = _category_rows(session, taxonomy, periods, context, scope)
    return SummaryReport(
        period=period,
        baseline=baseline,
        area=AreaInfo(area.code, area.name, area.short_name, area.level),
        total=_comparison(totals.get(COMPLAINTS.key)),
        hotspot=_comparison(totals.get(HOTSPOT.key)),
        repeats=_comparison(totals.get(REPEATS.key)),
        hotspot_categories=tuple(c.name for c in taxonomy.hotspot_flagged),
        child_level=child_level,
        areas=area_rows,
        categories=category_rows,
        category_groups=_category_groups(category_rows),
    )


def _comparison(counts: Sequence[int] | None) -> Comparison:
    return ZERO if counts is None else Comparison(counts[0], counts[1])


def _area_rows(
    session: Session,
    area: Area,
    periods: Sequence[Period],
    context: MeasureContext,
    scope: Sequence[ColumnElement[bool]],
) -> tuple[str | None, tuple[AreaRow, ...]]:
    column = _CHILD_COLUMN.get(area.level)
    children = session.scalars(
        select(Area).where(Area.parent_id == area.id).order_by(Area.sort_order, Area.id)
    ).all()
    if column is None or not children:
        return None, ()
    counts = count_complaints(
        session,
        measures=(COMPLAINTS,),
        periods=periods,
        context=context,
        scope=scope,
        group_by=column,
    )
    rows = [
        AreaRow(c.code, c.name, c.short_name, _comparison(counts.pop(c.id, {}).get(COMPLAINTS.key)))
        for c in children
    ]
    # What is left has no child area (or, in inconsistent data, one outside this area).
    unlocated = sum((_comparison(v.get(COMPLAINTS.key)) for v in counts.values()), ZERO)
    if unlocated != ZERO:
        rows.append(AreaRow(None, UNLOCATED, UNLOCATED, unlocated))
    return children[0].level, tuple(rows)


def _category_rows(
    session: Session,
    taxonomy: _Taxonomy,
    periods: Sequence[Period],
    context: MeasureContext,
    scope: Sequence[ColumnElement[bool]],
) -> tuple[CategoryRow, ...]:
    counts = count_complaints(
        session,
        measures=(COMPLAINTS,),
        periods=periods,
        context=context,
        scope=scope,
        group_by=Complaint.category_id,
    )
    shown = set(counts) - {None}
    shown |= {cid for cid in taxonomy.leaves if cid in taxonomy.hotspot_ids}
    shown &= set(taxonomy.by_id)
    rows = []
    for cid in sorted(shown, key=lambda cid: taxonomy.order[cid]):
        category, top = taxonomy.by_id[cid], taxonomy.top[cid]
        rows.append(
            CategoryRow(
                code=category.code,
                name=category.name,
                hotspot=cid in taxonomy.hotspot_ids,
                group_code=top.code,
                group_name=top.name,
                complaints=_comparison(counts.get(cid, {}).get(COMPLAINTS.key)),
            )
        )
    uncategorised = _comparison(counts.get(None, {}).get(COMPLAINTS.key))
    if uncategorised != ZERO:
        rows.append(CategoryRow(None, UNCATEGORISED, False, None, UNCATEGORISED, uncategorised))
    return tuple(rows)


def _category_groups(rows: Iterable[CategoryRow]) -> tuple[CategoryGroupRow, ...]:
    # Rows come in tree order, so groups keep the configured order of the top-level categories.
    groups: dict[str | None, CategoryGroupRow] = {}
    for row in rows:
        group = groups.get(row.group_code)
        total = row.complaints if group is None else group.complaints + row.complaints
        groups[row.group_code] = CategoryGroupRow(row.group_code, row.group_name, total)
    return tuple(groups.values())
