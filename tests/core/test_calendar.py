"""Working-day calendar against the State Council holiday notices for 2025 and 2026.

Dates asserted here were checked against ``chinese_calendar`` 1.11 and the published notices:
2025 National Day + Mid-Autumn: 10-01..10-08 off, Sun 09-28 and Sat 10-11 worked;
2026 New Year: 01-01..01-03 off, Sun 01-04 worked;
2026 Spring Festival: 02-15..02-23 off, Sat 02-14 and Sat 02-28 worked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicdesk.clock import SHANGHAI
from civicdesk.core.calendar import (
    CalendarUnknownYear,
    OfficeHours,
    WorkCalendar,
    load_overrides_file,
)

CAL = WorkCalendar(OfficeHours(), {})


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


# --- working days ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 9, 26), True),  # Friday
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # Sunday, adjusted working day (调休)
        *[(d, False) for d in days(date(2025, 10, 1), date(2025, 10, 8))],
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, adjusted working day
        (date(2025, 10, 12), False),
        *[(d, False) for d in days(date(2026, 1, 1), date(2026, 1, 3))],
        (date(2026, 1, 4), True),  # Sunday, adjusted working day
        (date(2026, 2, 13), True),
        (date(2026, 2, 14), True),  # Saturday, adjusted working day
        *[(d, False) for d in days(date(2026, 2, 15), date(2026, 2, 23))],
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, adjusted working day
        (date(2026, 3, 1), False),
    ],
    ids=str,
)
def test_is_workday_follows_the_official_notices(day: date, expected: bool) -> None:
    assert CAL.is_workday(day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 9, 26), date(2025, 9, 28)),
        (date(2025, 9, 30), date(2025, 10, 9)),
        (date(2026, 2, 13), date(2026, 2, 14)),
        (date(2026, 2, 14), date(2026, 2, 24)),
        (date(2025, 12, 31), date(2026, 1, 4)),
    ],
    ids=str,
)
def test_next_working_day(day: date, expected: date) -> None:
    assert CAL.next_working_day(day) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2025, 9, 30), date(2025, 10, 9), 1),
        (date(2025, 9, 26), date(2025, 10, 13), 7),  # 28,29,30, 9,10,11, 13
        (date(2026, 2, 12), date(2026, 2, 26), 5),  # 13,14, 24,25,26
        (date(2025, 6, 16), date(2025, 6, 16), 0),
        (date(2025, 6, 20), date(2025, 6, 16), 0),
    ],
)
def test_working_days_between_excludes_the_first_day(a: date, b: date, expected: int) -> None:
    assert CAL.working_days_between(a, b) == expected


# --- deadlines in working days --------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "due_local"),
    [
        pytest.param(sh(2025, 6, 13, 19), 1, sh(2025, 6, 16, 17, 30), id="friday-evening"),
        pytest.param(sh(2025, 6, 13, 10), 1, sh(2025, 6, 16, 17, 30), id="friday-morning"),
        pytest.param(sh(2025, 6, 16, 10), 0, sh(2025, 6, 16, 17, 30), id="zero-same-day"),
        pytest.param(sh(2025, 6, 14, 10), 0, sh(2025, 6, 16, 17, 30), id="zero-on-saturday"),
        pytest.param(sh(2025, 6, 16, 18), 0, sh(2025, 6, 17, 17, 30), id="zero-after-closing"),
        pytest.param(sh(2025, 9, 26, 18), 1, sh(2025, 9, 28, 17, 30), id="adjusted-sunday"),
        pytest.param(sh(2025, 9, 30, 10), 1, sh(2025, 10, 9, 17, 30), id="national-day"),
        pytest.param(sh(2025, 9, 30, 10), 3, sh(2025, 10, 11, 17, 30), id="national-day-sat"),
        pytest.param(sh(2026, 2, 13, 16), 1, sh(2026, 2, 14, 17, 30), id="spring-adjusted"),
        pytest.param(sh(2026, 2, 13, 16), 2, sh(2026, 2, 24, 17, 30), id="spring-festival"),
        pytest.param(sh(2026, 2, 12, 9), 5, sh(2026, 2, 26, 17, 30), id="spring-5-days"),
        # 2025-06-15 17:00 UTC is already Monday 01:00 in Shanghai.
        pytest.param(datetime(2025, 6, 15, 17, tzinfo=UTC), 1, sh(2025, 6, 17, 17, 30), id="utc"),
    ],
)
def test_due_after_working_days(start: datetime, n: int, due_local: datetime) -> None:
    due = CAL.due_after_working_days(start, n)
    assert due == due_local
    assert due.tzinfo is UTC


# --- deadlines in working hours -------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "due_local"),
    [
        pytest.param(sh(2025, 6, 16, 11), 2, sh(2025, 6, 16, 14, 30), id="over-lunch"),
        pytest.param(sh(2025, 6, 16, 12, 30), 1, sh(2025, 6, 16, 14, 30), id="start-at-lunch"),
        pytest.param(sh(2025, 6, 16, 7), 1, sh(2025, 6, 16, 9, 30), id="before-opening"),
        pytest.param(sh(2025, 6, 13, 18), 1, sh(2025, 6, 16, 9, 30), id="friday-evening"),
        pytest.param(sh(2025, 6, 16, 8, 30), 3.5, sh(2025, 6, 16, 12), id="fills-morning"),
        pytest.param(sh(2025, 6, 16, 8, 30), 7.5, sh(2025, 6, 16, 17, 30), id="full-day"),
        pytest.param(sh(2025, 6, 16, 10, 15), 0, sh(2025, 6, 16, 10, 15), id="zero-in-hours"),
        pytest.param(sh(2025, 6, 16, 12, 30), 0, sh(2025, 6, 16, 13, 30), id="zero-at-lunch"),
        pytest.param(sh(2025, 6, 16, 16), 0.25, sh(2025, 6, 16, 16, 15), id="fraction"),
        pytest.param(sh(2025, 9, 30, 16, 30), 2, sh(2025, 10, 9, 9, 30), id="national-day"),
        pytest.param(sh(2026, 2, 14, 17), 1, sh(2026, 2, 24, 9), id="spring-festival"),
    ],
)
def test_due_after_working_hours(start: datetime, hours: float, due_local: datetime) -> None:
    due = CAL.due_after_working_hours(start, hours)
    assert due == due_local
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (sh(2025, 6, 16, 8, 30), sh(2025, 6, 16, 17, 30), 7.5),
        (sh(2025, 6, 16, 11), sh(2025, 6, 16, 14), 1.5),
        (sh(2025, 6, 13, 17), sh(2025, 6, 16, 9), 1.0),
        (sh(2025, 9, 30, 17), sh(2025, 10, 9, 9, 30), 1.5),
        (sh(2025, 6, 16), sh(2025, 6, 23), 37.5),
        (sh(2025, 6, 16, 12, 10), sh(2025, 6, 16, 13, 20), 0.0),
        (sh(2025, 6, 16, 15), sh(2025, 6, 16, 10), 0.0),
        (sh(2025, 6, 16, 10), sh(2025, 6, 16, 10), 0.0),
    ],
)
def test_working_hours_between(start: datetime, end: datetime, expected: float) -> None:
    assert CAL.working_hours_between(start, end) == pytest.approx(expected)


# --- overrides and unknown years ------------------------------------------------------------


def test_override_makes_a_2027_saturday_a_working_day() -> None:
    cal = WorkCalendar(OfficeHours(), {date(2027, 2, 6): True})
    assert cal.is_workday(date(2027, 2, 6))
    # Friday 2027-02-05 is unknown to chinese_calendar, but the next day is overridden.
    assert cal.next_working_day(date(2027, 2, 5)) == date(2027, 2, 6)
    assert cal.due_after_working_days(sh(2027, 2, 5, 20), 1) == sh(2027, 2, 6, 17, 30)


def test_override_corrects_a_known_year() -> None:
    cal = WorkCalendar(OfficeHours(), {date(2025, 10, 8): True, date(2025, 10, 9): False})
    assert cal.is_workday(date(2025, 10, 8))
    assert not cal.is_workday(date(2025, 10, 9))
    assert cal.next_working_day(date(2025, 9, 30)) == date(2025, 10, 8)


def test_unknown_year_is_an_error_not_a_weekday_guess() -> None:
    with pytest.raises(CalendarUnknownYear, match="civicdesk calendar load") as caught:
        CAL.is_workday(date(2027, 3, 1))
    assert caught.value.year == 2027
    assert isinstance(caught.value, ValueError)


def test_deadline_running_into_an_unknown_year_is_an_error() -> None:
    with pytest.raises(CalendarUnknownYear):
        CAL.due_after_working_days(sh(2026, 12, 31, 10), 1)
    with pytest.raises(CalendarUnknownYear):
        CAL.due_after_working_hours(sh(2026, 12, 31, 17), 2)


def test_assume_weekdays_for_unknown_is_explicit() -> None:
    cal = WorkCalendar(OfficeHours(), {}, assume_weekdays_for_unknown=True)
    assert cal.is_workday(date(2027, 3, 5))  # Friday
    assert not cal.is_workday(date(2027, 3, 6))  # Saturday
    assert cal.is_workday(date(2025, 9, 28))  # known years still follow the notice
    assert cal.due_after_working_days(sh(2026, 12, 31, 10), 1) == sh(2027, 1, 1, 17, 30)


# --- refused input --------------------------------------------------------------------------


NAIVE = datetime(2025, 6, 16, 10)  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.due_after_working_days(NAIVE, 1),
        lambda: CAL.due_after_working_hours(NAIVE, 1),
        lambda: CAL.working_hours_between(NAIVE, sh(2025, 6, 17)),
        lambda: CAL.working_hours_between(sh(2025, 6, 15), NAIVE),
    ],
    ids=["days", "hours", "between-start", "between-end"],
)
def test_naive_datetimes_are_refused(call: object) -> None:
    with pytest.raises(ValueError, match="naive"):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.due_after_working_days(sh(2025, 6, 16), -1),
        lambda: CAL.due_after_working_hours(sh(2025, 6, 16), -0.5),
        lambda: CAL.due_after_working_hours(sh(2025, 6, 16), float("nan")),
        lambda: CAL.due_after_working_hours(sh(2025, 6, 16), float("inf")),
    ],
    ids=["days", "hours", "nan", "inf"],
)
def test_negative_or_nonfinite_limits_are_refused(call: object) -> None:
    with pytest.raises(ValueError, match="negative"):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ([], "at least one"),
        ([(time(12), time(8, 30))], "not before"),
        ([(time(9), time(9))], "not before"),
        ([(time(8, 30), time(12)), (time(11), time(17))], "starts before"),
        ([(time(13, 30), time(17, 30)), (time(8, 30), time(12))], "starts before"),
    ],
    ids=["empty", "reversed", "empty-period", "overlap", "unordered"],
)
def test_office_hours_are_validated(periods: list[tuple[time, time]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OfficeHours(periods)


def test_custom_office_hours() -> None:
    hours = OfficeHours([(time(9), time(17))])
    assert hours.periods == ((time(9), time(17)),)
    assert hash(hours) == hash(OfficeHours(((time(9), time(17)),)))
    cal = WorkCalendar(hours, {})
    assert cal.due_after_working_days(sh(2025, 6, 13, 19), 1) == sh(2025, 6, 16, 17)
    assert cal.due_after_working_hours(sh(2025, 6, 16, 11), 2) == sh(2025, 6, 16, 13)


# --- overrides files ------------------------------------------------------------------------

GOOD_CSV = """\ufeffdate,workday,note
2027-01-01,0,元旦
2027-02-06,1,春节调休（周六上班）
2027-02-07,是,春节调休
2027-02-08,否,
2027-02-09,TRUE,
2027-02-10,false

