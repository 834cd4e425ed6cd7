"""Reporting periods: local calendar dates, their UTC bounds, and the periods they compare with.

A period is a run of whole local days in Asia/Shanghai, ``start`` to ``end`` inclusive, as the
source counts them ("今年1-7月"). Complaints are stored in UTC, so a period becomes the half-open
UTC interval [start 00:00 local, end+1 00:00 local).

同比 (same period last year) keeps whole months whole: February 2024 (29 days) compares with
February 2023 (28 days) and back. Any other period is shifted day by day, and 29 February, which
last year lacks, becomes 28 February (the convention of ``dateutil.relativedelta(years=-1)``).
环比 (previous period) is the same number of whole months, or else of days, just before.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from civicdesk.clock import SHANGHAI
from civicdesk.errors import InvalidInput


@dataclass(frozen=True)
class Period:
    """Local dates ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InvalidInput(
                f"开始日期 {self.start.isoformat()} 晚于结束日期 {self.end.isoformat()} / "
                "start date is after end date",
                field="from",
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def whole_months(self) -> bool:
        """True when the period starts on a 1st and ends on a last day of a month."""
        return self.start.day == 1 and self.end == _month_end(self.end.year, self.end.month)

    def utc_bounds(self, tz: ZoneInfo = SHANGHAI) -> tuple[datetime, datetime]:
        return local_dates_to_utc(self.start, self.end, tz)

    def same_period_last_year(self) -> Period:
        return same_period_last_year(self)

    def previous(self) -> Period:
        return previous_period(self)

    def label(self) -> str:
        return period_label(self)


def local_dates_to_utc(
    start: date, end: date, tz: ZoneInfo = SHANGHAI
) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) on the local wall clock, as aware UTC datetimes."""
    lower = datetime.combine(start, time.min, tzinfo=tz).astimezone(UTC)
    upper = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return lower, upper


def same_period_last_year(period: Period) -> Period:
    if period.whole_months:
        return Period(
            period.start.replace(year=period.start.year - 1),
            _month_end(period.end.year - 1, period.end.month),
        )
    return Period(_year_earlier(period.start), _year_earlier(period.end))


def previous_period(period: Period) -> Period:
    if period.whole_months:
        months = _month_index(period.end) - _month_index(period.start) + 1
        first = _month_from_index(_month_index(period.start) - months)
        last_month = _month_from_index(_month_index(period.start) - 1)
        return Period(first, _month_end(last_month.year, last_month.month))
    end = period.start - timedelta(days=1)
    return Period(end - timedelta(days=period.days - 1), end)


def period_label(period: Period) -> str:
    """The period as Chinese reports write it: 2026年1-7月, 2026年3月, 2026年3月5日至4月2日."""
    start, end = period.start, period.end
    if period.whole_months:
        if start.year != end.year:
            return f"{start.year}年{start.month}月至{end.year}年{end.month}月"
        if start.month == end.month:
            return f"{start.year}年{start.month}月"
        return f"{start.year}年{start.month}-{end.month}月"
    if start == end:
        return f"{start.year}年{start.month}月{start.day}日"
    if start.year != end.year:
        return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
    return f"{start.year}年{start.month}月{start.day}日至{end.month}月{end.day}日"


def parse_date(value: str, *, field: str = "date") -> date:
    """An ISO date (2026-07-31) from a form or command line, refused clearly when impossible."""
    text = value.strip()
    try:
        if len(text) != 10:
            raise ValueError("expected YYYY-MM-DD")
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(
            f"日期无效：{value!r}（应为存在的日期，格式 YYYY-MM-DD，例如 2026-07-31）/ "
            f"invalid date {value!r}: {exc}",
            field=field,
        ) from exc


def parse_period(text: str) -> Period:
    """A period as people write it: ``2026`` (a year), ``2026-Q2`` (a quarter), ``2026-03`` (a
    month), ``2026-03-05`` (a day), or ``A..B`` from the start of A to the end of B
    (``2026-01..2026-07`` is January–July, the source's 1–7月)."""
    first, dots, last = text.strip().partition("..")
    if dots and not (first.strip() and last.strip()):
        raise _bad_period(text)
    return Period(_period_bound(first, end=False), _period_bound(last or first, end=True))


_PERIOD_PART = re.compile(r"^(\d{4})(?:-(?:(\d{2})(?:-(\d{2}))?|[Qq]([1-4])))?$")


def _period_bound(part: str, *, end: bool) -> date:
    match = _PERIOD_PART.match(part.strip())
    if match is None:
        raise _bad_period(part)
    year, month, day, quarter = match.groups()
    if day is not None:
        return parse_date(part, field="period")
    if quarter is not None:
        month_no = (int(quarter) - 1) * 3 + (3 if end else 1)
    elif month is not None:
        month_no = int(month)
        if not 1 <= month_no <= 12:
            raise _bad_period(part)
    else:
        month_no = 12 if end else 1
    return _month_end(int(year), month_no) if end else date(int(year), month_no, 1)


def _bad_period(text: str) -> InvalidInput:
    return InvalidInput(
        f"统计期间无效：{text.strip()!r}（例如 2026-01..2026-07、2026-Q2、2026-03、2026）/ "
        f"invalid period {text.strip()!r}",
        field="period",
    )


def default_period(today: date) -> Period:
    """January to the last whole month, the reports' default (January alone in January: the
    month so far)."""
    if today.month == 1:
        return Period(date(today.year, 1, 1), max(date(today.year, 1, 1), today))
    return Period(date(today.year, 1, 1), _month_end(today.year, today.month - 1))


def year_to_date(today: date) -> Period:
    """1 January to yesterday; on 1 January, that day alone (there is no earlier day this year)."""
    start = date(today.year, 1, 1)
    return Period(start, max(start, today - timedelta(days=1)))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year_earlier(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_from_index(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)
