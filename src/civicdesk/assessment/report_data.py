"""A report as plain data: a title, a narrative, tables of rows, chart series. The writers
(``workbook.py`` for Excel, ``pdf.py``, the HTML template) take only this, so each is tested on
hand-made rows and none queries the database; ``dashboard.build_report`` fills it.

Values in rows are plain Python: ``int`` counts, ``float`` fractions for rates and relative
changes (−0.4942 is −49.42 %; Excel shows it with a ``0.00%`` format), ``None`` for "no value"
(a change against an empty base), ``str`` for names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from civicdesk.reports.summary import Comparison


class Kind(StrEnum):
    text = "text"
    count = "count"  # 16676
    change = "change"  # +16295 / −16295
    percent = "percent"  # a relative change or a rate, as a fraction: −0.4942
    points = "points"  # a change of a rate in percentage points, as a fraction: 0.0123
    number = "number"  # a score: 87.25


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = Kind.text
    width: int | None = None  # characters; a default by kind when None


@dataclass(frozen=True)
class Table:
    key: str  # short English name: sheet names are the Chinese title
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    total: tuple[Any, ...] | None = None  # the 合计 row, written last and bold
    marked: frozenset[int] = frozenset()  # indexes of rows to highlight (hot spots, alerts)
    note: str = ""  # under the title: what is counted, how ranked
    # (row, column) → the page listing the complaints behind that figure (HTML report only).
    links: dict[tuple[int, int], str] = field(default_factory=dict)

    def column(self, title: str) -> int:
        return [c.title for c in self.columns].index(title)


@dataclass(frozen=True)
class Series:
    """Numbers for one chart: labels and one or two value lists."""

    title: str
    labels: tuple[str, ...]
    current: tuple[int | float | None, ...]
    previous: tuple[int | float | None, ...] | None = None
    names: tuple[str, str] = ("本期", "去年同期")
    marked: tuple[bool, ...] = ()


@dataclass(frozen=True)
class Report:
    title: str  # 杭州市主城区2026年1-7月城市管理投诉情况报告
    area_name: str
    period_label: str
    baseline_label: str
    start: date
    end: date
    generated_at: datetime
    narrative: tuple[str, ...]  # paragraphs
    tables: tuple[Table, ...]
    charts: tuple[Series, ...] = ()
    notes: tuple[str, ...] = field(default=())  # how figures are counted; what is missing

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)


COMPARISON_COLUMNS = (
    Column("本期", Kind.count),
    Column("去年同期", Kind.count),
    Column("增减量", Kind.change),
    Column("增减幅", Kind.percent),
)


def fraction(percent: Decimal | float | None) -> float | None:
    """49.42 (percent) → 0.4942, kept exact to the two decimals shown."""
    return None if percent is None else float(Decimal(str(percent)) / 100)


def comparison_cells(value: Comparison) -> tuple[int, int, int, float | None]:
    return (value.current, value.previous, value.change, fraction(value.percent))


def format_value(value: Any, column: Column) -> str:
    """As the HTML report and the PDF show a value: 16676, −16295, −49.42%, 93.72%."""
    if value is None:
        return "—" if column.kind != Kind.text else ""
    if column.kind == Kind.count:
        return f"{value}"
    if column.kind == Kind.change:
        return f"{value:+d}" if value else "0"
    if column.kind == Kind.percent:
        if column.title.endswith("率"):
            return f"{value * 100:.2f}%"
        return f"{value * 100:+.2f}%" if value else "0.00%"
    if column.kind == Kind.points:
        return f"{value * 100:+.2f}个百分点" if value else "0"
    if column.kind == Kind.number:
        return f"{value:.2f}"
    return str(value)
