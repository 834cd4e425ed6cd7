from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from civicdesk.errors import InvalidInput
from civicdesk.reports.periods import (
    Period,
    local_dates_to_utc,
    parse_date,
    parse_period,
    period_label,
    previous_period,
    same_period_last_year,
    year_to_date,
)


def P(start: str, end: str) -> Period:
    return Period(date.fromisoformat(start), date.fromisoformat(end))


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        ("2026-01-01", "2026-07-31", "2026年1-7月"),
        ("2026-03-01", "2026-03-31", "2026年3月"),
        ("2024-02-01", "2024-02-29", "2024年2月"),
        ("2026-01-01", "2026-12-31", "2026年1-12月"),
        ("2026-03-05", "2026-04-02", "2026年3月5日至4月2日"),
        ("2026-03-01", "2026-03-30", "2026年3月1日至3月30日"),
        ("2026-03-05", "2026-03-05", "2026年3月5日"),
        ("2025-12-20", "2026-01-05", "2025年12月20日至2026年1月5日"),
        ("2025-12-01", "2026-02-28", "2025年12月至2026年2月"),
    ],
)
def test_label(start: str, end: str, label: str) -> None:
    assert period_label(P(start, end)) == label
    assert P(start, end).label() == label


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (("2026-01-01", "2026-07-31"), ("2025-01-01", "2025-07-31")),
        # Whole months stay whole: February has 29 days in 2024 and 28 in 2023 and 2025.
        (("2024-02-01", "2024-02-29"), ("2023-02-01", "2023-02-28")),
        (("2025-02-01", "2025-02-28"), ("2024-02-01", "2024-02-29")),
        (("2025-01-01", "2025-02-28"), ("2024-01-01", "2024-02-29")),
        # Other periods shift day by day; 29 February becomes 28 February.
        (("2024-02-29", "2024-02-29"), ("2023-02-28", "2023-02-28")),
        (("2024-02-10", "2024-02-29"), ("2023-02-10", "2023-02-28")),
        (("2024-02-29", "2024-03-10"), ("2023-02-28", "2023-03-10")),
        (("2025-02-28", "2025-02-28"), ("2024-02-28", "2024-02-28")),
        (("2025-02-10", "2025-02-28"), ("2024-02-10", "2024-02-28")),
        (("2026-03-05", "2026-04-02"), ("2025-03-05", "2025-04-02")),
    ],
)
def test_same_period_last_year(period: tuple[str, str], expected: tuple[str, str]) -> None:
    assert same_period_last_year(P(*period)) == P(*expected)
    assert P(*period).same_period_last_year() == P(*expected)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (("2026-03-01", "2026-03-31"), ("2026-02-01", "2026-02-28")),
        (("2026-01-01", "2026-01-31"), ("2025-12-01", "2025-12-31")),
        (("2024-03-01", "2024-03-31"), ("2024-02-01", "2024-02-29")),
        (("2026-04-01", "2026-06-30"), ("2026-01-01", "2026-03-31")),  # a quarter
        (("2026-01-01", "2026-07-31"), ("2025-06-01", "2025-12-31")),
        (("2026-03-05", "2026-03-11"), ("2026-02-26", "2026-03-04")),  # seven days
        (("2026-03-05", "2026-03-05"), ("2026-03-04", "2026-03-04")),
    ],
)
def test_previous_period(period: tuple[str, str], expected: tuple[str, str]) -> None:
    assert previous_period(P(*period)) == P(*expected)
    assert P(*period).previous() == P(*expected)


def test_utc_bounds_are_local_midnights() -> None:
    lower, upper = local_dates_to_utc(date(2026, 1, 1), date(2026, 7, 31))
    assert lower == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert upper == datetime(2026, 7, 31, 16, 0, tzinfo=UTC)
    assert P("2026-01-01", "2026-07-31").utc_bounds() == (lower, upper)


def test_period_lengths() -> None:
    assert P("2024-02-01", "2024-02-29").days == 29
    assert P("2024-02-01", "2024-02-29").whole_months
    assert not P("2024-02-01", "2024-02-28").whole_months
    assert not P("2024-02-02", "2024-02-29").whole_months


def test_start_after_end_is_refused() -> None:
    with pytest.raises(InvalidInput, match="晚于"):
        P("2026-07-31", "2026-01-01")


@pytest.mark.parametrize("text", ["2026-02-30", "2025-02-29", "2026-13-01", "2026-7-1", "", "x"])
def test_parse_date_refuses_impossible_dates(text: str) -> None:
    with pytest.raises(InvalidInput, match="日期无效"):
        parse_date(text)


def test_parse_date() -> None:
    assert parse_date(" 2024-02-29 ") == date(2024, 2, 29)


def test_year_to_date() -> None:
    assert year_to_date(date(2026, 8, 1)) == P("2026-01-01", "2026-07-31")
    assert year_to_date(date(2026, 1, 1)) == P("2026-01-01", "2026-01-01")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-01..2026-07", date(2026, 1, 1), date(2026, 7, 31)),  # the source's 1–7月
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-Q1..2026-Q2", date(2026, 1, 1), date(2026, 6, 30)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("2026-03-05..2026-04-02", date(2026, 3, 5), date(2026, 4, 2)),
        (" 2026-03-05 ", date(2026, 3, 5), date(2026, 3, 5)),
    ],
)
def test_parse_period(text: str, start: date, end: date) -> None:
    assert parse_period(text) == Period(start, end)


@pytest.mark.parametrize(
    "text",
    ["2026-13", "2026-Q5", "2026-02-30", "July", "2026-01..", "..2026-02", "2026-07..2026-01"],
)
def test_parse_period_refuses_what_is_no_period(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_period(text)
