"""``assessment.yaml``: assessment schemes (考核方案) as configuration, and their stored versions.

A scheme says which units are assessed (districts, streets, or units of some kinds such as
squadrons), the indicators with their weights (adding up to 100), how each indicator turns a
measure into points (``rate``, ``target``, ``change``, ``relative``), penalties with caps, the
minimum sample below which a unit is listed as 样本不足 and not ranked, and the grades.

The file is validated with the rest of a configuration (``civicdesk config check``/``load``,
through ``config.policies``); each scheme is then stored as an immutable version
(``store_schemes``): the same code and version loaded again with other content is refused, so a
published assessment always points at the rules it used. ``docs/assessment.md`` documents the
format.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.assessment.scheme_models import AssessmentScheme
from civicdesk.errors import ConfigurationError, NotFound

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Problem = tuple[tuple[Any, ...], str]
WEIGHT_TOTAL = 100.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class Method(StrEnum):
    rate = "rate"  # weight × rate (or × (1 − rate) when lower is better)
    target = "target"  # full points at the target, per_point off per percentage point short
    change = "change"  # the same on the change against the same period last year (同比)
    relative = "relative"  # weight × best / value (or value / best) among the assessed units


class Better(StrEnum):
    higher = "higher"
    lower = "lower"


class Per(StrEnum):
    population = "population"  # per 10,000 residents (每万人)
    area_km2 = "area_km2"  # per square kilometre


class Indicator(_Strict):
    code: Code
    name: Name
    # A measure of the engine (assessment.measures), or the inspection score (0–100).
    source: Literal["measure", "inspection"] = "measure"
    measure: Code | None = None
    weight: float = Field(gt=0, le=100, allow_inf_nan=False)
    method: Method = Method.rate
    better: Better = Better.higher
    # target: a rate as a fraction (0.9 = 90%); change: a relative change (-0.1 = −10%).
    target: float | None = Field(default=None, allow_inf_nan=False)
    per_point: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    per: Per | None = None
    # When the figure cannot be computed (no cases to close, nothing last year): leave the unit
    # unranked with the reason (default), or give it no points, or full points.
    when_missing: Literal["unscored", "zero", "full"] = "unscored"

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if self.source == "measure" and self.measure is None:
            raise ValueError("an indicator with source 'measure' needs 'measure'")
        if self.source == "inspection" and (self.measure is not None or self.per is not None):
            raise ValueError("an inspection indicator takes no 'measure' and no 'per'")
        if self.method in (Method.target, Method.change) and self.target is None:
            raise ValueError(f"method '{self.method}' needs 'target'")
        if self.method in (Method.rate, Method.relative) and self.target is not None:
            raise ValueError(f"method '{self.method}' takes no 'target'")
        if self.per is not None and self.method != Method.relative:
            raise ValueError("'per' (normalisation) applies to method 'relative' only")
        return self


class Spots(_Strict):
    """Places (cases) with at least this many repeat complaints in the period."""

    at_least: int = Field(ge=2)


class Penalty(_Strict):
    code: Code
    name: Name
    measure: Code | None = None  # a count measure of the engine
    repeat_spots: Spots | None = None
    points: float = Field(gt=0, allow_inf_nan=False)  # deducted per item
    cap: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one_count(self) -> Penalty:
        if (self.measure is None) == (self.repeat_spots is None):
            raise ValueError("give exactly one of 'measure' and 'repeat_spots'")
        return self


class Grade(_Strict):
    code: Annotated[str, Field(min_length=1, max_length=8)]
    min: float = Field(ge=0, le=100, allow_inf_nan=False)


DEFAULT_GRADES = (
    Grade(code="A", min=90),
    Grade(code="B", min=75),
    Grade(code="C", min=60),
    Grade(code="D", min=40),
    Grade(code="E", min=0),
)


class Assess(_Strict):
    """Who is assessed: areas of a level, or units of some kinds (their covered areas)."""

    by: Literal["district", "street", "unit"]
    unit_kinds: list[Literal["squadron", "street_office", "enforcement_bureau"]] = []
    only: list[Code] = []  # area or unit codes; empty = all

    @model_validator(mode="after")
    def _kinds(self) -> Assess:
        if self.by == "unit" and not self.unit_kinds:
            raise ValueError("assessing units ('by: unit') needs 'unit_kinds'")
        if self.by != "unit" and self.unit_kinds:
            raise ValueError("'unit_kinds' applies to 'by: unit' only")
        return self


class MinSample(_Strict):
    measure: Code
    at_least: int = Field(ge=1)


class Scheme(_Strict):
    code: Code
    version: int = Field(ge=1)
    name: Name
    description: str | None = Field(default=None, max_length=2000)
    assess: Assess
    min_sample: MinSample | None = None
    indicators: list[Indicator] = Field(min_length=1)
    penalties: list[Penalty] = []
    grades: list[Grade] = list(DEFAULT_GRADES)
    # Denominator variants where cities differ: measure → variant (e.g. 金华 closure_rate:
    # excl_suspended), passed to the engine.
    variants: dict[Code, Code] = {}

    @model_validator(mode="after")
    def _weights_and_codes(self) -> Scheme:
        total = sum(i.weight for i in self.indicators)
        if abs(total - WEIGHT_TOTAL) > 1e-6:
            parts = " + ".join(f"{i.code} {i.weight:g}" for i in self.indicators)
            raise ValueError(
                f"指标权重合计应为100，现为{total:g} / indicator weights must add up to 100, "
                f"they add up to {total:g} ({parts})"
            )
        codes = [i.code for i in self.indicators] + [p.code for p in self.penalties]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"indicator/penalty code(s) used twice: {', '.join(repeated)}")
        mins = [g.min for g in self.grades]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins) or mins[-1] != 0:
            raise ValueError("grades must go from the highest 'min' down to a last grade at 0")
        return self

    def measures(self) -> list[str]:
        """Every engine measure the scheme reads (indicators, penalties, sample)."""
        names = [i.measure for i in self.indicators if i.measure]
        names += [p.measure for p in self.penalties if p.measure]
        if self.min_sample:
            names.append(self.min_sample.measure)
        return list(dict.fromkeys(names))


class AreaFact(_Strict):
    """Normalisation data of an area: population (overrides ``areas.yaml``) and land area."""

    area: Code
    population: int | None = Field(default=None, ge=1)
    area_km2: float | None = Field(default=None, gt=0, allow_inf_nan=False)


class AssessmentFile(_Strict):
    area_facts: list[AreaFact] = []
    schemes: list[Scheme] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> AssessmentFile:
        keys = [(s.code, s.version) for s in self.schemes]
        repeated = sorted({f"{c} v{v}" for c, v in keys if keys.count((c, v)) > 1})
        if repeated:
            raise ValueError(f"scheme version(s) listed twice: {', '.join(repeated)}")
        areas = [f.area for f in self.area_facts]
        twice = sorted({a for a in areas if areas.count(a) > 1})
        if twice:
            raise ValueError(f"area_facts: area(s) listed twice: {', '.join(twice)}")
        return self


def known_measures() -> dict[str, bool] | None:
    """The engine's measure names → whether each is a rate (None without an engine)."""
    try:
        from civicdesk.assessment import measures
    except ImportError:  # pragma: no cover - the engine ships with the same release
        return None
    found = getattr(measures, "MEASURES", None)
    return {key: m.is_rate for key, m in found.items()} if found else None


