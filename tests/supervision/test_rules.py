"""The pure rules: which notices are due, the marks, when to look again, the grade suggestion."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civicdesk.clock import SHANGHAI
from civicdesk.core.calendar import WorkCalendar
from civicdesk.supervision.models import NoticeKind as K
from civicdesk.supervision.policy import Duration, SupervisionFile, SupervisionPolicy
from civicdesk.supervision.rules import (
    CaseClock,
    GradeFacts,
    evaluate,
    suggest_grade,
    warning_bounds,
)

CAL = WorkCalendar()
DOC = SupervisionFile.model_validate(
    {
        "centre": "centre",
        "warning": {"accept": "0.5h", "handle": "4h", "reply": "2h"},
        "levels": [
            {"code": "unit", "name": "承办单位", "up": 0},
            {"code": "district", "name": "区级", "up": 1},
            {"code": "city", "name": "市级", "up": 2},
        ],
        "grades": [
            {"code": "general", "name": "一般督办", "level": "district"},
            {"code": "key", "name": "重点督办", "level": "district", "report_every": "3d"},
            {"code": "listed", "name": "挂牌督办", "level": "city"},
        ],
        "suggestion": {
            "factors": {
                "complaints": {"points": 1, "cap": 6},
                "complainants": {"points": 2, "cap": 8},
                "media_attention": {"points": 6},
                "needs_demolition": {"points": 4},
            },
            "thresholds": {"general": 0, "key": 5, "listed": 10},
        },
        "rules": [
            {"code": "urge", "name": "超期催办", "when": {"overdue_by": "4h"}, "issue": "urge"},
            {
                "code": "esc-d",
                "name": "升级区级",
                "when": {"overdue_by": "1d"},
                "issue": "escalate",
                "to": "district",
            },
            {
                "code": "rep",
                "name": "重复投诉",
                "when": {"complaints_at_least": 3},
                "issue": "supervise",
            },
            {
                "code": "lead",
                "name": "领导批示",
                "when": {"leader_flag": True},
                "issue": "supervise",
            },
        ],
    }
)
POLICY = SupervisionPolicy(DOC)
TUE_10 = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)  # a Tuesday, office hours
DUE = datetime(2026, 3, 10, 11, 0, tzinfo=SHANGHAI)


def run(case: CaseClock, now: datetime):  # type: ignore[no-untyped-def]
    return evaluate(
        case, now=now, policy=POLICY, calendar=CAL, bounds=warning_bounds(POLICY, CAL, now)
    )


def clock(**fields: object) -> CaseClock:
    values: dict[str, object] = {"status": "dispatched", "due_at": DUE, "opened_at": TUE_10}
    values.update(fields)
    return CaseClock(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "now", "kinds"),
    [
        (clock(), TUE_10, []),  # an hour to go, lead half an hour
        (clock(), DUE - timedelta(minutes=20), [K.due_soon]),
        (clock(warned_due_at=DUE), DUE - timedelta(minutes=20), []),  # warned already
        (clock(), DUE + timedelta(minutes=1), [K.overdue]),  # found late: no separate warning
        (clock(overdue_due_at=DUE), DUE + timedelta(minutes=1), []),
        # 4 working hours after 11:00 is 16:30 (lunch 12:00–13:30 does not count)
        (clock(overdue_due_at=DUE), datetime(2026, 3, 10, 16, 29, tzinfo=SHANGHAI), []),
        (clock(overdue_due_at=DUE), datetime(2026, 3, 10, 16, 31, tzinfo=SHANGHAI), [K.urge]),
        # 1 working day after the due day: the end of Wednesday's office hours
        (
            clock(overdue_due_at=DUE),
            datetime(2026, 3, 11, 17, 31, tzinfo=SHANGHAI),
            [K.urge, K.escalate],
        ),
        (clock(status="handled"), DUE + timedelta(minutes=1), [K.overdue]),  # no urging on 答复
        (clock(status="closed"), DUE + timedelta(days=9), []),
        (clock(status="suspended"), DUE + timedelta(minutes=1), [K.review]),
        (clock(status="suspended", overdue_due_at=DUE), DUE + timedelta(days=1), []),
        (clock(complaint_count=3, due_at=None), TUE_10, [K.supervise]),
        (clock(complaint_count=2, due_at=None), TUE_10, []),
        (clock(status="filed", complaint_count=5, due_at=None), TUE_10, []),  # not yet supervisable
        (
            clock(leader_attention=True, leader_flagged_at=TUE_10, due_at=None),
            TUE_10,
            [K.supervise],
        ),
        (clock(leader_attention=True, leader_flagged_at=None, due_at=None), TUE_10, []),
    ],
)
def test_the_notices_due(case, now, kinds):
    assert [n.kind for n in run(case, now).notices] == kinds


def test_marks_hold_the_deadline_they_were_set_for():
    result = run(clock(), DUE + timedelta(minutes=5))
    assert result.overdue_due_at == DUE and result.warned_due_at == DUE
    moved = DUE + timedelta(days=2)  # an extension: a new deadline starts unmarked
    again = run(
        clock(due_at=moved, warned_due_at=DUE, overdue_due_at=DUE), moved - timedelta(minutes=10)
    )
    assert [n.kind for n in again.notices] == [K.due_soon]


def test_the_next_look_is_the_next_threshold():
    late = run(clock(overdue_due_at=DUE), DUE + timedelta(minutes=5))
    assert late.next_check_at == datetime(2026, 3, 10, 16, 30, tzinfo=SHANGHAI)
    after_urge = run(clock(overdue_due_at=DUE), datetime(2026, 3, 10, 17, 0, tzinfo=SHANGHAI))
    assert after_urge.next_check_at == datetime(2026, 3, 11, 17, 30, tzinfo=SHANGHAI)
    assert run(clock(status="closed"), TUE_10).next_check_at is None


def test_escalation_raises_the_level_and_names_it():
    result = run(clock(overdue_due_at=DUE), datetime(2026, 3, 12, 9, 0, tzinfo=SHANGHAI))
    escalation = next(n for n in result.notices if n.kind == K.escalate)
    assert escalation.level == 1 and escalation.rule == "esc-d" and escalation.occasion_at == DUE
    assert result.escalation_level == 1


def test_rules_count_and_flag_occasions():
    flagged = TUE_10 + timedelta(hours=1)
    result = run(clock(complaint_count=4, leader_attention=True, leader_flagged_at=flagged), TUE_10)
    occasions = {n.rule: n.occasion_at for n in result.notices}
    assert occasions == {"rep": TUE_10, "lead": flagged}  # once per case; once per flag
    assert result.complaints_seen == 4


def test_reports_follow_the_grade_cadence():
    point = datetime(2026, 3, 13, 17, 30, tzinfo=SHANGHAI)  # a Friday
    case = clock(
        grade="key", next_report_at=point, warned_due_at=DUE, due_at=DUE + timedelta(days=30)
    )
    assert run(case, point - timedelta(hours=1)).notices == []
    result = run(case, point + timedelta(minutes=1))
    assert [n.kind for n in result.notices] == [K.report]
    assert result.next_report_at == datetime(2026, 3, 18, 17, 30, tzinfo=SHANGHAI)  # 3 working days


@pytest.mark.parametrize(
    ("facts", "grade", "score", "reasons"),
    [
        (GradeFacts(), "general", 0, []),
        (
            GradeFacts(complaints=3, complainants=2),
            "general",
            4,
            ["投诉3件（+2分）", "投诉人2人（+2分）"],
        ),
        (GradeFacts(complaints=20, complainants=1), "key", 6, ["投诉20件（+6分）"]),  # capped
        (
            GradeFacts(media_attention=True, needs_demolition=True),
            "listed",
            10,
            ["媒体关注（+6分）", "需拆除（+4分）"],
        ),
        (GradeFacts(long_standing=True), "general", 0, []),  # a factor without points here
    ],
)
def test_the_grade_suggestion_explains_itself(facts, grade, score, reasons):
    suggestion = suggest_grade(facts, DOC.suggestion, list(POLICY.grades))
    assert (suggestion.score, [r.text for r in suggestion.reasons]) == (score, reasons)
    assert suggestion.grade == grade


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4h", Duration(4, "h")), ("0.5h", Duration(0.5, "h")), (" 2d ", Duration(2, "d"))],
)
def test_durations(text, expected):
    assert Duration.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("-2d", "不能为负数"), ("2 weeks", "时限格式"), ("1.5d", "whole days"), ("", "时限格式")],
)
def test_bad_durations_are_refused_clearly(text, message):
    with pytest.raises(ValueError, match=message):
        Duration.parse(text)


def test_grade_limits_take_precedence_category_first():
    doc = DOC.model_copy(
        update={
            "grades": [
                *DOC.grades[:2],
                DOC.grades[2].model_copy(
                    update={
                        "limits": DOC.grades[2].limits.model_copy(
                            update={"handle": "5d", "accept": "1h"}
                        )
                    }
                ),
            ],
            "limits": {
                "construction": {
                    "listed": DOC.grades[2].limits.model_copy(update={"handle": "10d"})
                }
            },
        }
    )
    policy = SupervisionPolicy(doc)
    assert policy.grade_limits(["illegal_building", "construction"], "listed") == {
        "handle": Duration(10, "d"),  # category × grade wins
        "accept": Duration(1, "h"),  # then the grade's own
    }
    assert policy.grade_limits(["street_vendor", "street_order"], "listed")["handle"] == Duration(
        5, "d"
    )
    assert policy.grade_limits(["street_vendor"], None) == {}  # ungraded: the category's own
