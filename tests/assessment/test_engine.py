"""Every measure against a fixture computed by hand; comparisons; groupings; scope; bad input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from civicdesk.assessment import facts
from civicdesk.assessment.engine import GROUPINGS, evaluate
from civicdesk.assessment.measures import MEASURES
from civicdesk.errors import InvalidInput, NotFound
from civicdesk.repeats.scoring import DUPLICATE, SAME
from civicdesk.reports.periods import Period
from tests.assessment.world import World, local, make_world

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
AS_OF = local("2026-04-15 12:00")


@dataclass
class Scenario:
    world: World
    session: Session


def build_march(w: World) -> None:
    """March 2026 in 上城 (清波): nine cases A–I in every state, a complaint without a case, a
    confirmed duplicate intake (not counted) and a repeat. The expected figures are in
    ``EXPECTED``, counted by hand from this list."""
    # A: closed on time, satisfied; 2 complaints, the second a repeat by the same caller.
    _, (a1, a2) = w.case("2026-03-02 09:00", satisfaction="satisfied", complaints=2)
    w.link(a2, a1, SAME)
    # B: filed late, accepted late, handled late, reworked once, closed, basically satisfied.
    w.case(
        "2026-03-03 09:00",
        file_late=True,
        accepted_late=True,
        handled_late=True,
        rework=1,
        satisfaction="basically",
    )
    # C: dispatched late; accepted, awaiting handling, past its (extended) deadline at AS_OF.
    w.case(
        "2026-03-04 09:00",
        dispatch_late=True,
        status="accepted",
        handled=False,
        extended=1,
        handle_due="2026-04-01 17:00",
    )
    # D: suspended (挂账); written without filing or dispatch deadlines (an old import).
    w.case(
        "2026-03-05 09:00",
        file_late=None,
        dispatch_late=None,
        status="suspended",
        category=w.cold,
        handled=False,
        handle_due="2026-04-01 17:00",
    )
    # E: not filed. F: received, not yet judged.
    w.case(
        "2026-03-06 09:00",
        status="not_filed",
        category=w.cold,
        filed=False,
        dispatched=False,
        accepted=False,
        handled=False,
    )
    w.case(
        "2026-03-07 09:00",
        status="received",
        category=w.cold,
        filed=False,
        dispatched=False,
        accepted=False,
        handled=False,
    )
    # G: dispatched, returned once and dispatched again, not accepted; deadline after AS_OF.
    w.case(
        "2026-03-08 09:00",
        status="dispatched",
        category=w.cold,
        accepted=False,
        handled=False,
        returned=1,
        handle_due="2026-04-30 17:00",
    )
    # H: closed on time although not fixed; unsatisfied.
    w.case("2026-03-09 09:00", category=w.cold, satisfaction="unsatisfied", outcome="not_fixed")
    # I: filed, then merged into another case (作废).
    w.case(
        "2026-03-10 09:00",
        status="merged",
        category=w.cold,
        dispatched=False,
        accepted=False,
        handled=False,
    )
    # A complaint that opened no case, and a confirmed duplicate intake of A's first complaint.
    w.complaint("2026-03-11 09:00", category=w.cold)
    dup = w.complaint("2026-03-02 09:30", case=None)
    w.link(dup, a1, DUPLICATE)


# Counted by hand from build_march (A–I, the caseless complaint; the duplicate not counted).
EXPECTED: dict[str, tuple[int, int | None, str | None]] = {
    "complaints": (11, None, None),  # A×2, B–I, caseless
    "hotspot": (4, None, None),  # A×2, B, C
    "repeats": (1, None, None),
    "repeats_same": (1, None, None),
    "repeats_other": (0, None, None),
    "recurrences": (0, None, None),
    "cases": (9, None, None),
    "filed": (7, None, None),  # A B C D G H I
    "filed_on_time": (5, None, None),  # A C G H I (B late, D has no deadline)
    "not_filed": (1, None, None),
    "voided": (1, None, None),  # I
    "dispatched": (6, None, None),  # A B C D G H
    "dispatched_on_time": (4, None, None),  # A B G H (C late, D no deadline, I voided)
    "dispatched_accurately": (5, None, None),  # dispatched 6 − returned 1 (G)
    "handled": (3, None, None),  # A B H
    "handled_on_time": (2, None, None),  # A H
    "handled_late": (1, None, None),  # B
    "overdue_pending": (1, None, None),  # C (D is suspended, G's deadline is later)
    "due_close": (6, None, None),  # filed − voided
    "closed": (3, None, None),
    "closed_on_time": (2, None, None),  # A H (B was handled late)
    "suspended": (1, None, None),
    "rework": (1, None, None),
    "returned": (1, None, None),
    "extended": (1, None, None),
    "callbacks": (3, None, None),
    "filing_rate": (7, 9, "77.78"),
    "accurate_filing_rate": (6, 7, "85.71"),
    "dispatch_rate": (6, 6, "100.00"),
    "accept_on_time_rate": (4, 6, "66.67"),  # A C D H accepted in time; B late; G not accepted
    "handling_rate": (3, 6, "50.00"),
    "handling_on_time_rate": (2, 6, "33.33"),
    "closure_rate": (3, 6, "50.00"),
    "closure_on_time_rate": (2, 6, "33.33"),
    "rework_rate": (1, 6, "16.67"),
    "overdue_pending_rate": (1, 6, "16.67"),
    "extension_rate": (1, 6, "16.67"),
    "return_rate": (1, 6, "16.67"),
    "filing_on_time_rate": (5, 6, "83.33"),  # over filed with a deadline: A B C G H I
    "dispatch_on_time_rate": (4, 5, "80.00"),  # over due_close with a deadline: A B C G H
    "dispatch_accuracy_rate": (5, 6, "83.33"),  # (6 − 1 returned) / 6 dispatched
    "satisfaction_rate": (2, 3, "66.67"),
    "dissatisfaction_rate": (1, 3, "33.33"),
    "repeat_share": (1, 11, "9.09"),
    "hotspot_share": (4, 11, "36.36"),
}


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


def test_every_measure_has_a_hand_computed_expectation() -> None:
    assert set(EXPECTED) == set(MEASURES)


def test_every_formula_against_the_hand_computed_fixture(session: Session, world: World) -> None:
    build_march(world)
    result = evaluate(session, period=MARCH, as_of=AS_OF)
    for key, (numerator, denominator, value) in EXPECTED.items():
        figure = result.total.figures[key]
        assert (figure.numerator, figure.denominator) == (numerator, denominator), key
        expected_value = numerator if value is None else Decimal(value)
        assert figure.value == expected_value, key


def test_denominator_variants(session: Session, world: World) -> None:
    build_march(world)
    result = evaluate(
        session,
        period=MARCH,
        as_of=AS_OF,
        measures=["filing_rate", "closure_rate", "closure_on_time_rate", "rework_rate"],
        variants={
            "filing_rate": "judged",  # 7 / (7 + 1)
            "closure_rate": "excl_suspended",  # 3 / (6 − 1)
            "closure_on_time_rate": "excl_suspended",  # 2 / 5
            "rework_rate": "per_handled",  # 1 / 3
        },
    )
    values = {k: (f.numerator, f.denominator, f.value) for k, f in result.total.figures.items()}
    assert values == {
        "filing_rate": (7, 8, Decimal("87.50")),
        "closure_rate": (3, 5, Decimal("60.00")),
        "closure_on_time_rate": (2, 5, Decimal("40.00")),
        "rework_rate": (1, 3, Decimal("33.33")),
    }
    with pytest.raises(InvalidInput, match="没有口径"):
        evaluate(session, period=MARCH, measures=["closure_rate"], variants={"closure_rate": "x"})


def test_dispatch_accuracy_less_returns_or_less_reworks(session: Session, world: World) -> None:
    build_march(world)
    # K: one more dispatched case, reworked twice: returns stay 1 (G), reworked cases become 2.
    world.case("2026-03-12 09:00", category=world.cold, rework=2)
    keys = ["dispatch_accuracy_rate", "dispatched_accurately"]

    def values(variants: dict[str, str] | None) -> dict[str, tuple]:
        result = evaluate(session, period=MARCH, as_of=AS_OF, measures=keys, variants=variants)
        return {k: (f.numerator, f.denominator, f.value) for k, f in result.total.figures.items()}

    assert values(None) == {
        "dispatch_accuracy_rate": (6, 7, Decimal("85.71")),  # 7 dispatched − 1 returned
        "dispatched_accurately": (6, None, 6),
    }
    assert values({"dispatch_accuracy_rate": "rework", "dispatched_accurately": "rework"}) == {
        "dispatch_accuracy_rate": (5, 7, Decimal("71.43")),  # 7 − 2 reworked (B, K)
        "dispatched_accurately": (5, None, 5),
    }


def test_overdue_depends_on_the_moment_of_reading(session: Session, world: World) -> None:
    build_march(world)
    before = evaluate(session, period=MARCH, measures="overdue_pending", as_of=local("2026-03-31"))
    after = evaluate(session, period=MARCH, measures="overdue_pending", as_of=local("2026-05-01"))
    assert before.total.figures["overdue_pending"].value == 0
    assert after.total.figures["overdue_pending"].value == 2  # C and G


def test_same_period_last_year_and_previous_period(session: Session, world: World) -> None:
    build_march(world)
    for day in (3, 10, 17, 24):  # March 2025: four cases, all closed on time
        world.case(f"2025-03-{day:02d} 10:00")
    for day in (2, 9, 16, 23, 27):  # February 2026: five cases received, none judged
        world.case(
            f"2026-02-{day:02d} 10:00",
            status="received",
            filed=False,
            dispatched=False,
            accepted=False,
            handled=False,
        )
    world.case(
        "2026-02-28 23:59",
        status="received",
        filed=False,
        dispatched=False,
        accepted=False,
        handled=False,
    )
    world.case(
        "2026-03-01 00:00",
        status="received",
        filed=False,
        dispatched=False,
        accepted=False,
        handled=False,
    )  # in March: local midnight
    result = evaluate(session, period=MARCH, measures=["complaints", "closure_rate"], as_of=AS_OF)
    assert (result.last_year, result.previous) == (
        Period(date(2025, 3, 1), date(2025, 3, 31)),
        Period(date(2026, 2, 1), date(2026, 2, 28)),
    )
    complaints = result.total.figures["complaints"]
    assert (complaints.value, complaints.last_year.value, complaints.previous.value) == (12, 4, 6)
    assert complaints.yoy_change == 8 and complaints.yoy_percent == Decimal("200.00")
    assert complaints.prev_change == 6 and complaints.prev_percent == Decimal("100.00")
    closure = result.total.figures["closure_rate"]
    assert closure.value == Decimal("50.00") and closure.last_year.value == Decimal("100.00")
    assert closure.yoy_change == Decimal("-50.00")  # percentage points
    assert closure.yoy_percent == Decimal("-50.00")  # relative
    # February has no case due to close: no rate, and no change against it — never 0%.
    assert closure.previous.denominator == 0 and closure.previous.value is None
    assert closure.prev_change is None and closure.prev_percent is None


def test_a_period_with_no_data(session: Session, world: World) -> None:
    build_march(world)
    empty = Period(date(2024, 1, 1), date(2024, 1, 31))
    result = evaluate(session, period=empty, by="district", as_of=AS_OF)
    assert result.empty
    total = result.total.figures
    assert total["complaints"].value == 0 and total["complaints"].yoy_percent is None
    assert total["closure_rate"].value is None  # "—", not 0%
    assert total["closure_rate"].denominator == 0
    # Every district is still listed, with zeros, so none drops out of a ranking.
    assert {r.label for r in result.rows} >= {"上城区", "西湖区"}
    assert all(r.figures["complaints"].value == 0 for r in result.rows)
    assert not evaluate(session, period=MARCH, as_of=AS_OF).empty


def test_groupings_add_up_to_the_total(session: Session, world: World) -> None:
    build_march(world)
    world.case("2026-03-12 10:00", street=world.xixi, unit=world.other_unit)
    world.case("2026-03-13 10:00", street=world.xixi, category=world.cold, unit=world.other_unit)
    for by in GROUPINGS:
        result = evaluate(session, period=MARCH, by=by, as_of=AS_OF)
        for key in MEASURES:
            m = MEASURES[key]
            total = result.total.figures[key]
            numerators = sum(r.figures[key].numerator for r in result.rows)
            if by != "total":
                assert numerators == total.numerator, (by, key)
            if m.is_rate and by != "total":
                assert sum(r.figures[key].denominator or 0 for r in result.rows) == (
                    total.denominator
                ), (by, key)
    whole = evaluate(session, period=MARCH, by="total", as_of=AS_OF)
    assert len(whole.rows) == 1 and whole.rows[0].figures == whole.total.figures


def test_by_district_street_unit_category(session: Session, world: World) -> None:
    build_march(world)
    world.case("2026-03-12 10:00", street=world.xixi, unit=world.other_unit)
    by_district = evaluate(session, period=MARCH, by="district", measures="complaints")
    counts = {r.label: r.figures["complaints"].value for r in by_district.rows}
    assert counts["上城区"] == 11 and counts["西湖区"] == 1 and counts["拱墅区"] == 0
    assert by_district.rows[0].codes == (world.shangcheng.code,)

    by_street = evaluate(
        session, period=MARCH, by="street", measures="complaints", area_code="西湖"
    )
    streets = {r.label: r.figures["complaints"].value for r in by_street.rows}
    assert streets[world.xixi.name] == 1 and world.qingbo.name not in streets
    assert by_street.total.figures["complaints"].value == 1

    by_unit = evaluate(session, period=MARCH, by="unit", measures=["complaints", "cases"])
    units = {
        r.label: (r.figures["complaints"].value, r.figures["cases"].value) for r in by_unit.rows
    }
    # The unit's: A×2 B C D G H; E F I never reached a unit, nor did the caseless complaint.
    assert units[world.unit.name] == (7, 6)
    assert units[world.other_unit.name] == (1, 1)
    assert units["未派遣"] == (4, 3)

    by_hot = evaluate(session, period=MARCH, by="hotspot_category", measures="complaints")
    hot = {r.label: r.figures["complaints"].value for r in by_hot.rows}
    assert hot["无证摊贩"] == 5 and hot["非热点问题"] == 7
    assert len([r for r in by_hot.rows if r.key != (None,)]) == 9  # the nine, zeros included

    matrix = evaluate(session, period=MARCH, by="district_category", measures="complaints")
    cell = matrix.row(world.shangcheng.code, world.hot.code)
    assert cell.figures["complaints"].value == 4 and cell.label == "上城区·无证摊贩"


def test_trend_by_month_with_each_months_comparisons(session: Session, world: World) -> None:
    build_march(world)
    world.case("2026-02-10 10:00")
    world.case("2025-03-10 10:00")
    world.case("2025-03-11 10:00")
    q1 = Period(date(2026, 1, 1), date(2026, 3, 31))
    result = evaluate(session, period=q1, by="month", measures="complaints")
    assert [r.key for r in result.rows] == [("2026-01",), ("2026-02",), ("2026-03",)]
    march = result.rows[2].figures["complaints"]
    assert (march.value, march.last_year.value, march.previous.value) == (11, 2, 1)
    feb = result.rows[1].figures["complaints"]
    assert (feb.value, feb.last_year.value, feb.previous.value) == (1, 0, 0)
    assert result.rows[2].periods[2] == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert result.total.figures["complaints"].value == 12
    assert result.total.figures["complaints"].last_year.value == 2


def test_scope_filters(session: Session, world: World) -> None:
    build_march(world)
    world.case("2026-03-12 10:00", street=world.xixi, channel=world.other_channel)

    def count(**kw: object) -> int:
        r = evaluate(session, period=MARCH, measures="complaints", **kw)  # type: ignore[arg-type]
        return r.total.figures["complaints"].value  # type: ignore[return-value]

    assert count() == 12
    assert count(area_code="上城区") == 11
    assert count(area_code=world.xixi.code) == 1
    assert count(category_code=world.hot.code) == 5
    assert count(channel_code=world.other_channel.code) == 1
    assert count(unit_code=world.unit.code) == 8
    with pytest.raises(NotFound):
        count(area_code="火星区")
    with pytest.raises(NotFound):
        count(unit_code="no-such-unit")


def test_approved_appeals_leave_the_figures(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook H2 fills in: whatever appeal_approved() says is left out unless included."""
    build_march(world)
    case_b = world.cases[1]
    from civicdesk.intake.models import Complaint

    monkeypatch.setattr(facts, "appeal_approved", lambda: Complaint.case_id == case_b.id)
    excluded = evaluate(session, period=MARCH, measures=["complaints", "closed"], as_of=AS_OF)
    included = evaluate(
        session, period=MARCH, measures=["complaints", "closed"], as_of=AS_OF, appeals="include"
    )
    assert excluded.total.figures["complaints"].value == 10
    assert excluded.total.figures["closed"].value == 2
    assert included.total.figures["complaints"].value == 11
    assert included.total.figures["closed"].value == 3


def test_bad_input_is_refused_clearly(session: Session) -> None:
    with pytest.raises(InvalidInput, match="未知的分组"):
        evaluate(session, period=MARCH, by="galaxy")
    with pytest.raises(InvalidInput, match="未知指标"):
        evaluate(session, period=MARCH, measures=["happiness"])
    with pytest.raises(InvalidInput, match="晚于"):
        Period(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(InvalidInput, match="后端"):
        evaluate(session, period=MARCH, backend="oracle")  # type: ignore[arg-type]
