"""``score(session, scheme, period)``: a scheme applied to a period, unit by unit.

The figures come from the measures engine (``engine.evaluate``, approved appeals left out); the
inspection scores, the normalisation data (population, land area), the repeat spots of the
penalties and the number of approved appeals (核减) are read here; the arithmetic is
``scoring.score_units``. Every unit the scheme assesses is listed — a unit with no data, too
small a sample, or no configured area is shown with the reason, never silently dropped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.assessment import engine
from civicdesk.assessment.facts import appeal_approved
from civicdesk.assessment.scheme_models import Appeal, Inspection
from civicdesk.assessment.schemes import Scheme, area_facts, get_scheme
from civicdesk.assessment.scoring import Figure, UnitInput, UnitScore, score_units
from civicdesk.cases.models import Case
from civicdesk.errors import InvalidInput
from civicdesk.intake.models import Complaint
from civicdesk.org.models import Area, AreaLevel, Unit, unit_areas
from civicdesk.repeats import conditions as repeat_conditions
from civicdesk.repeats.models import RepeatLink
from civicdesk.reports.periods import Period


@dataclass(frozen=True)
class Assessed:
    """One assessed unit or area: its code, name, database id, and the areas it answers for."""

    code: str
    name: str
    id: int
    areas: frozenset[int]  # the area and every area below it (units: their covered areas)
    covers: tuple[int, ...]  # the area itself, or the unit's covered areas


@dataclass
class Scorecard:
    scheme: Scheme
    scheme_version: int
    period: Period
    backend: str
    as_of: datetime
    refreshed_at: datetime | None
    results: list[UnitScore]
    inputs: list[UnitInput]

    def to_dict(self) -> dict[str, Any]:
        inputs = {u.code: u for u in self.inputs}
        return {
            "scheme": {
                "code": self.scheme.code,
                "version": self.scheme.version,
                "name": self.scheme.name,
                "document": self.scheme.model_dump(mode="json"),
            },
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "label": self.period.label(),
            "backend": self.backend,
            "as_of": self.as_of.isoformat(),
            "refreshed_at": self.refreshed_at.isoformat() if self.refreshed_at else None,
            "units": [asdict(r) | {"inputs": _input_dict(inputs[r.code])} for r in self.results],
        }


def _input_dict(unit: UnitInput) -> dict[str, Any]:
    """What a unit was scored on: every figure, the inspections, the normalisers."""
    return {
        "figures": {k: asdict(f) for k, f in unit.figures.items()},
        "inspection": unit.inspection,
        "inspection_count": unit.inspection_count,
        "population": unit.population,
        "area_km2": unit.area_km2,
        "penalty_counts": dict(unit.penalty_counts),
    }


def score(
    session: Session,
    scheme: Scheme | str,
    period: Period,
    *,
    as_of: datetime | None = None,
    backend: engine.Backend = "sql",
    duckdb_path: Path | str | None = None,
) -> Scorecard:
    """Score every unit the scheme assesses over ``period`` (a stored scheme's code, or a
    scheme). Raises ``InvalidInput`` when the period holds no complaint at all."""
    if isinstance(scheme, str):
        scheme, _ = get_scheme(session, scheme)
    as_of = as_of or datetime.now(UTC)
    result = engine.evaluate(
        session,
        period=period,
        by=scheme.assess.by,
        # "complaints" always: a period with complaints but no dispatched case is not empty.
        measures=list(dict.fromkeys([*scheme.measures(), "complaints"])),
        variants=scheme.variants,
        as_of=as_of,
        backend=backend,
        duckdb_path=duckdb_path,
    )
    if result.empty:
        raise InvalidInput(
            f"{period.label()}（{period.start} 至 {period.end}）没有任何投诉数据，无法考核；"
            "请检查期间或先导入数据 / no complaint at all in this period: nothing to assess",
            field="period",
        )
    assessed = assessed_units(session, scheme)
    rows = {row.codes[0]: row for row in result.rows if row.codes}
    inspections = _inspection_means(session, period, assessed)
    spots = _repeat_spots(session, scheme, period)
    appeals = _approved_appeals(session, scheme, period)
    facts = area_facts(session) if any(i.per for i in scheme.indicators) else {}
    needs_area = any(i.source == "inspection" or i.per for i in scheme.indicators)
    inputs = []
    for unit in assessed:
        row = rows.get(unit.code)
        figures = {k: _figure(f) for k, f in row.figures.items()} if row else {}
        counts = {
            p.code: int(figures[p.measure].value or 0) if p.measure in figures else 0
            for p in scheme.penalties
            if p.measure
        }
        counts |= {
            p.code: spots.get((p.code, unit.id), 0) for p in scheme.penalties if p.repeat_spots
        }
        problem = None
        if needs_area and not unit.areas:
            problem = (
                "单位未配置责任区域（units.yaml 的 covers），无法取得街面检查与人口数据，不参与评分"
            )
        mean, count = inspections.get(unit.id, (None, 0))
        population, land_area = _normalisers(session, scheme, unit, facts)
        inputs.append(
            UnitInput(
                unit.code,
                unit.name,
                figures,
                inspection=mean,
                inspection_count=count,
                population=population,
                area_km2=land_area,
                penalty_counts=counts,
                appeals_approved=appeals.get(unit.id, 0),
                problem=problem,
            )
        )
    return Scorecard(
        scheme,
        scheme.version,
        period,
        backend,
        as_of,
        result.refreshed_at,
        score_units(scheme, inputs),
        inputs,
    )


def _figure(figure: engine.Figure) -> Figure:
    def number(value: int | Decimal | None, rate: bool) -> float | None:
        if value is None:
            return None
        return float(value) / 100 if rate else float(value)

    rate = figure.denominator is not None
    return Figure(
        number(figure.value, rate),
        numerator=float(figure.numerator),
        denominator=None if figure.denominator is None else float(figure.denominator),
        last_year=number(figure.last_year.value, rate),
        previous=number(figure.previous.value, rate),
    )


def _tree(session: Session) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for area_id, parent_id in session.execute(select(Area.id, Area.parent_id)):
        if parent_id is not None:
            children.setdefault(parent_id, []).append(area_id)
    return children


def _below(children: dict[int, list[int]], roots: list[int]) -> frozenset[int]:
    found, stack = set(roots), list(roots)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return frozenset(found)


def assessed_units(session: Session, scheme: Scheme) -> list[Assessed]:
    """The areas (districts or streets) or units the scheme assesses, in configuration order."""
    children = _tree(session)
    only = set(scheme.assess.only)
    if scheme.assess.by in ("district", "street"):
        level = AreaLevel.district if scheme.assess.by == "district" else AreaLevel.street
        areas = session.scalars(
            select(Area).where(Area.level == level).order_by(Area.sort_order, Area.id)
        ).all()
        return [
            Assessed(a.code, a.name, a.id, _below(children, [a.id]), (a.id,))
            for a in areas
            if not only or a.code in only
        ]
    covered: dict[int, list[int]] = {}
    for unit_id, area_id in session.execute(select(unit_areas.c.unit_id, unit_areas.c.area_id)):
        covered.setdefault(unit_id, []).append(area_id)
    units = session.scalars(
        select(Unit).where(Unit.kind.in_(scheme.assess.unit_kinds)).order_by(Unit.id)
    ).all()
    return [
        Assessed(
            u.code,
            u.name,
            u.id,
            _below(children, covered.get(u.id, [])),
            tuple(covered.get(u.id, [])),
        )
        for u in units
        if not only or u.code in only
    ]


def _inspection_means(
    session: Session, period: Period, assessed: list[Assessed]
) -> dict[int, tuple[float, int]]:
    """Mean inspection score per assessed unit over the inspections in its areas."""
    rows = session.execute(
        select(Inspection.area_id, Inspection.score).where(
            Inspection.inspected_on >= period.start, Inspection.inspected_on <= period.end
        )
    ).all()
    means: dict[int, tuple[float, int]] = {}
    for unit in assessed:
        scores = [s for area_id, s in rows if area_id in unit.areas]
        if scores:
            means[unit.id] = (round(sum(scores) / len(scores), 2), len(scores))
    return means


def _repeat_spots(session: Session, scheme: Scheme, period: Period) -> dict[tuple[str, int], int]:
    """(penalty code, group id) → spots with at least N repeat complaints in the period.

    A spot is the place the repeat detector read (``RepeatLink.place``, as the repeats
    dashboard's 热难点); counted repeats only, approved appeals left out. Read from the repeat
    links on the live tables whatever the backend (the DuckDB copy has no place column)."""
    wanted = [p for p in scheme.penalties if p.repeat_spots]
    if not wanted:
        return {}
    lo, hi = period.utc_bounds()
    group = {
        "district": Complaint.district_id,
        "street": Complaint.street_id,
        "unit": Case.unit_id,
    }[scheme.assess.by]
    per_place = (
        select(group.label("group_id"), func.count().label("repeats"))
        .select_from(RepeatLink)
        .join(Complaint, Complaint.id == RepeatLink.complaint_id)
        .outerjoin(Case, Case.id == Complaint.case_id)
        .where(
            RepeatLink.received_at >= lo,
            RepeatLink.received_at < hi,
            RepeatLink.place.is_not(None),
            repeat_conditions.repeat(),
            ~appeal_approved(),
        )
        .group_by(group, RepeatLink.place)
        .subquery()
    )
    found: dict[tuple[str, int], int] = {}
    for penalty in wanted:
        assert penalty.repeat_spots is not None
        stmt = (
            select(per_place.c.group_id, func.count())
            .where(
                per_place.c.repeats >= penalty.repeat_spots.at_least,
                per_place.c.group_id.is_not(None),
            )
            .group_by(per_place.c.group_id)
        )
        found |= {(penalty.code, int(g)): int(n) for g, n in session.execute(stmt)}
    return found


def _approved_appeals(session: Session, scheme: Scheme, period: Period) -> dict[int, int]:
    """核减: approved appeals of complaints received in the period, per assessed group."""
    lo, hi = period.utc_bounds()
    if scheme.assess.by == "unit":
        group = Appeal.unit_id
    else:
        group = Complaint.district_id if scheme.assess.by == "district" else Complaint.street_id
    stmt = (
        select(group, func.count())
        .select_from(Appeal)
        .join(Complaint, Complaint.id == Appeal.complaint_id)
        .where(Appeal.status == "approved", Complaint.received_at >= lo, Complaint.received_at < hi)
        .group_by(group)
    )
    return {gid: int(n) for gid, n in session.execute(stmt) if gid is not None}


def _normalisers(
    session: Session,
    scheme: Scheme,
    unit: Assessed,
    facts: dict[str, dict[str, float | None]],
) -> tuple[float | None, float | None]:
    """Population and land area of what the unit answers for: the sum over its covered areas
    (``assessment.yaml`` area_facts first, then ``areas.yaml`` population); None when any of
    them lacks the figure, so no unit is compared on a partial base."""
    if not any(i.per for i in scheme.indicators):
        return None, None
    areas = session.scalars(select(Area).where(Area.id.in_(unit.covers))).all()
    if not areas:
        return None, None
    people = [facts.get(a.code, {}).get("population") or a.population for a in areas]
    land = [facts.get(a.code, {}).get("area_km2") for a in areas]
    population = float(sum(p for p in people if p)) if all(people) else None
    land_area = float(sum(x for x in land if x)) if all(land) else None
    return population, land_area
