"""Case actions against a real session: every move recorded, illegal ones refused, nothing lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civicdesk.cases.models import CaseEvent
from civicdesk.cases.repository import case_events
from civicdesk.cases.service import perform
from civicdesk.core.workflow import CaseAction as A
from civicdesk.errors import IllegalTransition, InvalidInput, PermissionDenied
from tests import builders as b


@pytest.fixture
def staff(session, now):
    squadron = b.unit_by_name(session, "西溪中队")
    other = b.unit_by_name(session, "灵隐中队")
    return {
        "operator": b.user(session, "operator", now=now),
        "dispatcher": b.user(session, "dispatcher", now=now),
        "leader": b.user(session, "leader", now=now),
        "xixi": b.user(session, "unit_staff", now=now, unit=squadron),
        "lingyin": b.user(session, "unit_staff", now=now, unit=other),
        "squadron": squadron,
        "other": other,
    }


def act(session, case, action, actor, now, **params):
    return perform(session, case, action, actor=actor, now=now, calendar=b.calendar(), **params)


def test_complaint_to_closed_case_records_every_step(session, now, staff):
    result = b.complaint(session, now=now, actor=staff["operator"])
    case = result.case
    assert case.status == "received" and case.complaint_count == 1
    act(session, case, A.file, staff["operator"], now)
    act(session, case, A.dispatch, staff["dispatcher"], now, unit_id=staff["squadron"].id)
    # Tuesday 10:00 + 1 working hour (street vendors) = 11:00 the same morning, Beijing time.
    assert case.accept_due_at is not None and case.due_at == case.accept_due_at
    act(session, case, A.accept, staff["xixi"], now + timedelta(minutes=30))
    assert case.due_at == case.handle_due_at
    act(session, case, A.reply, staff["xixi"], now + timedelta(hours=5), reply_text="已劝离摊贩")
    act(
        session,
        case,
        A.callback,
        staff["dispatcher"],
        now + timedelta(days=1),
        satisfaction="satisfied",
        solved="true",
    )
    act(session, case, A.close, staff["dispatcher"], now + timedelta(days=1))
    assert case.status == "closed" and case.closed_at is not None
    steps = [(e.action, e.from_status, e.to_status) for e in case_events(session, case.id)]
    assert steps == [
        ("receive", "received", "received"),
        ("file", "received", "filed"),
        ("dispatch", "filed", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("reply", "accepted", "handled"),
        ("callback", "handled", "handled"),
        ("close", "handled", "closed"),
    ]
    events = case_events(session, case.id)
    assert events[2].unit_id == staff["squadron"].id
    assert events[3].actor_id == staff["xixi"].id


def _dispatched(session, now, staff):
    case = b.complaint(session, now=now, actor=staff["operator"]).case
    act(session, case, A.file, staff["operator"], now)
    act(session, case, A.dispatch, staff["dispatcher"], now, unit_id=staff["squadron"].id)
    return case


def _events(session, case):
    return session.scalar(select(func.count()).where(CaseEvent.case_id == case.id))


def test_a_refused_action_changes_nothing(session, now, staff):
    case = _dispatched(session, now, staff)
    before = _events(session, case)
    with pytest.raises(PermissionDenied):
        act(session, case, A.accept, staff["lingyin"], now)  # another squadron
    with pytest.raises(PermissionDenied):
        act(session, case, A.close, staff["leader"], now)
    with pytest.raises(IllegalTransition):
        act(session, case, A.reply, staff["xixi"], now, reply_text="x")  # not accepted yet
    assert case.status == "dispatched" and _events(session, case) == before


def test_a_return_needs_a_reason_and_goes_back_to_the_dispatcher(session, now, staff):
    case = _dispatched(session, now, staff)
    with pytest.raises(InvalidInput, match="原因"):
        act(session, case, A.return_, staff["xixi"], now)
    act(session, case, A.return_, staff["xixi"], now, note="该地址属灵隐街道")
    assert case.status == "returned" and case.unit_id is None and case.returned_count == 1
    assert case_events(session, case.id)[-1].unit_id == staff["squadron"].id  # who returned it
    act(session, case, A.dispatch, staff["dispatcher"], now, unit_id=staff["other"].id)
    assert case.status == "dispatched" and case.unit_id == staff["other"].id


def test_extension_moves_the_handling_deadline_in_working_days(session, now, staff):
    case = _dispatched(session, now, staff)
    act(session, case, A.accept, staff["xixi"], now)
    due = case.handle_due_at
    act(session, case, A.request_extension, staff["xixi"], now, days="3", note="需协调街道")
    with pytest.raises(InvalidInput):
        act(session, case, A.request_extension, staff["xixi"], now, days="3", note="again")
    act(session, case, A.approve_extension, staff["dispatcher"], now)
    assert case.handle_due_at == b.calendar().due_after_working_days(due, 3)
    assert case.extension_count == 1 and case.extension_requested_days is None


def test_extension_after_the_deadline_is_refused(session, now, staff):
    case = _dispatched(session, now, staff)
    act(session, case, A.accept, staff["xixi"], now)
    late = case.handle_due_at + timedelta(hours=1)
    with pytest.raises(InvalidInput, match="超过处置期限"):
        act(session, case, A.request_extension, staff["xixi"], late, days="2", note="x")


def test_unsatisfied_callback_leads_to_rework_or_a_reasoned_close(session, now, staff):
    case = _dispatched(session, now, staff)
    act(session, case, A.accept, staff["xixi"], now)
    for _ in range(2):  # feedback.yaml: "not solved" goes back for rework, at most twice
        act(session, case, A.reply, staff["xixi"], now, reply_text="已处理")
        act(
            session,
            case,
            A.callback,
            staff["dispatcher"],
            now,
            satisfaction="unsatisfied",
            solved="false",
        )
        assert case.status == "accepted" and case.satisfaction is None
    assert case.rework_count == 2
    act(session, case, A.reply, staff["xixi"], now, reply_text="已处理")
    act(
        session,
        case,
        A.callback,
        staff["dispatcher"],
        now,
        satisfaction="unsatisfied",
        solved="false",
    )
    assert case.status == "handled"  # reworked twice already: the centre decides
    with pytest.raises(InvalidInput, match="未解决"):
        act(session, case, A.close, staff["dispatcher"], now)
    act(session, case, A.close, staff["dispatcher"], now, note="历史遗留问题，需规划解决")
    assert case.status == "closed" and case.close_outcome == "not_fixed"


def test_a_second_complaint_joins_the_open_case(session, now, staff):
    first = b.complaint(session, now=now, actor=staff["operator"], upstream_ref="A-1")
    second = b.complaint(
        session,
        now=now,
        actor=staff["operator"],
        channel="96345",
        upstream_ref="B-7",
        case_number=first.case.number,
    )
    assert second.case.id == first.case.id and first.case.complaint_count == 2
    assert case_events(session, first.case.id)[-1].action == "attach"


def test_a_resent_complaint_is_recognised_not_counted_twice(session, now, staff):
    first = b.complaint(session, now=now, upstream_ref="12345-2026-000001")
    again = b.complaint(session, now=now, upstream_ref="12345-2026-000001", text="重发")
    assert again.created is False and again.complaint.id == first.complaint.id
    other_channel = b.complaint(session, now=now, channel="96345", upstream_ref="12345-2026-000001")
    assert other_channel.created is True  # the reference is unique per channel only


def test_filing_an_out_of_remit_category_is_refused(session, now, staff):
    case = b.complaint(session, now=now, category="not_city").case
    with pytest.raises(InvalidInput, match="不属于城管事项"):
        act(session, case, A.file, staff["operator"], now)
    act(session, case, A.not_file, staff["operator"], now, note="属物业管理，已告知市民")
    assert case.status == "not_filed" and case.not_filed_reason


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"channel": "nope"}, "未知渠道"),
        ({"category": "nope"}, "未知类别"),
        ({"area": "999"}, "未知区域"),
        ({"case_number": "HZ000"}, "不存在"),
    ],
)
def test_intake_refuses_unknown_references(session, now, fields, message):
    with pytest.raises(InvalidInput, match=message):
        b.complaint(session, now=now, **fields)


def test_intake_refuses_a_time_in_the_future(session, now):
    with pytest.raises(InvalidInput, match="晚于当前时间"):
        b.complaint(session, now=now, received_at=(now + timedelta(days=1)).isoformat())


def test_case_numbers_run_per_day(session, now):
    one = b.complaint(session, now=now).case.number
    two = b.complaint(session, now=now).case.number
    assert one[:10] == two[:10] == "HZ20260310"
    assert int(two[10:]) == int(one[10:]) + 1


def test_a_deadline_in_an_unknown_year_is_a_clear_configuration_error(session, staff):
    from datetime import datetime

    from civicdesk.clock import SHANGHAI
    from civicdesk.errors import ConfigurationError

    late = datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI)  # the handling limit runs into 2027
    case = b.complaint(session, now=late, category="illegal_building").case  # 15 working days
    act(session, case, A.file, staff["operator"], late)
    with pytest.raises(ConfigurationError, match="2027年的节假日安排尚未载入"):
        act(session, case, A.dispatch, staff["dispatcher"], late, unit_id=staff["squadron"].id)
    assert case.status == "filed"
