"""The assessment engine: every measure, for any grouping and period, with 同比 and 环比.

``evaluate`` is the one entry point (reports, dashboards, schemes and publication call it):

    result = evaluate(session, period=Period(date(2026, 1, 1), date(2026, 7, 31)), by="district")
    for row in result.rows:
        fig = row.figures["closure_rate"]
        fig.value, fig.numerator, fig.denominator, fig.last_year.value, fig.yoy_change

How it counts: the measures (measures.py) are signed sums of fact columns (facts.py); the engine
asks a backend for the sums of the needed columns per (group, time bucket) in one aggregate
query — buckets are the period, the same period last year and the previous period (or, for the
trend, each month with its own comparisons) — and computes every measure from those sums in
Python with exact integers and Decimal rates. Two backends answer the same question:

- ``"sql"``: the fact relation as a SQLAlchemy select over the live tables (always current);
- ``"duckdb"``: the DuckDB copy of the fact relation written by ``analytical.refresh`` (fast over
  millions of complaints; as current as its last refresh, which the result reports).

The numbers are identical by construction (the copy is the select's rows; the buckets, groups
and filters compile from the same plan) and by test (tests/assessment/test_identity.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from civicdesk.assessment import catalog
from civicdesk.assessment.facts import OVERDUE_PENDING, fact_select, overdue_pending_sql
from civicdesk.assessment.measures import Measure, select_measures
from civicdesk.assessment.results import Assessment, Figure, Row, Value
from civicdesk.errors import InvalidInput
from civicdesk.reports.periods import Period

Backend = Literal["sql", "duckdb"]
Part = Literal["numerator", "denominator"]
Which = Literal["current", "last_year", "previous"]

# Grouping → the fact columns of its key ("month" groups by time bucket instead).
GROUPINGS: dict[str, tuple[str, ...]] = {
    "total": (),
    "district": ("district_id",),
    "street": ("street_id",),
    "unit": ("unit_id",),
    "category": ("category_id",),
    "hotspot_category": ("hotspot_category_id",),
    "month": (),
    "district_category": ("district_id", "category_id"),
}


# ---------------------------------------------------------------------------------------------
# What a backend is asked


@dataclass(frozen=True)
class Filters:
    """Resolved scope: fact column → allowed ids (None in a tuple matches null)."""

    equal: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class SumQuery:
    buckets: tuple[Period, ...]  # pairwise disjoint, local dates
    group_columns: tuple[str, ...]
    columns: tuple[str, ...]  # fact flag columns (and OVERDUE_PENDING) to sum
    filters: Filters
    as_of: datetime
    exclude_appealed: bool


# (group key, bucket index) → column → sum
Sums = dict[tuple[tuple[Any, ...], int], dict[str, int]]
# group key → column → sum (one bucket)
Grouped = dict[tuple[Any, ...], dict[str, int]]


def sql_sums(session: Session, query: SumQuery, *, hotspots: Mapping[int, int]) -> Sums:
    """The sums on the live tables: one GROUP BY over the fact select."""
    facts = fact_select(session, hotspots=hotspots).subquery("facts")
    c = facts.c
    bounds = [p.utc_bounds() for p in query.buckets]
    in_bucket = [and_(c.received_at >= lo, c.received_at < hi) for lo, hi in bounds]
    bucket = case(*[(cond, index) for index, cond in enumerate(in_bucket)], else_=-1)
    sums = []
    for name in query.columns:
        expr = (
            overdue_pending_sql(c.pending_due_at, query.as_of)
            if name == OVERDUE_PENDING
            else c[name]
        )
        sums.append(func.coalesce(func.sum(expr), 0).label(name))
    groups = [c[g] for g in query.group_columns]
    stmt = (
        select(bucket.label("bucket"), *groups, *sums)
        .where(or_(*in_bucket), *sql_filters(c, query))
        .group_by(bucket, *groups)
    )
    result: Sums = {}
    width = len(groups)
    for row in session.execute(stmt):
        values = tuple(row)
        key = tuple(values[1 : 1 + width])
        result[(key, int(values[0]))] = {
            name: int(v or 0) for name, v in zip(query.columns, values[1 + width :], strict=True)
        }
    return result


def sql_filters(c: Any, query: SumQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for column, ids in query.filters.equal.items():
        present = [i for i in ids if i is not None]
        options = [c[column].in_(present)] if present else []
        if None in ids:
            options.append(c[column].is_(None))
        conditions.append(or_(*options))
    if query.exclude_appealed:
        conditions.append(c.appeal_approved == 0)
    return conditions


# ---------------------------------------------------------------------------------------------
# The engine


def evaluate(
    session: Session,
    *,
    period: Period,
    by: str = "total",
    measures: Iterable[str] | str | None = None,
    area_code: str | None = None,
    unit_code: str | None = None,
    category_code: str | None = None,
    channel_code: str | None = None,
    variants: Mapping[str, str] | None = None,
    appeals: Literal["exclude", "include"] = "exclude",
    as_of: datetime | None = None,
    backend: Backend = "sql",
    duckdb_path: Path | str | None = None,
    reference: catalog.Catalog | None = None,
) -> Assessment:
    """Evaluate ``measures`` (keys of measures.MEASURES; all when None) over ``period``.

    ``by``: one of GROUPINGS — total, district, street, unit, category, hotspot_category, month
    (the trend: one row per month of the period, each with its own 同比 and 环比) or
    district_category. Scope: ``area_code`` (a district or street: code, name or short name),
    ``unit_code``, ``category_code`` (with the categories below it), ``channel_code``.
    ``variants``: measure key → denominator variant (e.g. ``{"closure_rate": "excl_suspended"}``).
    ``appeals="exclude"`` leaves out complaints covered by an approved appeal (facts.
    appeal_approved). ``as_of`` (aware; default now) is when 超期待处置 is read.
    ``backend``: "sql" (live tables) or "duckdb" (the copy at ``duckdb_path``, default
    analytical.default_path()). ``reference``: a ``catalog.load(session)`` to reuse when
    evaluating many times in a row (see ``assess``).

    Rows cover every group with a complaint in any compared period, plus, for districts, streets
    and hot-spot categories, every configured member (zeros shown, so nobody drops out of a
    ranking). A rate with a zero denominator has value None ("—"), never 0%.
    """
    if by not in GROUPINGS:
        raise InvalidInput(
            f"未知的分组“{by}”。可选：{'、'.join(GROUPINGS)} / unknown grouping {by!r}",
            field="by",
        )
    if appeals not in ("exclude", "include"):
        raise InvalidInput(
            "appeals 应为 exclude 或 include / unknown appeals mode", field="appeals"
        )
    chosen = select_measures(measures)
    variants = dict(variants or {})
    denominators = {m.key: m.denominator_for(variants.get(m.key)) for m in chosen}
    for key in variants:
        if key not in denominators:
            raise InvalidInput(f"口径设置的指标“{key}”未被选中 / variant for unknown measure")
    # A numerator variant (派遣准确率 − 返工数) swaps the measure's numerator for this evaluation.
    chosen = tuple(m.under(variants.get(m.key)) for m in chosen)
    as_of = as_of or datetime.now(UTC)
    if as_of.tzinfo is None:
        raise InvalidInput("as_of must be timezone-aware")
    cat = reference or catalog.load(session)
    filters = catalog.resolve_filters(
        session,
        cat,
        area_code=area_code,
        unit_code=unit_code,
        category_code=category_code,
        channel_code=channel_code,
    )
    columns = sorted(
        {c for m in chosen for c in m.numerator.columns}
        | {c for d in denominators.values() if d is not None for c in d.columns}
    )
    plans = row_periods(period, by)
    buckets = _distinct(p for trio in plans.values() for p in trio)
    store = _store(backend, session, duckdb_path)
    exclude = appeals == "exclude"

    def run(periods: Sequence[Period], group_columns: tuple[str, ...]) -> dict[Period, Grouped]:
        # One aggregate query over disjoint pieces ("atoms") of the periods; each period is
        # then the sum of its atoms (last year and the previous period often overlap).
        atoms, pieces = _atoms(periods)
        query = SumQuery(tuple(atoms), group_columns, tuple(columns), filters, as_of, exclude)
        sums = store.sums(query, hotspots=cat.hotspots)
        found: dict[Period, Grouped] = {p: {} for p in periods}
        for (key, index), values in sums.items():
            for p in pieces[index]:
                acc = found[p].setdefault(key, {})
                for name, v in values.items():
                    acc[name] = acc.get(name, 0) + v
        return found

    by_bucket = run(buckets, GROUPINGS[by])
    trio = (period, period.same_period_last_year(), period.previous())
    total_sums = run(_distinct(trio), ()) if by == "month" else None

    def figures(key: tuple[Any, ...], periods: Sequence[Period], source: dict) -> dict:
        return _figures(chosen, denominators, [source[p].get(key, {}) for p in periods])

    rows: list[Row] = []
    if by == "month":
        for month, row_trio in plans.items():
            rows.append(
                Row(
                    (month,),
                    (month,),
                    _month_label(row_trio[0]),
                    figures((), row_trio, by_bucket),
                    row_trio,
                )
            )
        total = Row((), (), "合计", figures((), trio, total_sums or {}), trio)
    else:
        keys = _keys(by_bucket)
        members = catalog.members(session, cat, by, filters)
        ordered = [k for k in members] + sorted(
            (k for k in keys if k not in set(members)), key=lambda k: cat.sort_key(by, k)
        )
        for key in ordered:
            codes, label = cat.describe(by, key)
            rows.append(Row(key, codes, label, figures(key, trio, by_bucket), trio))
        total_figs = _sum_rows(chosen, denominators, by_bucket, trio)
        total = Row((), (), "合计", total_figs, trio)
    return Assessment(
        period=period,
        last_year=trio[1],
        previous=trio[2],
        by=by,
        measures=chosen,
        rows=tuple(rows),
        total=total,
        backend=backend,
        as_of=as_of,
        refreshed_at=store.refreshed_at,
        variants=variants,
        appeals=appeals,
    )


FULL_GROUPINGS = ("district", "street", "unit", "category", "hotspot_category")


def assess(
    session: Session,
    *,
    period: Period,
    groupings: Sequence[str] = FULL_GROUPINGS,
    **options: Any,
) -> dict[str, Assessment]:
    """The full assessment: every measure (unless ``measures`` says otherwise) for each of
    ``groupings``, this period against last year and the previous period; ``options`` as
    ``evaluate``. Reference data is read once."""
    reference = catalog.load(session)
    return {
        by: evaluate(session, period=period, by=by, reference=reference, **options)
        for by in groupings
    }


# ---------------------------------------------------------------------------------------------
# Helpers


def _store(backend: str, session: Session, duckdb_path: Path | str | None) -> Any:
    if backend == "sql":
        return _SqlStore(session)
    if backend == "duckdb":
        from civicdesk.assessment.analytical import DuckStore

        return DuckStore.open(duckdb_path)
    raise InvalidInput(
        f"未知的计算后端“{backend}”（sql 或 duckdb）/ unknown backend", field="backend"
    )


class _SqlStore:
    refreshed_at: datetime | None = None

    def __init__(self, session: Session) -> None:
        self.session = session

    def sums(self, query: SumQuery, *, hotspots: Mapping[int, int]) -> Sums:
        return sql_sums(self.session, query, hotspots=hotspots)


def _keys(by_bucket: Mapping[Period, Grouped]) -> list[tuple[Any, ...]]:
    seen: dict[tuple[Any, ...], None] = {}
    for grouped in by_bucket.values():
        for key in grouped:
            seen.setdefault(key, None)
    return list(seen)


def _figures(
    chosen: Sequence[Measure],
    denominators: Mapping[str, Any],
    per_period: Sequence[Mapping[str, int]],
) -> dict[str, Figure]:
    # The hot loop of a large evaluation (rows × measures × periods): plain loops, no generators.
    out = {}
    for m in chosen:
        den = denominators[m.key]
        num_terms = m.numerator.terms
        den_terms = den.terms if den is not None else None
        values = []
        for sums in per_period:
            numerator = 0
            for column, coefficient in num_terms:
                numerator += coefficient * sums.get(column, 0)
            denominator = None
            if den_terms is not None:
                denominator = 0
                for column, coefficient in den_terms:
                    denominator += coefficient * sums.get(column, 0)
            values.append(Value(numerator, denominator))
        out[m.key] = Figure(m.key, *values)
    return out


def _sum_rows(
    chosen: Sequence[Measure],
    denominators: Mapping[str, Any],
    by_bucket: Mapping[Period, Grouped],
    trio: Sequence[Period],
) -> dict[str, Figure]:
    """The total as the sum of the groups: every counted row is in exactly one group."""
    per_period = []
    for p in trio:
        acc: dict[str, int] = {}
        for values in by_bucket[p].values():
            for name, v in values.items():
                acc[name] = acc.get(name, 0) + v
        per_period.append(acc)
    return _figures(chosen, denominators, per_period)


def row_periods(period: Period, by: str) -> dict[str, tuple[Period, Period, Period]]:
    """Each row's (current, last year, previous) periods: one row, or one per month."""
    if by != "month":
        return {"": (period, period.same_period_last_year(), period.previous())}
    plans = {}
    for start, end in _months(period.start, period.end):
        current = Period(max(start, period.start), min(end, period.end))
        plans[f"{start.year:04d}-{start.month:02d}"] = (
            current,
            current.same_period_last_year(),
            current.previous(),
        )
    return plans


def _months(start: date, end: date) -> list[tuple[date, date]]:
    out = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        first = date(year, month, 1)
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        out.append((first, date.fromordinal(nxt.toordinal() - 1)))
        year, month = nxt.year, nxt.month
    return out


def _distinct(periods: Iterable[Period]) -> list[Period]:
    return list(dict.fromkeys(periods))


def _atoms(periods: Sequence[Period]) -> tuple[list[Period], list[list[Period]]]:
    """Cut the periods at every boundary into disjoint atoms; for each atom, the periods it is
    part of. Only atoms inside some period are kept."""
    cuts = sorted({p.start for p in periods} | {p.end + timedelta(days=1) for p in periods})
    atoms, pieces = [], []
    for start, nxt in itertools.pairwise(cuts):
        end = nxt - timedelta(days=1)
        owners = [p for p in periods if p.start <= start and end <= p.end]
        if owners:
            atoms.append(Period(start, end))
            pieces.append(owners)
    return atoms, pieces


def _month_label(period: Period) -> str:
    return f"{period.start.year}年{period.start.month}月"
