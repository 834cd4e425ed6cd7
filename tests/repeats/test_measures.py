"""Repeat measures: the narrative's sentence, the dashboard's breakdowns, frequent callers and
the callers a person judged possibly malicious (kept apart)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from civicdesk.errors import InvalidInput, PermissionDenied
from civicdesk.repeats import callers, context
from civicdesk.repeats.measures import repeat_measures
from civicdesk.reports.narrative import narrative
from civicdesk.reports.periods import Period
from civicdesk.reports.summary import AreaInfo, Comparison, SummaryReport, summary
from tests import builders as b


@pytest.fixture(autouse=True)
def _fresh_context():  # type: ignore[no-untyped-def]
    context.clear_cache()
    yield
    context.clear_cache()


def _report(repeats: Comparison) -> SummaryReport:
    period = Period(date(2026, 1, 1), date(2026, 7, 31))
    return SummaryReport(
        period=period,
        baseline=period.same_period_last_year(),
        area=AreaInfo("330100", "杭州市主城区", "主城区", "city"),
        total=Comparison(16676, 32971),
        hotspot=Comparison(13021, 20345),
        hotspot_categories=("生活噪声",),
        child_level=None,
        repeats=repeats,
    )


def test_the_source_sentence_on_repeats() -> None:
    text = narrative(_report(Comparison(2460, 6483)))
    assert "重复投诉量2460件，比去年同期的6483件减少了4023件，降幅达62.05%。" in text
    assert "增加了10件，增幅达10.00%" in narrative(_report(Comparison(110, 100)))
    assert "重复投诉" not in narrative(_report(Comparison(0, 0)))
    assert "去年同期无重复投诉" in narrative(replace(_report(Comparison(3, 0))))


def test_measures_follow_the_confirmed_links_and_keep_malicious_callers_apart(session, now):  # type: ignore[no-untyped-def]
    for i in range(6):  # one caller, six times at one place: five repeats
        b.complaint(session, now=now - timedelta(days=6 - i), upstream_ref=f"M{i}")
    day = now.date()
    m = repeat_measures(session, start=day - timedelta(days=10), end=day)
    assert m.total.current == 5 and m.by_kind["repeat_same_complainant"].current == 5
    assert m.hard_spots and m.hard_spots[0].place == "文三路100号"
    assert m.hard_spots[0].repeats == 5
    assert [(c.caller, c.complaints, c.repeats, c.review) for c in m.callers] == [
        ("13800001111", 6, 5, None)
    ]
    leader = b.user(session, "leader", now=now, username="lead-m")
    with pytest.raises(InvalidInput):
        callers.review(
            session, caller="13800001111", status="malicious", note="", actor=leader, now=now
        )
    callers.review(
        session,
        caller="13800001111",
        status="malicious",
        note="反复投诉同一已办结事项",
        actor=leader,
        now=now,
    )
    m = repeat_measures(session, start=day - timedelta(days=10), end=day)
    assert m.total.current == 0 and m.malicious_kept_apart == 5
    assert m.callers[0].review == "malicious"
    assert summary(session, start=day - timedelta(days=10), end=day).repeats.current == 0
    operator = b.user(session, "operator", now=now, username="op-m")
    with pytest.raises(PermissionDenied):
        callers.review(
            session, caller="13800001111", status="reset", note=None, actor=operator, now=now
        )
    callers.review(session, caller="13800001111", status="reset", note=None, actor=leader, now=now)
    assert repeat_measures(session, start=day - timedelta(days=10), end=day).total.current == 5
