"""Drill-down: the complaints behind any figure, by the very condition that counted them.

A figure is (measure, part = numerator or denominator, period = current / last year / previous,
group). Its part is a signed sum of 0/1 fact columns; the complaints behind it are the fact rows
of that group and period whose row value of the sum is 1 (``Linear`` keeps row values 0/1), so
``DrillPage.total`` equals the figure — on either backend, which the tests check measure by
measure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, func, literal, select
from sqlalchemy.orm import Session

from civicdesk.assessment import catalog
from civicdesk.assessment.engine import (
    GROUPINGS,
    Backend,
    SumQuery,
    row_periods,
    sql_filters,
)
from civicdesk.assessment.facts import OVERDUE_PENDING, fact_select, overdue_pending_sql
from civicdesk.assessment.measures import MEASURES, Linear
from civicdesk.cases.models import Case
from civicdesk.errors import InvalidInput
from civicdesk.intake.models import Complaint
from civicdesk.reports.periods import Period

MAX_PAGE_SIZE = 500
_WHICH = {"current": 0, "last_year": 1, "previous": 2}


@dataclass(frozen=True)
class DrillItem:
    complaint_id: int
    received_at: datetime
    case_id: int | None
    case_number: str | None
    title: str | None
    district: str | None
    street: str | None
    category: str | None
    unit: str | None

    def to_dict(self) -> dict[str, Any]:
        return {**vars(self), "received_at": self.received_at.isoformat()}


@dataclass(frozen=True)
class DrillPage:
    measure: str
    measure_name: str
    part: str
    which: str
    period: Period
    group_label: str
    total: int  # equals the figure's numerator (or denominator)
    page: int
    page_size: int
    items: tuple[DrillItem, ...]
    backend: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "measure_name": self.measure_name,
            "part": self.part,
            "which": self.which,
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "group": self.group_label,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "page_size": self.page_size,
            "backend": self.backend,
            "items": [i.to_dict() for i in self.items],
        }


def drill(
    session: Session,
    *,
    measure: str,
    period: Period,
    by: str = "total",
    key: Sequence[Any] = (),
    part: Literal["numerator", "denominator"] = "numerator",
    which: Literal["current", "last_year", "previous"] = "current",
    area_code: str | None = None,
    unit_code: str | None = None,
    category_code: str | None = None,
    channel_code: str | None = None,
    variants: Mapping[str, str] | None = None,
    appeals: Literal["exclude", "include"] = "exclude",
    as_of: datetime | None = None,
    backend: Backend = "sql",
    duckdb_path: Path | str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> DrillPage:
    """The complaints behind one figure of ``engine.evaluate`` with the same arguments, paged
    (ordered by complaint id). ``key`` is the row's key (``Row.key``)."""
    if measure not in MEASURES:
        raise InvalidInput(f"未知指标“{measure}” / unknown measure", field="measure")
    m = MEASURES[measure]
    if part not in ("numerator", "denominator"):
        raise InvalidInput("part 应为 numerator 或 denominator", field="part")
    if which not in _WHICH:
        raise InvalidInput("which 应为 current、last_year 或 previous", field="which")
    if by not in GROUPINGS:
        raise InvalidInput(f"未知的分组“{by}” / unknown grouping", field="by")
    linear = (
        m.numerator_for((variants or {}).get(measure))
        if part == "numerator"
        else m.denominator_for((variants or {}).get(measure))
    )
    if linear is None:
        raise InvalidInput(f"“{m.name}”是计数指标，没有分母 / a count has no denominator")
    page = max(1, int(page))
    page_size = min(MAX_PAGE_SIZE, max(1, int(page_size)))
    key = tuple(key)
    columns = GROUPINGS[by]
    if by == "month":
        plans = row_periods(period, "month")
        month = str(key[0]) if key else ""
        if month not in plans:
            raise InvalidInput(f"月份“{month}”不在考核期内 / month outside the period", field="key")
        bucket = plans[month][_WHICH[which]]
    else:
        if len(key) != len(columns):
            raise InvalidInput(
                f"分组“{by}”的键应有{len(columns)}项 / wrong key length", field="key"
            )
        bucket = (period, period.same_period_last_year(), period.previous())[_WHICH[which]]
    as_of = as_of or datetime.now(UTC)
    cat = catalog.load(session)
    filters = catalog.resolve_filters(
        session,
        cat,
        area_code=area_code,
        unit_code=unit_code,
        category_code=category_code,
        channel_code=channel_code,
    )
    query = SumQuery((bucket,), columns, linear.columns, filters, as_of, appeals == "exclude")
    group_values = dict(zip(columns, key, strict=True)) if by != "month" else {}
    offset = (page - 1) * page_size
    if backend == "duckdb":
        total, ids = _duck_ids(query, group_values, linear, duckdb_path, page_size, offset)
    elif backend == "sql":
        total, ids = _sql_ids(session, cat.hotspots, query, group_values, linear, page_size, offset)
    else:
        raise InvalidInput("backend 应为 sql 或 duckdb", field="backend")
    label = "合计" if by in ("total", "month") else cat.describe(by, key)[1]
    if by == "month":
        label = f"{bucket.start.year}年{bucket.start.month}月"
    return DrillPage(
        measure=measure,
        measure_name=m.name,
        part=part,
        which=which,
        period=bucket,
        group_label=label,
        total=total,
        page=page,
        page_size=page_size,
        items=tuple(_items(session, cat, ids)),
        backend=backend,
    )


