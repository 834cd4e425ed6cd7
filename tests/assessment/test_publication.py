"""Publication: a frozen snapshot; later edits do not change it; a republication lists changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from civicdesk.assessment.appeals import decide_appeal, file_appeal
from civicdesk.assessment.publication import diff, latest, publish
from civicdesk.assessment.scheme_models import Publication
from civicdesk.assessment.schemes import store_schemes
from civicdesk.clock import SHANGHAI
from civicdesk.errors import Conflict, PermissionDenied
from civicdesk.reports.periods import Period
from tests import builders as b
from tests.assessment.test_scoring_db import SCHEME, XIHU, complaints, make_data

JANUARY = Period(date(2026, 1, 1), date(2026, 1, 31))


@pytest.fixture
def data(session, now):
    return make_data(session, now)


@pytest.fixture
def scheme(session, now):
    store_schemes(session, {"schemes": [SCHEME.model_dump(mode="json")]}, source="test", now=now)
    return SCHEME.code


@pytest.fixture
def leader(session, now):
    return b.user(session, "leader", now=now, username="pub-leader")


def xihu(document):
    return next(u for u in document["units"] if u["code"] == XIHU)


def test_publish_freezes_and_republish_lists_changes(session, now, data, scheme, leader):
    first = publish(session, scheme_code=scheme, period=JANUARY, actor=leader, now=now)
    assert (first.version, first.scheme_version, first.engine_backend) == (1, 1, "sql")
    assert first.changes == []
    frozen = xihu(first.document)
    assert frozen["total"] == 94.0 and frozen["inputs"]["figures"]["complaints"]["value"] == 4.0

    # Later: two more complaints in January (now 6 against 5 last year: +20%) and an appeal.
    complaints(session, now, datetime(2026, 1, 20, tzinfo=SHANGHAI), 2)
    staff = b.user(
        session, "unit_staff", now=now, unit=b.unit_by_name(session, "西溪中队"), username="x-pub"
    )
    appeal = file_appeal(
        session, complaint_id=data[0], period=JANUARY, reason_kind="unfounded",
        reason="现场核查无占道经营情况", actor=staff, now=now,
    )  # fmt: skip
    decide_appeal(
        session, appeal.id, approve=True, reason="核查属实，予以核减", actor=leader, now=now
    )
    session.flush()

    stored = session.scalars(select(Publication).where(Publication.id == first.id)).one()
    session.refresh(stored)
    assert xihu(stored.document) == frozen  # what was published does not move

    later = now + timedelta(hours=1)
    second = publish(session, scheme_code=scheme, period=JANUARY, actor=leader, now=later)
    assert second.version == 2 and latest(session, scheme, JANUARY).id == second.id
    now_xihu = xihu(second.document)
    # 5 counted (6 − 1 核减) vs 5: change 0% against a −10% target: 10 points × 0.5 = −5 → 55.
    assert now_xihu["inputs"]["figures"]["complaints"]["value"] == 5.0
    assert now_xihu["indicators"][0]["points"] == 55.0
    assert now_xihu["total"] == 89.0 and now_xihu["grade"] == "B"
    assert now_xihu["appeals_approved"] == 1
    fields = {(c["unit"], c["field"]): (c["old"], c["new"]) for c in second.changes}
    assert fields[(XIHU, "总分")] == (94.0, 89.0)
    assert fields[(XIHU, "等级")] == ("A", "B")
    assert fields[(XIHU, "投诉总量同比 得分")] == (60.0, 55.0)
    assert fields[(XIHU, "核减件数")] == (0, 1)
    assert xihu(first.document) == frozen


def test_nothing_changed_is_not_republished(session, now, data, scheme, leader):
    publish(session, scheme_code=scheme, period=JANUARY, actor=leader, now=now)
    with pytest.raises(Conflict, match="没有任何变化"):
        publish(session, scheme_code=scheme, period=JANUARY, actor=leader, now=now)


def test_only_leaders_and_admins_publish(session, now, data, scheme):
    dispatcher = b.user(session, "dispatcher", now=now, username="pub-disp")
    with pytest.raises(PermissionDenied):
        publish(session, scheme_code=scheme, period=JANUARY, actor=dispatcher, now=now)


def test_diff_of_units_and_scheme_version():
    unit = {"code": "a", "name": "甲", "total": 80.0, "rank": 1, "grade": "B", "status": "scored",
            "indicators": [{"code": "x", "name": "X", "value": 0.5, "points": 40.0}],
            "appeals_approved": 0}  # fmt: skip
    old = {"scheme": {"version": 1}, "units": [unit]}
    new = {"scheme": {"version": 2}, "units": [unit | {"code": "b", "name": "乙"}]}
    changes = diff(old, new)
    assert [c["field"] for c in changes] == ["方案版本", "新增单位", "移除单位"]