def _measure_problems(scheme: Scheme, measures: dict[str, bool]) -> list[str]:
    problems = [f"unknown measure {name!r}" for name in scheme.measures() if name not in measures]
    counts_only = [(p.code, p.measure) for p in scheme.penalties if p.measure]
    counts_only += [(i.code, i.measure) for i in scheme.indicators if i.per and i.measure]
    for code, name in counts_only:
        if measures.get(name):
            problems.append(
                f"{code}: measure {name!r} is a rate; penalties and 'per' need a count measure"
            )
    return problems


def cross_check(
    doc: AssessmentFile,
    *,
    unit_codes: set[str] | None,
    category_codes: set[str] | None,
    area_codes: set[str] | None = None,
) -> list[Problem]:
    """References to areas, units and measures (run at load and at start-up)."""
    found: list[Problem] = []
    for index, fact in enumerate(doc.area_facts):
        if area_codes is not None and fact.area not in area_codes:
            found.append((("area_facts", index, "area"), f"unknown area code {fact.area!r}"))
    measures = known_measures()
    for s_index, scheme in enumerate(doc.schemes):
        at = ("schemes", s_index)
        known = (unit_codes if scheme.assess.by == "unit" else area_codes) or None
        for code in scheme.assess.only:
            if known is not None and code not in known:
                noun = "unit" if scheme.assess.by == "unit" else "area"
                found.append(((*at, "assess", "only"), f"unknown {noun} code {code!r}"))
        if measures is not None:
            for problem in _measure_problems(scheme, measures):
                found.append(((*at,), f"scheme {scheme.code!r}: {problem}"))
    return found


