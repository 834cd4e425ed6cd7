import pytest

from civicdesk.core.workflow import (
    ACTION_ROLES,
    LABELS,
    OPEN_STATUSES,
    SYSTEM_ACTIONS,
    TRANSITIONS,
    CaseAction,
    CaseStatus,
    allowed_actions,
    check_role,
    next_status,
)
from civicdesk.errors import IllegalTransition, PermissionDenied

A, S = CaseAction, CaseStatus


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (S.received, A.file, S.filed),
        (S.received, A.not_file, S.not_filed),
        (S.filed, A.dispatch, S.dispatched),
        (S.dispatched, A.accept, S.accepted),
        (S.dispatched, A.return_, S.returned),
        (S.returned, A.dispatch, S.dispatched),
        (S.accepted, A.reply, S.handled),
        (S.handled, A.callback, S.handled),
        (S.handled, A.close, S.closed),
        (S.handled, A.rework, S.accepted),
        (S.accepted, A.suspend, S.suspended),
        (S.suspended, A.resume, S.accepted),
        (S.closed, A.reopen, S.filed),
        (S.returned, A.approve_return, S.filed),
        (S.returned, A.refuse_return, S.dispatched),
        (S.suspended, A.suspend, S.suspended),
        (S.accepted, A.escalate, S.accepted),
        (S.handled, A.mark_overdue, S.handled),
        (S.suspended, A.review_due, S.suspended),
        (S.filed, A.set_grade, S.filed),
    ],
)
def test_the_lifecycle_moves(status, action, expected):
    assert next_status(status, action) is expected


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.received, A.dispatch),  # must be filed first
        (S.filed, A.accept),
        (S.dispatched, A.reply),  # must be accepted first
        (S.closed, A.reply),
        (S.merged, A.note),
        (S.not_filed, A.dispatch),
        (S.accepted, A.close),  # the centre verifies only handled cases
    ],
)
def test_moves_outside_the_table_are_refused_in_chinese(status, action):
    with pytest.raises(IllegalTransition, match="不能执行"):
        next_status(status, action)


def test_every_action_has_a_label_and_roles():
    assert set(LABELS) == set(CaseAction)
    assert set(ACTION_ROLES) == set(CaseAction)


def test_no_transition_leaves_from_a_terminal_status_except_reopen():
    for (action, status), _ in TRANSITIONS.items():
        if status in (S.closed, S.not_filed):
            assert action is A.reopen
        assert status in OPEN_STATUSES or status in (S.closed, S.not_filed)


@pytest.mark.parametrize(
    ("status", "role", "expected"),
    [
        ("dispatched", "unit_staff", ["accept", "return", "note"]),
        ("accepted", "unit_staff", ["return", "reply", "request_extension", "note"]),
        ("received", "operator", ["file", "not_file", "note"]),
        ("handled", "dispatcher", ["callback", "close", "rework", "note", "set_grade", "flag"]),
        (
            "returned",
            "dispatcher",
            ["dispatch", "note", "approve_return", "refuse_return", "set_grade", "flag"],
        ),
        ("suspended", "leader", ["supervise", "note", "set_grade", "flag"]),
        ("closed", "leader", []),
        ("closed", "dispatcher", ["reopen"]),
    ],
)
def test_allowed_actions_are_role_times_status(status, role, expected):
    assert [a.value for a in allowed_actions(status, role)] == expected


def test_roles_are_checked():
    check_role("dispatcher", A.dispatch)
    with pytest.raises(PermissionDenied):
        check_role("unit_staff", A.dispatch)
    with pytest.raises(PermissionDenied):
        check_role("leader", A.close)


def test_a_callback_before_the_reply_says_why():
    with pytest.raises(IllegalTransition, match="案件尚未答复，不能回访"):
        next_status(S.accepted, A.callback)


def test_system_actions_are_never_offered_to_a_person():
    for role in ("operator", "dispatcher", "unit_staff", "leader", "admin"):
        for status in OPEN_STATUSES:
            assert not set(allowed_actions(status, role)) & SYSTEM_ACTIONS
    for action in SYSTEM_ACTIONS:
        assert ACTION_ROLES[action] == frozenset()
