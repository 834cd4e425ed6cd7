"""Time for the demo history: integer epoch seconds, local days, and a working-day calendar
precomputed per day.

Asia/Shanghai has been UTC+8 without daylight saving since 1991: local days are plain
arithmetic on epoch seconds, which keeps the planning loop fast.
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, timedelta

from civicdesk.core.calendar import WorkCalendar

OFFSET, DAY, HOUR, MINUTE = 8 * 3600, 86400, 3600, 60
EPOCH = date(1970, 1, 1)


def day_of(ts: int) -> int:
    return (ts + OFFSET) // DAY


def start_of(day: int) -> int:
    return day * DAY - OFFSET


def day_number(d: date) -> int:
    return (d - EPOCH).days


def date_of(day: int) -> date:
    return EPOCH + timedelta(days=day)


def as_datetime(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


_ISO: dict[int, str] = {}


def iso(ts: int) -> str:
    """As ``cases.service`` writes deadlines into event data (UTC ISO 8601); cached, since
    deadlines fall on few distinct closing times."""
    text_ = _ISO.get(ts)
    if text_ is None:
        text_ = _ISO[ts] = datetime.fromtimestamp(ts, UTC).isoformat()
    return text_


class FastCalendar:
    """``WorkCalendar``'s deadlines on epoch seconds, precomputed per day: the same results as
    ``due_after_working_hours``/``due_after_working_days`` (tests compare them), at a fraction
    of the cost, because the history needs hundreds of thousands of them."""

    def __init__(self, calendar: WorkCalendar, first_day: int) -> None:
        self.calendar = calendar
        self.periods = [
            (s.hour * HOUR + s.minute * MINUTE, e.hour * HOUR + e.minute * MINUTE)
            for s, e in calendar.office_hours.periods
        ]
        self.closing = self.periods[-1][1]
        self._work: dict[int, bool] = {}
        self.opens: list[int] = []
        self.closes: list[int] = []
        self.cum_before: list[int] = []
        self.cum_end: list[int] = []
        self._built = first_day - 2
        self._due_cache: dict[tuple[int, int, bool], int] = {}

    def is_workday(self, day: int) -> bool:
        flag = self._work.get(day)
        if flag is None:
            flag = self._work[day] = self.calendar.is_workday(date_of(day))
        return flag

    def next_workday(self, day: int) -> int:
        day += 1
        while not self.is_workday(day):
            day += 1
        return day

    def _extend(self, until: int) -> None:
        total = self.cum_end[-1] if self.cum_end else 0
        for day in range(self._built + 1, until + 1):
            if not self.is_workday(day):
                continue
            base = start_of(day)
            for begin, end in self.periods:
                self.opens.append(base + begin)
                self.closes.append(base + end)
                self.cum_before.append(total)
                total += end - begin
                self.cum_end.append(total)
        self._built = until

    def add_hours(self, ts: int, hours: float) -> int:
        """The instant ``hours`` office hours after ``ts`` (as ``due_after_working_hours``)."""
        while not self.closes or self.closes[-1] <= ts + int(hours * 3 * DAY):
            self._extend(max(self._built, day_of(ts)) + 60)
        i = bisect.bisect_right(self.closes, ts)
        target = self.cum_before[i] + max(0, ts - self.opens[i]) + round(hours * HOUR)
        j = bisect.bisect_left(self.cum_end, target, lo=i)
        return self.opens[j] + target - self.cum_before[j]

    def due_days(self, ts: int, days: int) -> int:
        """End of office hours on the ``days``-th working day (as ``due_after_working_days``)."""
        day = day_of(ts)
        after_close = days == 0 and ts - start_of(day) > self.closing
        key = (day, days, after_close)
        cached = self._due_cache.get(key)
        if cached is None:
            target = day
            if days == 0 and (not self.is_workday(day) or after_close):
                target = self.next_workday(day)
            for _ in range(days):
                target = self.next_workday(target)
            cached = self._due_cache[key] = start_of(target) + self.closing
        return cached