"""


def test_load_csv(tmp_path: Path) -> None:
    path = tmp_path / "2027.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    assert load_overrides_file(path) == {
        date(2027, 1, 1): False,
        date(2027, 2, 6): True,
        date(2027, 2, 7): True,
        date(2027, 2, 8): False,
        date(2027, 2, 9): True,
        date(2027, 2, 10): False,
    }


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("2026-02-30,0,no such day", "line 3: '2026-02-30' is not a real date"),
        ("2027-13-01,0,", "line 3: '2027-13-01' is not a real date"),
        ("2027/02/06,1,", "line 3: '2027/02/06' is not a date in the form YYYY-MM-DD"),
        ("2027-02-06,maybe,", "line 3: workday must be"),
        ("2027-02-06", "line 3: expected 3 columns"),
        ("2027-01-01,1,again", "line 3: 2027-01-01 is listed twice"),
    ],
)
def test_csv_bad_line_is_named(tmp_path: Path, bad_line: str, message: str) -> None:
    path = tmp_path / "2027.csv"
    path.write_text(f"date,workday,note\n2027-01-01,0,元旦\n{bad_line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_overrides_file(path)


def test_csv_header_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "2027.csv"
    path.write_text("day,off\n2027-01-01,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1: header"):
        load_overrides_file(path)


def test_load_yaml(tmp_path: Path) -> None:
    path = tmp_path / "2027.yaml"
    path.write_text(
        "# 2027 notice\nholidays:\n  - 2027-01-01\n  - '2027-02-08'\nworkdays: [2027-02-06]\n",
        encoding="utf-8",
    )
    assert load_overrides_file(path) == {
        date(2027, 1, 1): False,
        date(2027, 2, 8): False,
        date(2027, 2, 6): True,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("holidays:\n  - 2027-01-01\n  - 2026-02-30\n", "line 3: '2026-02-30' is not a real date"),
        ("holidays: [2027-01-01]\nworkdays:\n  - 2027-01-01\n", "line 3: 2027-01-01 is listed"),
        ("holidays: []\nrestdays: [2027-01-01]\n", "line 2: unknown key 'restdays'"),
        ("holidays: 2027-01-01\n", "line 1: holidays must be a list"),
        ("- 2027-01-01\n", "line 1: expected holidays/workdays"),
        ("holidays: [2027-01-01\n", "not valid YAML"),
    ],
    ids=["impossible-date", "both-lists", "unknown-key", "not-a-list", "not-a-mapping", "syntax"],
)
def test_yaml_bad_line_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "2027.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_overrides_file(path)


def test_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "2027.txt"
    path.write_text("2027-01-01\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"use \.csv or \.yaml"):
        load_overrides_file(path)


def test_loaded_file_feeds_the_calendar(tmp_path: Path) -> None:
    path = tmp_path / "2027.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    cal = WorkCalendar(OfficeHours(), load_overrides_file(path))
    assert cal.due_after_working_days(sh(2027, 2, 5, 20), 1) == sh(2027, 2, 6, 17, 30)


# --- properties -----------------------------------------------------------------------------

# Kept inside the years chinese_calendar knows, with room for the longest limit drawn.
starts = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2026, 9, 30),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, SHANGHAI]),
)
limits_in_hours = st.floats(min_value=0, max_value=300, allow_nan=False)


def inside_office_hours(moment: datetime) -> bool:
    local = moment.astimezone(SHANGHAI)
    return CAL.is_workday(local.date()) and any(
        start <= local.time() <= end for start, end in CAL.office_hours.periods
    )


@st.composite
def starts_in_office_hours(draw: st.DrawFn) -> datetime:
    day = draw(
        st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 9, 30)).filter(CAL.is_workday)
    )
    start, end = draw(st.sampled_from(CAL.office_hours.periods))
    opens = datetime.combine(day, start, tzinfo=SHANGHAI)
    length = datetime.combine(day, end, tzinfo=SHANGHAI) - opens
    return opens + length * draw(st.floats(min_value=0, max_value=1))


@given(starts, limits_in_hours)
def test_hour_deadline_is_in_office_hours_and_not_before_start(start: datetime, h: float) -> None:
    due = CAL.due_after_working_hours(start, h)
    assert due >= start
    assert inside_office_hours(due)


@given(starts, st.integers(min_value=0, max_value=30))
def test_day_deadline_is_closing_time_of_a_working_day(start: datetime, n: int) -> None:
    due = CAL.due_after_working_days(start, n)
    assert due >= start
    assert inside_office_hours(due)
    assert due.astimezone(SHANGHAI).time() == CAL.office_hours.closing
    if n:
        start_day = start.astimezone(SHANGHAI).date()
        assert CAL.working_days_between(start_day, due.astimezone(SHANGHAI).date()) == n


@given(starts_in_office_hours(), limits_in_hours)
def test_working_hours_between_inverts_the_hour_deadline(start: datetime, h: float) -> None:
    due = CAL.due_after_working_hours(start, h)
    assert CAL.working_hours_between(start, due) == pytest.approx(h, abs=1e-6)


@given(starts, limits_in_hours, limits_in_hours)
def test_longer_limits_never_end_earlier(start: datetime, h1: float, h2: float) -> None:
    low, high = sorted((h1, h2))
    assert CAL.due_after_working_hours(start, low) <= CAL.due_after_working_hours(start, high)
