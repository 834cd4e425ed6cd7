"""Working-day calendar: when a complaint's time limit runs out, and by how much it was missed.

Time limits on hotline work orders are written as "N个工作日内办结" or as office hours.
Deadlines follow the period rules of the Civil Code (《民法典》第二百零一条、第二百零三条):
the day of receipt is not counted, a period ending on a statutory holiday moves to the next
working day, and where there are business hours the period ends when business stops.
Working days are those of the State Council's yearly holiday notice (国务院办公厅关于部分节假日
安排的通知), which ``chinese_calendar`` encodes, including adjusted working weekends (调休).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import chinese_calendar
import yaml

from civicdesk.clock import SHANGHAI, require_aware

Period = tuple[time, time]

HANGZHOU_OFFICE_HOURS: tuple[Period, ...] = (
    (time(8, 30), time(12, 0)),
    (time(13, 30), time(17, 30)),
)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WORKDAY_WORDS = {"1": True, "true": True, "是": True, "0": False, "false": False, "否": False}


class CalendarUnknownYear(ValueError):
    """The holiday notice for this year is not known, so no deadline in it can be trusted."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"{year}年的节假日安排未知 / no official working days known for {year}: "
            f"add that year's holidays and adjusted workdays with `civicdesk calendar load FILE`"
        )
        self.year = year


@dataclass(frozen=True)
class OfficeHours:
    """Daily office periods; the default is Hangzhou's government office hours (8:30–12:00,
    13:30–17:30). Cities with summer/winter schedules configure another instance."""

    periods: Sequence[Period] = HANGZHOU_OFFICE_HOURS

    def __post_init__(self) -> None:
        periods = tuple((start, end) for start, end in self.periods)
        if not periods:
            raise ValueError("office hours need at least one (start, end) period")
        for index, (start, end) in enumerate(periods):
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError(f"office period {index + 1}: give local wall-clock times")
            if start >= end:
                raise ValueError(f"office period {index + 1}: start {start} is not before {end}")
            if index and start < periods[index - 1][1]:
                raise ValueError(
                    f"office period {index + 1} ({start}–{end}) starts before period "
                    f"{index} ends ({periods[index - 1][1]}): keep periods ordered, no overlap"
                )
        object.__setattr__(self, "periods", periods)

    @property
    def closing(self) -> time:
        return self.periods[-1][1]