def _row_value_sql(c: Any, linear: Linear, as_of: datetime) -> ColumnElement[int]:
    expr: ColumnElement[int] = literal(0)
    for column, coefficient in linear.terms:
        value = (
            overdue_pending_sql(c.pending_due_at, as_of) if column == OVERDUE_PENDING else c[column]
        )
        expr = expr + value if coefficient > 0 else expr - value
    return expr


def _sql_ids(
    session: Session,
    hotspots: Mapping[int, int],
    query: SumQuery,
    group_values: Mapping[str, Any],
    linear: Linear,
    limit: int,
    offset: int,
) -> tuple[int, list[int]]:
    facts = fact_select(session, hotspots=hotspots).subquery("facts")
    c = facts.c
    lower, upper = query.buckets[0].utc_bounds()
    conditions = [
        c.received_at >= lower,
        c.received_at < upper,
        _row_value_sql(c, linear, query.as_of) > 0,
        *sql_filters(c, query),
    ]
    for column, value in group_values.items():
        conditions.append(c[column].is_(None) if value is None else c[column] == value)
    where = and_(*conditions)
    total = session.scalar(select(func.count()).select_from(facts).where(where)) or 0
    ids = session.scalars(
        select(c.complaint_id).where(where).order_by(c.complaint_id).limit(limit).offset(offset)
    ).all()
    return int(total), [int(i) for i in ids]


def _duck_ids(
    query: SumQuery,
    group_values: Mapping[str, Any],
    linear: Linear,
    path: Path | str | None,
    limit: int,
    offset: int,
) -> tuple[int, list[int]]:
    from civicdesk.assessment import analytical

    store = analytical.DuckStore.open(path)
    bucket = query.buckets[0]
    clauses, params = ["received_on BETWEEN ? AND ?"], [bucket.start, bucket.end]
    terms = []
    for column, coefficient in linear.terms:
        expr, p = analytical.column_sql(column, query.as_of)
        terms.append(("+ " if coefficient > 0 else "- ") + f"({expr})")
        params.extend(p)
    clauses.append(f"(0 {' '.join(terms)}) > 0")
    filter_clauses, filter_params = analytical.filter_sql(query)
    clauses.extend(filter_clauses)
    params.extend(filter_params)
    for column, value in group_values.items():
        if value is None:
            clauses.append(f"{column} IS NULL")
        else:
            clauses.append(f"{column} = ?")
            params.append(int(value))
    return store.complaint_ids(" AND ".join(clauses), params, limit=limit, offset=offset)


def _items(session: Session, cat: catalog.Catalog, ids: Sequence[int]) -> list[DrillItem]:
    if not ids:
        return []
    rows = session.execute(
        select(Complaint, Case.number, Case.unit_id)
        .outerjoin(Case, Case.id == Complaint.case_id)
        .where(Complaint.id.in_(ids))
        .order_by(Complaint.id)
    ).all()

    def name(entries: Mapping[int, catalog.Entry], value: int | None) -> str | None:
        entry = entries.get(value) if value is not None else None
        return entry.name if entry else None

    return [
        DrillItem(
            complaint_id=c.id,
            received_at=c.received_at,
            case_id=c.case_id,
            case_number=number,
            title=c.title or (c.text[:40] if c.text else None),
            district=name(cat.areas, c.district_id),
            street=name(cat.areas, c.street_id),
            category=name(cat.categories, c.category_id),
            unit=name(cat.units, unit_id),
        )
        for c, number, unit_id in rows
    ]
