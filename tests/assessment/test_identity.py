"""Identity of the two paths: the engine on the live tables (SQLite, or PostgreSQL when
CIVICDESK_TEST_DATABASE_URL is set) and on the DuckDB copy gives the same numbers — every
measure, every grouping, whole months and odd days, with and without the roll-ups."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from civicdesk.assessment import analytical
from civicdesk.assessment.analytical import DuckStore, refresh
from civicdesk.assessment.engine import GROUPINGS, evaluate
from civicdesk.errors import ConfigurationError
from civicdesk.repeats.scoring import OTHER, RECURRENCE
from civicdesk.reports.periods import Period
from tests.assessment.test_engine import AS_OF, build_march
from tests.assessment.world import World, local, make_world

PERIODS = (
    Period(date(2026, 3, 1), date(2026, 3, 31)),  # a month
    Period(date(2026, 1, 1), date(2026, 7, 31)),  # 1–7月: last year and previous overlap
    Period(date(2026, 2, 27), date(2026, 4, 2)),  # odd days around whole months
    Period(date(2026, 3, 1), date(2026, 3, 1)),  # a day (local midnight edges)
    Period(date(2024, 1, 1), date(2024, 1, 31)),  # nothing at all
)


def build_more(w: World) -> None:
    build_march(w)
    for i, day in enumerate(
        (
            "2025-03-03",
            "2025-06-30",
            "2025-07-01",
            "2025-12-31",
            "2026-01-15",
            "2026-02-27",
            "2026-02-28",
            "2026-04-02",
            "2026-06-30",
        )
    ):
        _, rows = w.case(
            f"{day} 23:{30 + i}",
            street=w.xixi if i % 2 else w.qingbo,
            category=w.cold if i % 3 else w.hot,
            unit=w.other_unit,
            complaints=1 + i % 2,
            channel=w.other_channel if i % 4 else None,
            satisfaction=("satisfied", "basically", "unsatisfied")[i % 3],
            # 按时立案/按期派遣: in time, late, or no stored deadline (an old import).
            file_late=(False, True, None)[i % 3],
            dispatch_late=(True, None, False)[i % 3],
            rework=i % 2,
            returned=1 if i % 4 == 1 else 0,
        )
        if len(rows) > 1:
            w.link(rows[1], rows[0], OTHER if i % 3 else RECURRENCE)
    w.case("2026-03-01 00:00", status="accepted", handled=False, handle_due="2026-03-05 17:00")
    w.case("2026-02-28 23:59:59", status="dispatched", accepted=False, handled=False)
    w.complaint(local("2026-06-01 08:00"), street=w.xixi)


def _numbers(result: Any) -> dict[str, Any]:
    data = result.to_dict()
    for volatile in ("backend", "refreshed_at"):
        data.pop(volatile)
    return data


@pytest.fixture
def copy(session: Session, tmp_path: Path) -> Path:
    build_more(make_world(session))
    path = tmp_path / "facts.duckdb"
    result = refresh(session, path, now=local("2026-11-27 09:00"))
    assert result.rows == 27  # 11 in March, 13 in the loop, 3 more
    return path


def test_every_number_is_the_same_on_both_paths(session: Session, copy: Path) -> None:
    compared = 0
    for period in PERIODS:
        for by in GROUPINGS:
            live = evaluate(session, period=period, by=by, as_of=AS_OF)
            fast = evaluate(
                session, period=period, by=by, as_of=AS_OF, backend="duckdb", duckdb_path=copy
            )
            assert _numbers(live) == _numbers(fast), (period, by)
            compared += len(live.rows) + 1
    assert compared > 200


@pytest.mark.parametrize(
    "options",
    [
        {"channel_code": None},  # set below: the raw table answers (no roll-up by channel)
        {"area_code": "上城区"},
        {"category_code": "street_vendor", "variants": {"closure_rate": "excl_suspended"}},
        {"variants": {"dispatch_accuracy_rate": "rework", "dispatched_accurately": "rework"}},
        {"appeals": "include", "as_of": local("2026-03-04 12:00")},
    ],
)
def test_filters_variants_and_raw_path(
    session: Session, copy: Path, options: dict[str, Any]
) -> None:
    if "channel_code" in options:
        from civicdesk.intake.models import Channel

        options = {"channel_code": session.get_one(Channel, 2).code}
    options = {"as_of": AS_OF, **options}
    period = Period(date(2026, 1, 1), date(2026, 7, 31))
    for by in ("district", "street", "month"):
        live = evaluate(session, period=period, by=by, **options)
        fast = evaluate(
            session, period=period, by=by, backend="duckdb", duckdb_path=copy, **options
        )
        assert _numbers(live) == _numbers(fast), (by, options)


def test_the_deadline_and_dispatch_measures_are_covered(session: Session, copy: Path) -> None:
    """The filing/dispatch measures are not all zero here, so their identity means something."""
    keys = [
        "filing_on_time_rate",
        "dispatch_on_time_rate",
        "dispatch_accuracy_rate",
        "filed_on_time",
        "dispatched_on_time",
        "dispatched_accurately",
    ]
    period = Period(date(2025, 1, 1), date(2026, 12, 31))
    for by in ("total", "district", "month"):
        live = evaluate(session, period=period, by=by, measures=keys, as_of=AS_OF)
        fast = evaluate(
            session,
            period=period,
            by=by,
            measures=keys,
            as_of=AS_OF,
            backend="duckdb",
            duckdb_path=copy,
        )
        assert _numbers(live) == _numbers(fast), by
    figures = live.total.figures
    on_time = figures["filing_on_time_rate"]
    # Late, in time and without a deadline all occur: 0 < numerator < denominator < 立案数.
    assert 0 < on_time.numerator < on_time.denominator
    dispatch = figures["dispatch_on_time_rate"]
    assert 0 < dispatch.numerator < dispatch.denominator
    accuracy = figures["dispatch_accuracy_rate"]
    assert 0 < accuracy.numerator < accuracy.denominator


def test_the_copy_says_how_fresh_it_is(session: Session, copy: Path) -> None:
    fast = evaluate(session, period=PERIODS[0], backend="duckdb", duckdb_path=copy)
    assert fast.backend == "duckdb" and fast.refreshed_at == local("2026-11-27 09:00")
    live = evaluate(session, period=PERIODS[0])
    assert live.backend == "sql" and live.refreshed_at is None
    store = DuckStore.open(copy)
    assert store.rows == 27


def test_a_refresh_replaces_the_copy(session: Session, copy: Path, world_extra: None) -> None:
    before = evaluate(
        session, period=PERIODS[0], measures="complaints", backend="duckdb", duckdb_path=copy
    )
    refresh(session, copy)
    after = evaluate(
        session, period=PERIODS[0], measures="complaints", backend="duckdb", duckdb_path=copy
    )
    assert after.total.figures["complaints"].value == before.total.figures["complaints"].value + 1


@pytest.fixture
def world_extra(session: Session, copy: Path) -> None:
    make_world(session).complaint("2026-03-20 10:00")


def test_missing_copy_is_a_clear_error(session: Session, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="assessment refresh"):
        evaluate(session, period=PERIODS[0], backend="duckdb", duckdb_path=tmp_path / "none")


def test_whole_months_and_edge_days() -> None:
    months, days = analytical.split_months([PERIODS[2], PERIODS[1], PERIODS[3]])
    assert months == [
        (0, date(2026, 3, 1), date(2026, 3, 1)),
        (1, date(2026, 1, 1), date(2026, 7, 1)),
    ]
    assert days == [
        (0, date(2026, 2, 27), date(2026, 2, 28)),
        (0, date(2026, 4, 1), date(2026, 4, 2)),
        (2, date(2026, 3, 1), date(2026, 3, 1)),
    ]
