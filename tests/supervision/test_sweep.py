"""The sweep against a real session: marks, notices once each, escalation up the unit chain,
history rows and outbox messages in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from civicdesk.cases.models import CaseEvent
from civicdesk.cases.presenter import visible_actions
from civicdesk.cases.service import ensure_can_see
from civicdesk.clock import SHANGHAI
from civicdesk.core.workflow import CaseAction as A
from civicdesk.errors import PermissionDenied
from civicdesk.notifications.models import OutboxMessage
from civicdesk.supervision.marks import marks_of
from tests import builders as b
from tests.supervision.conftest import act, dispatched, notices, sweep

# The fixture's now is Tuesday 2026-03-10 10:00; a street vendor case is to be accepted within
# 1 working hour (11:00) and handled within 2 working days (Thursday 17:30).
ACCEPT_DUE = datetime(2026, 3, 10, 11, 0, tzinfo=SHANGHAI)


def marks(session, case):
    return marks_of(session, case.id)


def kinds(session, case):
    return [n.kind for n in notices(session, case)]


def test_due_soon_then_overdue_each_once(session, now, staff):
    case = dispatched(session, now, staff)
    assert case.due_at == ACCEPT_DUE
    assert sweep(session, now).issued == 0  # an hour to go, the lead is half an hour
    assert sweep(session, ACCEPT_DUE - timedelta(minutes=20)).notices == {"due_soon": 1}
    assert sweep(session, ACCEPT_DUE - timedelta(minutes=10)).issued == 0  # safe to run twice
    assert marks(session, case)["warned_due_at"] == ACCEPT_DUE
    assert sweep(session, ACCEPT_DUE + timedelta(minutes=1)).notices == {"overdue": 1}
    assert sweep(session, ACCEPT_DUE + timedelta(minutes=2)).issued == 0
    assert kinds(session, case) == ["due_soon", "overdue"]
    overdue = notices(session, case, "overdue")[0]
    assert overdue.unit_id == staff["squadron"].id and "已超过签收期限" in overdue.text


def test_each_notice_is_in_the_history_and_the_outbox(session, now, staff):
    case = dispatched(session, now, staff)
    sweep(session, ACCEPT_DUE + timedelta(minutes=1))
    event = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    notice = notices(session, case)[0]
    assert (event.action, event.actor_id, event.data["notice"]) == ("mark_overdue", None, notice.id)
    assert event.from_status == event.to_status == "dispatched"
    sent = session.scalars(select(OutboxMessage).where(OutboxMessage.notice_id == notice.id)).all()
    assert [(m.channel, m.recipient, m.status) for m in sent] == [
        ("log", "sq-330106004", "pending")
    ]


def test_urging_and_escalation_follow_the_rules_up_the_chain(session, now, staff):
    case = dispatched(session, now, staff)
    sweep(session, ACCEPT_DUE + timedelta(minutes=1))
    assert marks(session, case)["next_check_at"] == datetime(2026, 3, 10, 16, 30, tzinfo=SHANGHAI)
    sweep(session, datetime(2026, 3, 10, 16, 31, tzinfo=SHANGHAI))
    assert case.urge_count == 1 and kinds(session, case)[-1] == "urge"
    sweep(session, datetime(2026, 3, 11, 17, 31, tzinfo=SHANGHAI))  # overdue by 1 working day
    to_bureau = notices(session, case, "escalate")[0]
    assert to_bureau.unit_id == staff["bureau"].id and to_bureau.level == 1
    assert to_bureau.handling_unit_id == staff["squadron"].id and "西溪中队承办的" in to_bureau.text
    sweep(session, datetime(2026, 3, 17, 17, 31, tzinfo=SHANGHAI))  # 5 working days
    to_city = notices(session, case, "escalate")[1]
    assert to_city.unit_id == staff["centre"].id and case.escalation_level == 2
    assert sweep(session, datetime(2026, 3, 18, 9, 0, tzinfo=SHANGHAI)).issued == 0
    assert kinds(session, case).count("escalate") == 2


def test_a_new_deadline_is_a_new_occasion(session, now, staff):
    case = dispatched(session, now, staff)
    sweep(session, ACCEPT_DUE + timedelta(minutes=1))
    act(session, case, A.accept, staff["xixi"], ACCEPT_DUE + timedelta(minutes=30))
    assert case.accepted_late is True and case.due_at == case.handle_due_at
    late = case.handle_due_at + timedelta(minutes=1)
    assert sweep(session, late).notices == {"overdue": 1}
    assert [n.due_at for n in notices(session, case, "overdue")] == [ACCEPT_DUE, case.handle_due_at]


def test_a_case_with_many_complaints_is_supervised_once(session, now, staff):
    case = dispatched(session, now, staff)
    assert sweep(session, now).issued == 0
    for ref in ("R-2", "R-3"):
        b.complaint(session, now=now, upstream_ref=ref, case_number=case.number)
    assert case.complaint_count == 3
    assert sweep(session, now).notices == {"supervise": 1}
    assert case.supervise_count == 1 and marks(session, case)["complaints_seen"] == 3
    assert sweep(session, now).issued == 0


def test_a_leaders_flag_supervises_at_once(session, now, staff):
    case = dispatched(session, now, staff)
    act(session, case, A.flag, staff["leader"], now, leader_attention="true", note="请限期解决")
    assert case.leader_flagged_at == now and case.supervise_count == 1
    notice = notices(session, case, "supervise")[0]
    assert notice.rule == "leader-flag" and notice.unit_id == staff["squadron"].id
    assert sweep(session, now + timedelta(minutes=5)).issued == 0


def test_suspended_cases_are_raised_on_their_review_date(session, now, staff):
    case = dispatched(session, now, staff)
    act(session, case, A.accept, staff["xixi"], now)
    act(session, case, A.suspend, staff["dispatcher"], now, review_on="2026-03-20", note="待规划")
    assert case.review_on.isoformat() == "2026-03-20"
    assert sweep(session, datetime(2026, 3, 19, 17, 0, tzinfo=SHANGHAI)).issued == 0
    assert sweep(session, datetime(2026, 3, 20, 8, 31, tzinfo=SHANGHAI)).notices == {"review": 1}
    review = notices(session, case, "review")[0]
    assert review.unit_id == staff["centre"].id  # the centre resumes or suspends again
    assert sweep(session, datetime(2026, 3, 21, 9, 0, tzinfo=SHANGHAI)).issued == 0


def test_manual_urging_is_a_notice_the_unit_sees(session, now, staff):
    case = dispatched(session, now, staff)
    act(session, case, A.urge, staff["dispatcher"], now, note="市民再次来电")
    act(session, case, A.supervise, staff["leader"], now, note="领导关注")
    manual = notices(session, case)
    assert [(n.kind, n.rule, n.issued_by_id) for n in manual] == [
        ("urge", "manual", staff["dispatcher"].id),
        ("supervise", "manual", staff["leader"].id),
    ]
    assert "市民再次来电" in manual[0].text and case.urge_count == 1 and case.supervise_count == 1
    count = session.scalar(
        select(func.count()).where(OutboxMessage.notice_id.in_([n.id for n in manual]))
    )
    assert count == 2


def test_the_grade_sets_limits_cadence_and_records_the_suggestion(session, now, staff):
    case = dispatched(session, now, staff, category="illegal_building")  # 15 working days
    before = case.handle_due_at
    act(session, case, A.accept, staff["xixi"], now)
    act(session, case, A.set_grade, staff["leader"], now, grade="listed", note="媒体报道")
    # 挂牌督办 of illegal construction: 7 working days, counted from now, earlier than before
    assert case.grade == "listed" and case.handle_due_at < before
    assert case.due_at == case.handle_due_at == working_days_after(now, 7)
    assert marks(session, case)["next_report_at"] == working_days_after(
        now, 1
    )  # reports every working day
    event = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "set_grade")
    ).one()
    assert event.data["grade"] == "listed" and event.data["level"] == "市级督办"
    assert event.data["suggested"] == "general" and "reasons" in event.data
    assert sweep(session, working_days_after(now, 1) + timedelta(minutes=1)).notices["report"] == 1


def test_a_graded_dispatch_gets_the_grades_limits(session, now, staff):
    case = b.complaint(session, now=now, actor=staff["operator"], category="living_noise").case
    act(session, case, A.file, staff["operator"], now)
    act(session, case, A.set_grade, staff["dispatcher"], now, grade="key")
    act(session, case, A.dispatch, staff["dispatcher"], now, unit_id=staff["squadron"].id)
    # living noise: 1 h / 2 d by category; 重点 for living noise: handle 1 d (category × grade)
    assert case.accept_due_at == datetime(2026, 3, 10, 11, 0, tzinfo=SHANGHAI)
    assert case.handle_due_at == working_days_after(now, 1)


def working_days_after(start, days):
    return b.calendar().due_after_working_days(start, days)


def test_the_unit_escalated_to_may_read_the_case_but_not_act(session, now, staff):
    case = dispatched(session, now, staff)
    bureau_staff = b.user(session, "unit_staff", now=now, unit=staff["bureau"])
    with pytest.raises(PermissionDenied):
        ensure_can_see(case, bureau_staff)
    sweep(session, datetime(2026, 3, 11, 17, 31, tzinfo=SHANGHAI))  # escalated to the bureau
    ensure_can_see(case, bureau_staff)
    assert visible_actions(case, bureau_staff) == []