class WorkCalendar:
    """Working days and office hours of one platform; all deadlines in Asia/Shanghai time."""

    def __init__(
        self,
        office_hours: OfficeHours | None = None,
        overrides: Mapping[date, bool] | None = None,
        *,
        assume_weekdays_for_unknown: bool = False,
    ) -> None:
        self.office_hours = office_hours or OfficeHours()
        self.overrides: dict[date, bool] = dict(overrides or {})
        self.assume_weekdays_for_unknown = assume_weekdays_for_unknown

    def is_workday(self, d: date) -> bool:
        """Local overrides win: the holiday notice for next year is published each November,
        often before ``chinese_calendar`` is updated."""
        if isinstance(d, datetime):
            raise TypeError("is_workday takes a date; convert the datetime to local time first")
        if d in self.overrides:
            return self.overrides[d]
        try:
            return bool(chinese_calendar.is_workday(d))
        except NotImplementedError:
            if self.assume_weekdays_for_unknown:
                return d.weekday() < 5
            raise CalendarUnknownYear(d.year) from None

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        d += timedelta(days=1)
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]: the day of receipt is not counted (民法典第二百零一条), so
        ``working_days_between(received, due_day) == days`` for a deadline of ``days``."""
        count = 0
        d = a + timedelta(days=1)
        while d <= b:
            if self.is_workday(d):
                count += 1
            d += timedelta(days=1)
        return count

    def due_after_working_days(self, start: datetime, days: int) -> datetime:
        """End of office hours on the ``days``-th working day after the day of receipt
        (民法典第二百零一条、第二百零三条). ``days=0`` means "today": the end of the receipt
        day if it is a working day still open at ``start``, else of the next working day."""
        local = _local(start, "start")
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        target = local.date()
        if days == 0 and (not self.is_workday(target) or self._closing_of(target) < local):
            target = self.next_working_day(target)
        for _ in range(days):
            target = self.next_working_day(target)
        return self._closing_of(target).astimezone(UTC)

    def due_after_working_hours(self, start: datetime, hours: float) -> datetime:
        """Hour limits (工作小时, used for urgent orders) run only while offices are open, so a
        complaint received after hours starts counting when the next office period opens."""
        local = _local(start, "start")
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite, non-negative number, got {hours}")
        remaining = timedelta(hours=hours)
        for opens, closes in self._office_periods_from(local):
            if remaining <= closes - opens:
                return (opens + remaining).astimezone(UTC)
            remaining -= closes - opens
        raise AssertionError("unreachable: office periods never run out")  # pragma: no cover

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Office time between two instants, to measure how late a case was closed in the
        same unit its limit was set in."""
        local_start, local_end = _local(start, "start"), _local(end, "end")
        if local_end <= local_start:
            return 0.0
        total = timedelta()
        for opens, closes in self._office_periods_from(local_start):
            if opens >= local_end:
                break
            total += min(closes, local_end) - opens
        return total / timedelta(hours=1)

    def _closing_of(self, d: date) -> datetime:
        return datetime.combine(d, self.office_hours.closing, tzinfo=SHANGHAI)

    def _office_periods_from(self, local: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Non-empty office periods on working days from ``local`` on, clipped to start at it."""
        d = local.date()
        while True:
            if self.is_workday(d):
                for start, end in self.office_hours.periods:
                    opens = datetime.combine(d, start, tzinfo=SHANGHAI)
                    closes = datetime.combine(d, end, tzinfo=SHANGHAI)
                    if closes > local:
                        yield max(opens, local), closes
            d += timedelta(days=1)


def _local(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    return require_aware(value).astimezone(SHANGHAI)


def load_overrides_file(path: str | Path) -> dict[date, bool]:
    """Read a year's holiday notice typed in by an administrator, before ``chinese_calendar``
    knows it: CSV ``date,workday,note`` or YAML ``{holidays: [...], workdays: [...]}``."""
    path = Path(path)
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8-sig")  # Excel saves UTF-8 CSV with a BOM
    if suffix == ".csv":
        return _parse_overrides_csv(text, path.name)
    if suffix in (".yaml", ".yml"):
        return _parse_overrides_yaml(text, path.name)
    raise ValueError(f"{path.name}: unsupported calendar file type {suffix!r}; use .csv or .yaml")


def _parse_date(raw: str, where: str) -> date:
    raw = raw.strip()
    if not _ISO_DATE.fullmatch(raw):
        raise ValueError(f"{where}: {raw!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"{where}: {raw!r} is not a real date ({exc})") from None


def _add_override(
    result: dict[date, bool], seen: dict[date, str], d: date, value: bool, where: str
) -> None:
    if d in seen:
        raise ValueError(f"{where}: {d} is listed twice (first at {seen[d]})")
    result[d], seen[d] = value, where


def _parse_overrides_csv(text: str, name: str) -> dict[date, bool]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if header[:2] != ["date", "workday"] or header[2:] not in ([], ["note"]):
        raise ValueError(f"{name} line 1: header must be 'date,workday,note', got {header}")
    result: dict[date, bool] = {}
    seen: dict[date, str] = {}
    for row in reader:
        where = f"{name} line {reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or len(row) > len(header):
            raise ValueError(f"{where}: expected {len(header)} columns, got {len(row)}")
        flag = row[1].strip().lower()
        if flag not in _WORKDAY_WORDS:
            raise ValueError(f"{where}: workday must be 1/0, true/false or 是/否, got {row[1]!r}")
        _add_override(result, seen, _parse_date(row[0], where), _WORKDAY_WORDS[flag], where)
    return result


def _parse_overrides_yaml(text: str, name: str) -> dict[date, bool]:
    """Parsed from the node tree, not ``safe_load``, so errors keep their line numbers and
    impossible dates such as 2026-02-30 are reported instead of crashing the date resolver."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ValueError(f"{name}: not valid YAML: {exc}") from None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise ValueError(f"{name} line {root.start_mark.line + 1}: expected holidays/workdays")
    result: dict[date, bool] = {}
    seen: dict[date, str] = {}
    for key_node, list_node in root.value:
        key, where = key_node.value, f"{name} line {key_node.start_mark.line + 1}"
        if key not in ("holidays", "workdays"):
            raise ValueError(f"{where}: unknown key {key!r}; use 'holidays' and 'workdays'")
        if isinstance(list_node, yaml.ScalarNode) and list_node.value in ("", "~", "null"):
            continue
        if not isinstance(list_node, yaml.SequenceNode):
            raise ValueError(f"{where}: {key} must be a list of dates")
        for item in list_node.value:
            item_where = f"{name} line {item.start_mark.line + 1}"
            if not isinstance(item, yaml.ScalarNode):
                raise ValueError(f"{item_where}: expected a date, got a nested structure")
            d = _parse_date(item.value, item_where)
            _add_override(result, seen, d, key == "workdays", item_where)
    return result
