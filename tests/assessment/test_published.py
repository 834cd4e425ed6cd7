"""Published figures: a city bulletin (天门) gives 应结案 972, 结案 911 → 结案率 93.72%, 按期结案
737 → 按期结案率 75.82% (shared/reference/indicators.md). Rebuilt as cases and counted."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from civicdesk.assessment.engine import evaluate
from civicdesk.reports.periods import Period
from tests.assessment.world import local, make_world

QUARTER = Period(date(2026, 4, 1), date(2026, 6, 30))


def test_the_bulletins_closure_rates(session: Session) -> None:
    world = make_world(session)
    start = local("2026-04-01 09:00")
    for i in range(972):
        at = (start + timedelta(hours=2 * i)).strftime("%Y-%m-%d %H:%M")
        if i < 737:  # closed, handled and answered in time
            world.case(at)
        elif i < 911:  # closed, but handled after the limit
            world.case(at, handled_late=True)
        else:  # still being handled
            world.case(at, status="accepted", handled=False)
    result = evaluate(
        session,
        period=QUARTER,
        measures=["due_close", "closed", "closed_on_time", "closure_rate", "closure_on_time_rate"],
        as_of=local("2026-07-01 09:00"),
    )
    figures = result.total.figures
    assert figures["due_close"].value == 972
    assert (figures["closed"].value, figures["closed_on_time"].value) == (911, 737)
    closure, on_time = figures["closure_rate"], figures["closure_on_time_rate"]
    assert (closure.numerator, closure.denominator, closure.value) == (911, 972, Decimal("93.72"))
    assert (on_time.numerator, on_time.denominator, on_time.value) == (
        737,
        972,
        Decimal("75.82"),
    )
