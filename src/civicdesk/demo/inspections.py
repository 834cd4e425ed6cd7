"""Street-order inspections (街面保序检查) for the demo history: the spot checks the schemes of
``assessment.yaml`` combine with the complaint figures (``source: inspection``).

Twice a month on a working day, each street (or a district without streets) is checked by one of
the city's inspection teams: 20–40 items, problems found at the district's own level of street
order (a steady rate per district, a little noise per street and check), 1.5 points deducted
per problem. Deterministic: its own random stream from the seed, so the rest of the history is
not moved by it, and a handful of rows per street and month (milliseconds to write).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from civicdesk.assessment.inspections import score_of
from civicdesk.assessment.scheme_models import Inspection
from civicdesk.demo.calendar_fast import FastCalendar, date_of, day_number
from civicdesk.demo.draws import FastRandom
from civicdesk.org.models import Area, AreaLevel

TEAMS = ("市城管督查一组", "市城管督查二组", "市城管督查三组", "区城管督查组")
CHECK_DAYS = (8, 22)  # the check falls on the first working day from these days of the month
POINTS_PER_PROBLEM = 1.5
SOURCE = "demo"


def inspection_rows(
    session: Session,
    calendar: FastCalendar,
    *,
    seed: int,
    first: date,
    last: date,
    recorded_at: datetime,
) -> list[dict[str, object]]:
    """The checks of every street from ``first`` to ``last`` (inclusive), in date order."""
    rng = FastRandom(seed * 7919 + 31)
    areas = list(session.scalars(select(Area).order_by(Area.sort_order, Area.code)))
    districts = [a for a in areas if a.level == AreaLevel.district]
    streets_of = {
        d.id: [a for a in areas if a.parent_id == d.id and a.level == AreaLevel.street]
        for d in districts
    }
    # How orderly each district's streets are: 3–12% of the items checked fail.
    level = {d.id: rng.uniform(0.03, 0.12) for d in districts}
    places = [(s, level[d.id]) for d in districts for s in (streets_of[d.id] or [d])]
    rows: list[dict[str, object]] = []
    month = date(first.year, first.month, 1)
    while month <= last:
        for day in CHECK_DAYS:
            number = day_number(month.replace(day=day))
            while not calendar.is_workday(number):
                number += 1
            on = date_of(number)
            if not first <= on <= last:
                continue
            for area, rate in places:
                items = rng.randint(20, 40)
                chance = min(max(rate * rng.uniform(0.6, 1.4), 0.0), 1.0)
                problems = sum(1 for _ in range(items) if rng.random() < chance)
                deductions = problems * POINTS_PER_PROBLEM
                rows.append(
                    {
                        "area_id": area.id,
                        "inspected_on": on,
                        "inspector": rng.choice(TEAMS),
                        "items_checked": items,
                        "problems_found": problems,
                        "deductions": deductions,
                        "score": score_of(deductions),
                        "note": None,
                        "recorded_by_id": None,
                        "recorded_at": recorded_at,
                        "source": SOURCE,
                    }
                )
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return rows


def write_inspections(session: Session, rows: list[dict[str, object]]) -> int:
    if rows:
        session.execute(insert(Inspection), rows)
    return len(rows)
