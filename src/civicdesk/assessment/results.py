"""What the engine returns: per row and measure, the figure this period, last year and the
previous period, with its changes (re-exported by ``assessment.engine``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from civicdesk.assessment.measures import HUNDREDTH, Measure, rate
from civicdesk.reports.periods import Period


@dataclass(frozen=True, slots=True)
class Value:
    """A measure's numerator and denominator over one period; ``value`` is the figure."""

    numerator: int
    denominator: int | None  # None for a count

    @property
    def value(self) -> int | Decimal | None:
        """The count, or the rate in per cent (2 decimals, half up; None when undefined)."""
        if self.denominator is None:
            return self.numerator
        return rate(self.numerator, self.denominator)

    def to_dict(self) -> dict[str, Any]:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": _json_number(self.value),
        }


@dataclass(frozen=True, slots=True)
class Figure:
    """One measure for one row: this period, the same period last year, the previous period."""

    measure: str
    current: Value
    last_year: Value
    previous: Value

    @property
    def value(self) -> int | Decimal | None:
        return self.current.value

    @property
    def numerator(self) -> int:
        return self.current.numerator

    @property
    def denominator(self) -> int | None:
        return self.current.denominator

    @property
    def yoy_change(self) -> int | Decimal | None:
        """同比增减: count difference, or rate difference in percentage points."""
        return _change(self.current.value, self.last_year.value)

    @property
    def yoy_percent(self) -> Decimal | None:
        """同比增减幅 in per cent (2 decimals half up); None without a base."""
        return _relative(self.current.value, self.last_year.value)

    @property
    def prev_change(self) -> int | Decimal | None:
        """环比增减."""
        return _change(self.current.value, self.previous.value)

    @property
    def prev_percent(self) -> Decimal | None:
        """环比增减幅 in per cent."""
        return _relative(self.current.value, self.previous.value)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.current.to_dict(),
            "last_year": self.last_year.to_dict(),
            "previous": self.previous.to_dict(),
            "yoy_change": _json_number(self.yoy_change),
            "yoy_percent": _json_number(self.yoy_percent),
            "prev_change": _json_number(self.prev_change),
            "prev_percent": _json_number(self.prev_percent),
        }


@dataclass(frozen=True)
class Row:
    """One group: ``key`` holds the fact ids of the grouping (``()`` for the total, the month
    as 'YYYY-MM' for the trend); ``codes`` the configured codes; ``label`` the Chinese name."""

    key: tuple[Any, ...]
    codes: tuple[str | None, ...]
    label: str
    figures: Mapping[str, Figure]
    periods: tuple[Period, Period, Period]  # current, last year, previous (for this row)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": list(self.key),
            "codes": list(self.codes),
            "label": self.label,
            "period": _period_dict(self.periods[0]),
            "figures": {k: f.to_dict() for k, f in self.figures.items()},
        }


@dataclass(frozen=True)
class Assessment:
    period: Period
    last_year: Period
    previous: Period
    by: str
    measures: tuple[Measure, ...]
    rows: tuple[Row, ...]
    total: Row
    backend: str
    as_of: datetime  # the moment time-dependent measures (超期待处置) are read at
    refreshed_at: datetime | None  # duckdb: when its copy was taken; None on the live tables
    variants: Mapping[str, str] = field(default_factory=dict)
    appeals: str = "exclude"

    @property
    def empty(self) -> bool:
        """True when no complaint at all falls in the period (every figure is 0 or "—")."""
        return all(
            f.current.numerator == 0 and not f.current.denominator
            for f in self.total.figures.values()
        )

    def row(self, *codes: str | None) -> Row:
        for row in self.rows:
            if row.codes == codes or row.key == codes:
                return row
        raise KeyError(codes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": _period_dict(self.period),
            "last_year": _period_dict(self.last_year),
            "previous": _period_dict(self.previous),
            "by": self.by,
            "backend": self.backend,
            "as_of": self.as_of.isoformat(),
            "refreshed_at": self.refreshed_at.isoformat() if self.refreshed_at else None,
            "variants": dict(self.variants),
            "appeals": self.appeals,
            "empty": self.empty,
            "measures": [
                {"key": m.key, "name": m.name, "rate": m.is_rate, "definition": m.definition}
                for m in self.measures
            ],
            "total": self.total.to_dict(),
            "rows": [r.to_dict() for r in self.rows],
        }


def _change(current: int | Decimal | None, base: int | Decimal | None) -> int | Decimal | None:
    if current is None or base is None:
        return None
    return current - base


def _relative(current: int | Decimal | None, base: int | Decimal | None) -> Decimal | None:
    if current is None or base is None or base == 0:
        return None
    ratio = (Decimal(current) - Decimal(base)) * 100 / Decimal(base)
    return ratio.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def _json_number(value: int | Decimal | None) -> int | float | None:
    if value is None or isinstance(value, int):
        return value
    return float(value)


def _period_dict(period: Period) -> dict[str, str]:
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "label": period.label()}
