"""How many complaints, on which days: the span of the history, the published targets scaled,
the relative weight of each day, and exact integer quotas per period and per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import chinese_calendar

from civicdesk.demo.calendar_fast import FastCalendar, date_of, day_number, start_of
from civicdesk.demo.shape import (
    LAST_YEAR,
    LAST_YEAR_JAN_JUL,
    MONTH_FACTOR,
    THIS_YEAR,
    THIS_YEAR_JAN_JUL,
    YearPlan,
)


@dataclass(frozen=True)
class PeriodFigures:
    complaints: int
    hotspot: int
    repeats: int


def published_targets(scale: float) -> dict[str, PeriodFigures]:
    """The January–July figures the history reproduces at ``scale`` (last, this year)."""
    last, this = LAST_YEAR_JAN_JUL, THIS_YEAR_JAN_JUL
    return {
        "last": PeriodFigures(*(round(v * scale) for v in last)),
        "this": PeriodFigures(*(round(v * scale) for v in this)),
    }


@dataclass(frozen=True)
class Span:
    """The history: 1 January of ``year - 1`` up to the day before ``today`` (at most the end
    of ``year``), as day numbers; ``end`` is the first day after it."""

    seed: int
    year: int
    today: date
    scale: float
    first: int
    end: int

    @classmethod
    def of(cls, seed: int, year: int, today: date, scale: float) -> Span:
        first = day_number(date(year - 1, 1, 1))
        end = min(day_number(today), day_number(date(year + 1, 1, 1)))
        return cls(seed, year, today, scale, first, end)

    @property
    def now(self) -> int:
        """The history stops at midnight before ``today``."""
        return start_of(self.end)

    def rates(self, day: int) -> YearPlan:
        return THIS_YEAR if date_of(day).year == self.year else LAST_YEAR


class Period(NamedTuple):
    """Days ``lo`` up to ``hi`` (excluded) and their exact totals."""

    lo: int
    hi: int
    total: int
    repeats: int
    hot: int


class Volumes:
    """Relative volume of each day and the periods' exact totals."""

    def __init__(self, span: Span, calendar: FastCalendar) -> None:
        self.span, self.cal = span, calendar
        self._weights: dict[int, float] = {}

    def day_weight(self, day: int) -> float:
        """Relative volume of a day: season, weekends and holidays, the Spring Festival dip."""
        weight = self._weights.get(day)
        if weight is None:
            weight = self._weights[day] = self._compute_day_weight(day)
        return weight

    def _compute_day_weight(self, day: int) -> float:
        d = date_of(day)
        weight = MONTH_FACTOR[d.month]
        try:
            name = chinese_calendar.get_holiday_detail(d)[1]
        except NotImplementedError:
            name = None
        if name == chinese_calendar.Holiday.spring_festival.value:
            return weight * 0.4
        if not self.cal.is_workday(day):
            return weight * (0.65 if name else 0.78)
        return weight

    def periods(self) -> list[Period]:
        """January–July and August–December of both years, clipped to the history;
        January–July carry the source's figures, the rest the same rates."""
        span, result = self.span, []
        for year, figures in ((span.year - 1, LAST_YEAR_JAN_JUL), (span.year, THIS_YEAR_JAN_JUL)):
            jan, aug = day_number(date(year, 1, 1)), day_number(date(year, 8, 1))
            nxt = day_number(date(year + 1, 1, 1))
            base = sum(self.day_weight(d) for d in range(jan, aug))
            for lo, hi in ((jan, aug), (aug, nxt)):
                lo, hi = max(lo, span.first), min(hi, span.end)
                if lo >= hi:
                    continue
                share = sum(self.day_weight(d) for d in range(lo, hi)) / base
                total, hot, repeats = (round(v * span.scale * share) for v in figures)
                result.append(Period(lo, hi, total, repeats, hot))
        return result


def apportion(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder apportionment: integers proportional to ``weights`` summing to
    ``total`` exactly."""
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    quotas = [total * w / weight_sum for w in weights]
    result = [int(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (result[i] - quotas[i], i))
    for i in order[: total - sum(result)]:
        result[i] += 1
    return result
