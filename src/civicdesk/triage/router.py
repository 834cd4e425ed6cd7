"""Routing rules (``routing.yaml``): (category, area) → the responsible unit, as data.

A rule names a category and/or an area (each matching itself and everything below it) and
either a unit, or a kind of unit (the unit of that kind covering the complaint's place). The
rule that applies is the one with the highest ``priority``; among equal priorities the most
specific (the deeper its category plus the deeper its area in their trees), then the first in
the file. When no rule applies, the ``default`` takes the first unit covering the place among
the listed kinds, else the fallback unit. Every answer says which rule made it, so the case
page can show "派往 西溪中队：规则 违法停车 × 西溪街道".

The rule evaluation is pure (plain values in, a ``Route`` out); the cross-check against the
configured codes runs in ``config check``/``config load``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

UNIT_KINDS = (
    "centre",
    "district_government",
    "enforcement_bureau",
    "squadron",
    "street_office",
    "department",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class RuleEntry(_Strict):
    category: str | None = Field(default=None, max_length=64)
    area: str | None = Field(default=None, max_length=32)
    unit: str | None = Field(default=None, max_length=64)
    unit_kind: str | None = None
    priority: int = 0
    why: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _target(self) -> RuleEntry:
        if (self.unit is None) == (self.unit_kind is None):
            raise ValueError("give either 'unit' (a unit code) or 'unit_kind', not both")
        if self.unit_kind is not None and self.unit_kind not in UNIT_KINDS:
            raise ValueError(f"unit_kind must be one of {', '.join(UNIT_KINDS)}")
        if self.category is None and self.area is None:
            raise ValueError("a rule needs a 'category', an 'area' or both (use 'default')")
        return self


class DefaultEntry(_Strict):
    unit_kinds: list[str] = Field(default_factory=lambda: ["squadron", "street_office"])
    unit: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _kinds(self) -> DefaultEntry:
        unknown = [k for k in self.unit_kinds if k not in UNIT_KINDS]
        if unknown:
            raise ValueError(f"unknown unit kind(s) {', '.join(unknown)}")
        return self


class RoutingFile(_Strict):
    default: DefaultEntry = DefaultEntry()
    rules: list[RuleEntry] = []


def cross_check(
    doc: RoutingFile,
    *,
    unit_codes: set[str] | None,
    category_codes: set[str] | None,
    area_codes: set[str] | None = None,
) -> list[tuple[tuple[Any, ...], str]]:
    problems: list[tuple[tuple[Any, ...], str]] = []
    if unit_codes is not None and doc.default.unit and doc.default.unit not in unit_codes:
        problems.append((("default", "unit"), f"unknown unit {doc.default.unit!r}"))
    for index, rule in enumerate(doc.rules):
        at = ("rules", index)
        if unit_codes is not None and rule.unit and rule.unit not in unit_codes:
            problems.append(((*at, "unit"), f"unknown unit {rule.unit!r}"))
        if category_codes is not None and rule.category and rule.category not in category_codes:
            problems.append(((*at, "category"), f"unknown category {rule.category!r}"))
        if area_codes is not None and rule.area and rule.area not in area_codes:
            problems.append(((*at, "area"), f"unknown area {rule.area!r}"))
    return problems


# ---- evaluating ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    code: str
    name: str


@dataclass(frozen=True)
class Route:
    unit: str | None  # unit code
    rule: int | None  # index in routing.yaml's rules; None for the default
    explanation: str


def route(
    doc: RoutingFile,
    *,
    categories: Sequence[Named],
    areas: Sequence[Named],
    covering: Sequence[tuple[str, str, str]],
    unit_names: dict[str, str],
) -> Route:
    """The unit for a complaint.

    ``categories``: the category and its ancestors, most specific first (empty: unclassified);
    ``areas``: the place and its ancestors, most specific first (empty: not located);
    ``covering``: (unit code, kind, covered area name) of the units covering the place, in the
    order ``config.service.units_covering`` gives (most specific first within a kind)."""
    cat_depth = {c.code: len(categories) - i for i, c in enumerate(categories)}
    area_depth = {a.code: len(areas) - i for i, a in enumerate(areas)}
    candidates = []
    for index, rule in enumerate(doc.rules):
        if rule.category is not None and rule.category not in cat_depth:
            continue
        if rule.area is not None and rule.area not in area_depth:
            continue
        specificity = cat_depth.get(rule.category or "", 0) + area_depth.get(rule.area or "", 0)
        candidates.append((-rule.priority, -specificity, index, rule))
    for _, _, index, rule in sorted(candidates, key=lambda c: c[:3]):
        unit = rule.unit or _first_of_kind(covering, [rule.unit_kind or ""])
        if unit is None:
            continue  # no unit of that kind covers the place: the next rule decides
        return Route(unit, index, _explain(rule, unit, categories, areas, unit_names))
    unit = _first_of_kind(covering, doc.default.unit_kinds) or doc.default.unit
    if unit is None:
        return Route(None, None, "无适用规则，且没有单位覆盖该地点 / no rule and no covering unit")
    where = areas[0].name if areas else "全市"
    return Route(unit, None, f"派往 {unit_names.get(unit, unit)}：默认规则（{where}的责任单位）")


def _first_of_kind(covering: Sequence[tuple[str, str, str]], kinds: Sequence[str]) -> str | None:
    for kind in kinds:
        for code, unit_kind, _ in covering:
            if unit_kind == kind:
                return code
    return None


def _explain(
    rule: RuleEntry,
    unit: str,
    categories: Sequence[Named],
    areas: Sequence[Named],
    unit_names: dict[str, str],
) -> str:
    names = {c.code: c.name for c in categories} | {a.code: a.name for a in areas}
    parts = [names.get(code, code) for code in (rule.category, rule.area) if code]
    text = f"派往 {unit_names.get(unit, unit)}：规则 {' × '.join(parts)}"
    return f"{text}（{rule.why}）" if rule.why else text
