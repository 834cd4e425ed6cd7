"""``supervision.yaml``: time limits per grade and category, the 临期 warning, supervising levels,
supervision grades, the grade suggestion's weights and the urging/escalation rules.

The schema checks what the file can know about itself (types, signs, that every grade names a
level, that every rule has one condition); ``cross_check`` checks its references to the units and
categories of the same configuration. Both run at ``config load`` and again when the server or the
worker starts (``active_policy``), so a broken rule is refused at once, never found by a sweep at
3 a.m. ``docs/configuration.md`` documents the format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from civicdesk.core.calendar import WorkCalendar

_DURATION = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*(h|d)\s*")
STEPS = ("accept", "handle", "reply")  # 签收, 处置, 答复
# The centre's own steps before a unit is involved: 立案 (from opening) and 派遣 (from filing).
# Their limits come from ``centre_limits`` (per category) and, like the others, from a grade.
CENTRE_STEPS = ("file", "dispatch")
LIMIT_STEPS = (*CENTRE_STEPS, *STEPS)
FACTORS = (
    "complaints",
    "complainants",
    "repeats",
    "media_attention",
    "leader_attention",
    "departments",
    "long_standing",
    "needs_demolition",
)


@dataclass(frozen=True)
class Duration:
    """A span of working time: ``4h`` working hours or ``2d`` working days (office hours and the
    official calendar decide which hours and days count)."""

    amount: float
    unit: str  # "h" | "d"

    @classmethod
    def parse(cls, text: str) -> Duration:
        return _parse(str(text))

    @classmethod
    def _from_text(cls, text: str) -> Duration:
        match = _DURATION.fullmatch(text)
        if not match:
            raise ValueError(
                "时限格式应为“4h”(工作小时)或“2d”(工作日) / a time limit looks like '4h' "
                "(working hours) or '2d' (working days)"
            )
        amount, unit = float(match.group(1)), match.group(2)
        if amount < 0 or not math.isfinite(amount):
            raise ValueError("时限不能为负数 / a time limit must not be negative")
        if unit == "d" and amount != int(amount):
            raise ValueError("working days are whole days (use hours: '12h')")
        return cls(amount, unit)

    def after(self, calendar: WorkCalendar, start: datetime) -> datetime:
        """When this much working time has passed after ``start``."""
        if self.unit == "h":
            return calendar.due_after_working_hours(start, self.amount)
        return calendar.due_after_working_days(start, int(self.amount))

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit}"

    @property
    def label(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}个工作{'小时' if self.unit == 'h' else '日'}"


@lru_cache(maxsize=256)
def _parse(text: str) -> Duration:
    # The sweep reads each rule's span for thousands of cases: parse each text once.
    return Duration._from_text(text)


def _duration(value: Any) -> str:
    return str(Duration.parse(value))


DurationText = Annotated[str, AfterValidator(_duration)]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=50)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class StepLimits(_Strict):
    file: DurationText | None = None
    dispatch: DurationText | None = None
    accept: DurationText | None = None
    handle: DurationText | None = None
    reply: DurationText | None = None


class CentreLimits(_Strict):
    """立案 and 派遣 limits of one category (and its sub-categories), or of every category
    (the entry ``default``)."""

    file: DurationText | None = None
    dispatch: DurationText | None = None


class WarningLead(_Strict):
    """临期: a step due within its lead is flagged and its unit reminded. Per step, so that a
    one-hour acceptance limit is not "due soon" the moment it is set."""

    accept: DurationText = "0.5h"
    handle: DurationText = "4h"
    reply: DurationText = "2h"


class Level(_Strict):
    code: Code
    name: Name
    # How far up the unit chain (Unit.parent_id) the supervising unit is; past the top of a
    # chain it is the centre.
    up: int = Field(ge=0, le=10)


class Grade(_Strict):
    code: Code
    name: Name
    level: Code  # the supervising level (a code of ``levels``)
    limits: StepLimits = StepLimits()
    report_every: DurationText | None = None  # the unit reports progress this often
    mark: str | None = Field(default=None, max_length=20)  # shown on reports and the board


class Factor(_Strict):
    points: float = Field(ge=0, allow_inf_nan=False)
    cap: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class Suggestion(_Strict):
    factors: dict[str, Factor] = {}
    # grade code → the least score that suggests it (the highest grade reached wins)
    thresholds: dict[str, float] = {}

    @model_validator(mode="after")
    def _known_factors(self) -> Suggestion:
        unknown = sorted(set(self.factors) - set(FACTORS))
        if unknown:
            raise ValueError(f"unknown factor(s) {', '.join(unknown)}; use {', '.join(FACTORS)}")
        if any(v < 0 or not math.isfinite(v) for v in self.thresholds.values()):
            raise ValueError("thresholds must be non-negative scores")
        return self


class Issue(StrEnum):
    urge = "urge"  # 催办 to the handling unit
    supervise = "supervise"  # 督办 to the handling unit
    escalate = "escalate"  # 升级督办 to a unit up the chain


class When(_Strict):
    overdue_by: DurationText | None = None
    complaints_at_least: int | None = Field(default=None, ge=2)
    leader_flag: bool | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> When:
        given = [k for k, v in self.model_dump().items() if v is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one condition: overdue_by, complaints_at_least or leader_flag"
            )
        if self.leader_flag is False:
            raise ValueError("leader_flag: true is the only meaningful value")
        return self


class Rule(_Strict):
    code: Code
    name: Name
    when: When
    issue: Issue
    to: Code | None = None  # escalate: the level code to escalate to
    steps: list[str] = ["accept", "handle"]

    @model_validator(mode="after")
    def _target(self) -> Rule:
        if self.issue == Issue.escalate and self.to is None:
            raise ValueError("an escalation rule needs 'to': the level it escalates to")
        if self.issue != Issue.escalate and self.to is not None:
            raise ValueError("'to' is for escalation rules only")
        unknown = sorted(set(self.steps) - {"accept", "handle"})
        if unknown or not self.steps:
            raise ValueError("steps: a list of 'accept' and/or 'handle' (the unit's own steps)")
        if self.when.overdue_by is None and self.issue == Issue.escalate:
            raise ValueError("escalation follows lateness: use 'overdue_by' with 'escalate'")
        return self


class Contact(_Strict):
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")


class SupervisionFile(_Strict):
    centre: Code  # the unit at the top of every chain (its staff see every escalation)
    warning: WarningLead = WarningLead()
    levels: list[Level] = Field(min_length=1)
    grades: list[Grade] = Field(min_length=1)
    # category code (applies to its sub-categories) → grade code → step limits
    limits: dict[str, dict[str, StepLimits]] = {}
    # 立案/派遣 limits: "default" → every category; a category code → it and its sub-categories
    centre_limits: dict[str, CentreLimits] = {}
    suggestion: Suggestion = Suggestion()
    rules: list[Rule] = []
    contacts: dict[str, Contact] = {}


# ---- references -------------------------------------------------------------------------

Problem = tuple[tuple[Any, ...], str]


def cross_check(
    doc: SupervisionFile, *, unit_codes: set[str] | None, category_codes: set[str] | None
) -> list[Problem]:
    """References inside the file (levels, grades, rule codes) and to units and categories;
    ``None`` for codes that could not be read (their own file's errors are reported)."""
    problems: list[Problem] = []
    problems += _unique(doc.levels, "levels") + _unique(doc.grades, "grades")
    problems += _unique(doc.rules, "rules")
    levels = {level.code for level in doc.levels}
    grades = {grade.code for grade in doc.grades}
    for i, grade in enumerate(doc.grades):
        if grade.level not in levels:
            problems.append((("grades", i, "level"), _unknown("level", grade.level, levels)))
    for i, rule in enumerate(doc.rules):
        if rule.to is not None and rule.to not in levels:
            problems.append((("rules", i, "to"), _unknown("level", rule.to, levels)))
    for category in doc.centre_limits:
        if category_codes is not None and category != "default" and category not in category_codes:
            at = ("centre_limits", category)
            problems.append((at, f"unknown category {category!r} (or 'default')"))
    for code in doc.suggestion.thresholds:
        if code not in grades:
            at = ("suggestion", "thresholds", code)
            problems.append((at, _unknown("grade", code, grades)))
    for category, by_grade in doc.limits.items():
        if category_codes is not None and category not in category_codes:
            problems.append((("limits", category), f"unknown category {category!r}"))
        for code in by_grade:
            if code not in grades:
                problems.append((("limits", category, code), _unknown("grade", code, grades)))
    if unit_codes is not None:
        if doc.centre not in unit_codes:
            problems.append((("centre",), f"unknown unit {doc.centre!r}"))
        for code in doc.contacts:
            if code not in unit_codes:
                problems.append((("contacts", code), f"unknown unit {code!r}"))
    return problems


def _unique(entries: Iterable[Any], where: str) -> list[Problem]:
    seen: set[str] = set()
    problems: list[Problem] = []
    for i, entry in enumerate(entries):
        if entry.code in seen:
            problems.append(((where, i, "code"), f"duplicate code {entry.code!r}"))
        seen.add(entry.code)
    return problems


def _unknown(noun: str, code: str, known: set[str]) -> str:
    return f"unknown {noun} {code!r} (known: {', '.join(sorted(known)) or 'none'})"


# ---- the policy in use ------------------------------------------------------------------


class SupervisionPolicy:
    """The loaded ``supervision.yaml`` as the services use it. Without one (a configuration
    that has no such file) there are no grades and no rules, limits come from the categories,
    and the warning leads are the defaults of ``WarningLead``."""

    def __init__(self, doc: SupervisionFile | None) -> None:
        self.doc = doc
        lead = doc.warning if doc else WarningLead()
        self.warning_before = {step: Duration.parse(getattr(lead, step)) for step in STEPS}
        self.grades = {g.code: g for g in doc.grades} if doc else {}
        self.levels = {level.code: level for level in doc.levels} if doc else {}
        self.rules = list(doc.rules) if doc else []
        self.centre = doc.centre if doc else None

    def grade(self, code: str | None) -> Grade | None:
        return self.grades.get(code) if code else None

    def grade_limits(self, categories: list[str], grade: str | None) -> dict[str, Duration]:
        """The steps whose limit the grade sets, for a case in ``categories`` (its category and
        the ancestors, most specific first): the category × grade entry wins over the grade's
        own limits; steps neither sets are left to the category (``categories.yaml``)."""
        found = self.grade(grade)
        if found is None or self.doc is None:
            return {}
        chosen: dict[str, Duration] = {}
        layers = [self.doc.limits.get(code, {}).get(found.code) for code in categories]
        for layer in [*layers, found.limits]:
            if layer is None:
                continue
            for step in LIMIT_STEPS:
                value = getattr(layer, step)
                if value is not None and step not in chosen:
                    chosen[step] = Duration.parse(value)
        return chosen

    def centre_limit(self, categories: list[str], step: str) -> Duration | None:
        """The 立案 or 派遣 limit (``step`` "file" or "dispatch") of a case in ``categories``
        (most specific first; empty for a case not yet classified): the nearest category entry
        of ``centre_limits`` that sets it, else ``default``; None when nothing sets it."""
        if self.doc is None:
            return None
        for code in [*categories, "default"]:
            entry = self.doc.centre_limits.get(code)
            value = getattr(entry, step) if entry is not None else None
            if value is not None:
                return Duration.parse(value)
        return None

    def report_every(self, grade: str | None) -> Duration | None:
        found = self.grade(grade)
        return Duration.parse(found.report_every) if found and found.report_every else None

    def contact(self, unit_code: str) -> Contact | None:
        return self.doc.contacts.get(unit_code) if self.doc else None
