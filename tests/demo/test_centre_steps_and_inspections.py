"""The demo history's filing/dispatch deadlines and its street-order inspections: consistent
with the configuration, a realistic share late, enough for the hz-complaints scheme to score."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from civicdesk.assessment.scheme_models import Inspection
from civicdesk.assessment.scorecard import score
from civicdesk.config.service import work_calendar
from civicdesk.org.models import Area
from civicdesk.reports.periods import Period
from civicdesk.supervision import limits as time_limits
from tests.demo.test_generator import TODAY, YEAR, History, history  # noqa: F401 (fixture)


def test_deadlines_follow_the_configured_limits(history: History) -> None:  # noqa: F811
    session = history.session
    calendar = work_calendar(session, assume_weekdays_for_unknown=True)
    cases = list(history.cases.values())
    filed = [c for c in cases if c.filed_at is not None]
    assert filed and all(c.file_due_at is not None for c in cases)
    assert all(c.dispatch_due_at is not None for c in filed)
    for case in cases[:300]:
        category = history.categories[case.category_id]
        limit = time_limits.centre_limit(session, category, None, "file")
        assert case.file_due_at == limit.after(calendar, case.opened_at), case.number
    for case in [c for c in filed if c.returned_count == 0][:300]:
        category = history.categories[case.category_id]
        limit = time_limits.centre_limit(session, category, None, "dispatch")
        assert case.dispatch_due_at == limit.after(calendar, case.filed_at), case.number
    late_filing = sum(1 for c in filed if c.filed_at > c.file_due_at) / len(filed)
    dispatched = [c for c in filed if c.dispatched_at is not None]
    late_dispatch = sum(1 for c in dispatched if c.dispatched_at > c.dispatch_due_at) / len(
        dispatched
    )
    # A realistic few late, not none and not most.
    assert 0.01 < late_filing < 0.12, late_filing
    assert 0.03 < late_dispatch < 0.15, late_dispatch


def test_inspections_let_the_complaints_scheme_rank_the_districts(
    history: History,  # noqa: F811
) -> None:
    session = history.session
    checks = list(session.scalars(select(Inspection).where(Inspection.source == "demo")))
    assert len(checks) == history.stats.inspections > 0
    days = {c.inspected_on for c in checks}
    assert min(days) >= date(YEAR - 1, 1, 1) and max(days) < TODAY
    streets = {a.id for a in session.scalars(select(Area).where(Area.level == "street"))}
    assert streets <= {c.area_id for c in checks}  # every street checked
    assert all(
        0 <= c.problems_found <= c.items_checked and c.score == 100 - c.deductions for c in checks
    )
    card = score(session, "hz-complaints", Period(date(YEAR, 1, 1), date(YEAR, 7, 31)))
    assert len(card.results) == 6
    for unit in card.results:
        inspection = next(i for i in unit.indicators if i.code == "inspection")
        assert inspection.value is not None and inspection.points is not None, unit.name
    # Every district with enough complaints is ranked (none is 无法评分 for want of checks).
    assert all(u.status != "unscored" for u in card.results)
    assert sum(1 for u in card.results if u.rank is not None) >= 5