# ---- stored versions ----------------------------------------------------------------------


def _digest(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def store_schemes(
    session: Session, document: dict[str, Any] | None, *, source: str, now: datetime
) -> tuple[int, int, list[str]]:
    """Store each scheme version of a validated ``assessment.yaml`` document not stored yet.

    Returns (created, unchanged, kept codes). A stored version is never changed: the same code
    and version with other content raises ``ConfigurationError`` (and the load rolls back)."""
    schemes = AssessmentFile.model_validate(document).schemes if document else []
    stored = {(row.code, row.version): row for row in session.scalars(select(AssessmentScheme))}
    created = unchanged = 0
    clashes: list[str] = []
    for scheme in schemes:
        data = scheme.model_dump(mode="json")
        digest = _digest(data)
        current = stored.get((scheme.code, scheme.version))
        if current is None:
            session.add(
                AssessmentScheme(
                    code=scheme.code,
                    version=scheme.version,
                    name=scheme.name,
                    document=data,
                    sha256=digest,
                    loaded_at=now,
                    source=source[:300],
                )
            )
            created += 1
        elif current.sha256 != digest:
            clashes.append(
                f"  assessment.yaml: 方案 {scheme.code} 第{scheme.version}版已载入且内容不同，"
                f"修改方案请提高 version / scheme {scheme.code!r} version {scheme.version} is "
                "already stored with other content: give the changed scheme a new version"
            )
        else:
            unchanged += 1
    if clashes:
        raise ConfigurationError("\n".join(["配置无效 / invalid configuration:", *clashes]))
    wanted = {s.code for s in schemes}
    kept = sorted({code for code, _ in stored if code not in wanted})
    session.flush()
    return created, unchanged, kept


def list_schemes(session: Session) -> list[AssessmentScheme]:
    """Every stored version, newest version of each code first."""
    return list(
        session.scalars(
            select(AssessmentScheme).order_by(
                AssessmentScheme.code, AssessmentScheme.version.desc()
            )
        )
    )


def get_scheme(session: Session, code: str, version: int | None = None) -> tuple[Scheme, int]:
    """A stored scheme (the latest version unless one is named) and its row id."""
    query = select(AssessmentScheme).where(AssessmentScheme.code == code)
    if version is None:
        latest = select(func.max(AssessmentScheme.version)).where(AssessmentScheme.code == code)
        query = query.where(AssessmentScheme.version == latest.scalar_subquery())
    else:
        query = query.where(AssessmentScheme.version == version)
    row = session.scalars(query).one_or_none()
    if row is None:
        codes = sorted(set(session.scalars(select(AssessmentScheme.code))))
        which = f"{code} 第{version}版" if version else code
        loaded = "、".join(codes) or "无，请执行 civicdesk config load"
        raise NotFound(f"没有考核方案 {which}（已载入：{loaded}） / no assessment scheme {which!r}")
    return Scheme.model_validate(row.document), row.id


def area_facts(session: Session) -> dict[str, dict[str, float | None]]:
    """area code → {population, area_km2} from the loaded ``assessment.yaml`` (may be empty)."""
    from civicdesk.config.models import Policy

    row = session.get(Policy, "assessment")
    if row is None:
        return {}
    doc = AssessmentFile.model_validate(row.document)
    return {f.area: {"population": f.population, "area_km2": f.area_km2} for f in doc.area_facts}
