"""Feedback to the citizen: the reply from the category's template, the callback rule, and
"closed, not fixed" kept apart from "fixed"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civicdesk.cases.repository import case_events
from civicdesk.core.workflow import CaseAction as A
from civicdesk.errors import IllegalTransition, InvalidInput
from civicdesk.feedback import service
from tests import builders as b
from tests.supervision.conftest import act, dispatched


@pytest.fixture
def staff(session, now):
    squadron = b.unit_by_name(session, "西溪中队")
    return {
        "operator": b.user(session, "operator", now=now),
        "dispatcher": b.user(session, "dispatcher", now=now),
        "xixi": b.user(session, "unit_staff", now=now, unit=squadron),
        "squadron": squadron,
    }


@pytest.fixture
def accepted(session, now, staff):
    case = dispatched(session, now, staff)
    act(session, case, A.accept, staff["xixi"], now)
    return case


def test_the_reply_is_written_from_the_categorys_template(session, now, staff, accepted):
    draft = service.draft(session, accepted, now=now)
    # 无证摊贩 has no template of its own: its parent 街面秩序's is used
    assert draft.startswith(
        "您好！您反映的文三路100号无证摊贩问题，西溪中队已于2026年03月10日到场处置"
    )
    assert service.RESULT_PLACEHOLDER in draft
    with pytest.raises(InvalidInput, match="请填写处置情况"):
        service.reply_from_template(
            session, accepted, result=" ", actor=staff["xixi"], now=now, calendar=b.calendar()
        )
    service.reply_from_template(
        session,
        accepted,
        result="已劝离摊贩。",
        actor=staff["xixi"],
        now=now,
        calendar=b.calendar(),
    )
    assert "到场处置：已劝离摊贩。我们将加强" in accepted.reply_text
    assert accepted.status == "handled" and accepted.handled_late is False


def test_the_answer_to_the_citizen_has_its_own_limit(session, now, staff, accepted):
    act(session, accepted, A.reply, staff["xixi"], now, reply_text="已处理")
    assert accepted.reply_due_at == b.calendar().due_after_working_days(now, 1)
    assert accepted.due_at == accepted.reply_due_at


def test_a_callback_before_the_reply_is_refused_with_the_reason(session, now, staff, accepted):
    with pytest.raises(IllegalTransition, match="案件尚未答复，不能回访"):
        act(
            session,
            accepted,
            A.callback,
            staff["dispatcher"],
            now,
            satisfaction="satisfied",
            solved="true",
        )


def test_not_solved_sends_the_case_back_by_rule(session, now, staff, accepted):
    act(session, accepted, A.reply, staff["xixi"], now, reply_text="已处理")
    later = now + timedelta(days=1)
    act(
        session,
        accepted,
        A.callback,
        staff["operator"],
        later,
        satisfaction="unsatisfied",
        solved="false",
    )
    assert accepted.status == "accepted" and accepted.rework_count == 1
    callback, rework = case_events(session, accepted.id)[-2:]
    assert (callback.action, callback.actor_id) == ("callback", staff["operator"].id)
    assert (rework.action, rework.actor_id) == ("rework", None)  # the platform, by its rule
    assert rework.data["rule"] == service.NOT_SOLVED_RULE and rework.note == "回访未解决，自动返工"
    assert accepted.handle_due_at == b.calendar().due_after_working_days(later, 2)


def test_closed_not_fixed_stays_apart_from_fixed(session, now, staff, accepted):
    act(session, accepted, A.reply, staff["xixi"], now, reply_text="已处理")
    act(
        session,
        accepted,
        A.callback,
        staff["dispatcher"],
        now,
        satisfaction="basically",
        solved="true",
    )
    act(session, accepted, A.close, staff["dispatcher"], now)
    assert accepted.close_outcome == "fixed"
    act(session, accepted, A.reopen, staff["dispatcher"], now, note="问题复发")
    assert accepted.close_outcome is None
