"""Returns decided by the centre, refused extensions, suspension with a review date: each
recorded where the assessment will read it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civicdesk.cases.repository import case_events
from civicdesk.clock import SHANGHAI
from civicdesk.core.workflow import CaseAction as A
from civicdesk.errors import IllegalTransition, InvalidInput
from tests import builders as b
from tests.supervision.conftest import act, dispatched


@pytest.fixture
def staff(session, now):
    return {
        "operator": b.user(session, "operator", now=now),
        "dispatcher": b.user(session, "dispatcher", now=now),
        "xixi": b.user(session, "unit_staff", now=now, unit=b.unit_by_name(session, "西溪中队")),
        "squadron": b.unit_by_name(session, "西溪中队"),
        "other": b.unit_by_name(session, "灵隐中队"),
    }


def test_a_refused_return_goes_back_to_the_unit_whose_clock_kept_running(session, now, staff):
    case = dispatched(session, now, staff)
    act(session, case, A.accept, staff["xixi"], now)
    handle_due = case.handle_due_at
    act(session, case, A.return_, staff["xixi"], now, note="不属本中队辖区")
    assert case.returned_by_unit_id == staff["squadron"].id and case.unit_id is None
    with pytest.raises(InvalidInput, match="原因"):
        act(session, case, A.refuse_return, staff["dispatcher"], now)
    later = now + timedelta(hours=1)
    act(session, case, A.refuse_return, staff["dispatcher"], later, note="经核实属西溪街道")
    assert (case.status, case.unit_id) == ("dispatched", staff["squadron"].id)
    assert case.return_refused_count == 1 and case.handle_due_at == handle_due
    assert case.accept_due_at == b.calendar().due_after_working_hours(later, 1)
    event = case_events(session, case.id)[-1]
    assert (event.action, event.unit_id, event.data["unit"]) == (
        "refuse_return",
        staff["squadron"].id,
        "sq-330106004",
    )


def test_an_approved_return_names_the_rejecting_unit(session, now, staff):
    case = dispatched(session, now, staff)
    act(session, case, A.return_, staff["xixi"], now, note="属灵隐街道")
    act(session, case, A.approve_return, staff["dispatcher"], now)
    assert case.status == "filed" and case.returned_by_unit_id is None
    assert case_events(session, case.id)[-1].data["returned_by"] == "sq-330106004"
    act(session, case, A.dispatch, staff["dispatcher"], now, unit_id=staff["other"].id)
    assert case.unit_id == staff["other"].id and case.returned_count == 1


def test_redispatching_a_returned_case_approves_the_return(session, now, staff):
    case = dispatched(session, now, staff)
    act(session, case, A.return_, staff["xixi"], now, note="属灵隐街道")
    act(session, case, A.dispatch, staff["dispatcher"], now, unit_id=staff["other"].id)
    assert case_events(session, case.id)[-1].data["returned_by"] == "sq-330106004"


def test_a_refused_extension_is_counted(session, now, staff):
    case = dispatched(session, now, staff)
    act(session, case, A.accept, staff["xixi"], now)
    act(session, case, A.request_extension, staff["xixi"], now, days="2", note="需协调")
    act(session, case, A.refuse_extension, staff["dispatcher"], now, note="时限内可办结")
    assert case.extension_refused_count == 1 and case.extension_count == 0


def test_extension_after_the_deadline_and_return_without_reason_are_refused(session, now, staff):
    case = dispatched(session, now, staff)
    with pytest.raises(InvalidInput, match="请填写原因"):
        act(session, case, A.return_, staff["xixi"], now)
    with pytest.raises(IllegalTransition, match="只有已签收、正在处置的案件可以申请延期"):
        act(session, case, A.request_extension, staff["xixi"], now, days="2", note="x")
    act(session, case, A.accept, staff["xixi"], now)
    with pytest.raises(InvalidInput, match="已超过处置期限"):
        act(
            session,
            case,
            A.request_extension,
            staff["xixi"],
            case.handle_due_at + timedelta(minutes=1),
            days="2",
            note="x",
        )


def test_suspension_stops_the_handling_clock_until_resumed(session, now, staff):
    case = dispatched(session, now, staff)  # handling due Thursday 12 March 17:30
    act(session, case, A.accept, staff["xixi"], now)
    left = b.calendar().working_hours_between(now, case.handle_due_at)
    with pytest.raises(InvalidInput, match="复查日期应晚于今天"):
        act(session, case, A.suspend, staff["dispatcher"], now, review_on="2026-03-10", note="x")
    act(session, case, A.suspend, staff["dispatcher"], now, review_on="2026-04-01", note="待拆迁")
    assert case.due_at == datetime(2026, 4, 1, 8, 30, tzinfo=SHANGHAI)  # the review day opens
    act(session, case, A.suspend, staff["dispatcher"], now, review_on="2026-04-15", note="顺延")
    resumed_at = datetime(2026, 4, 14, 9, 0, tzinfo=SHANGHAI)
    act(session, case, A.resume, staff["dispatcher"], resumed_at)
    assert case.review_on is None
    assert case.handle_due_at == b.calendar().due_after_working_hours(resumed_at, left)
    assert case.due_at == case.handle_due_at
