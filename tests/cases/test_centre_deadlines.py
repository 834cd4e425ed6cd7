"""The centre's own deadlines: 立案 from opening, 派遣 from filing (and again after a return),
stored when the work arises, from the ``centre_limits`` of supervision.yaml."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest

from civicdesk.cases.service import perform
from civicdesk.config.loader import BUILTIN_DIR, read_config
from civicdesk.config.policies import forget
from civicdesk.core.workflow import CaseAction as A
from civicdesk.errors import ConfigurationError
from civicdesk.supervision import limits as time_limits
from civicdesk.taxonomy.models import Category
from tests import builders as b


@pytest.fixture
def staff(session, now):
    return {
        "operator": b.user(session, "operator", now=now),
        "dispatcher": b.user(session, "dispatcher", now=now),
        "xixi": b.user(session, "unit_staff", now=now, unit=b.unit_by_name(session, "西溪中队")),
        "squadron": b.unit_by_name(session, "西溪中队"),
    }


def act(session, case, action, actor, now, **params):
    return perform(session, case, action, actor=actor, now=now, calendar=b.calendar(), **params)


def test_filing_deadline_when_the_case_opens_and_dispatch_deadline_when_filed(session, now, staff):
    case = b.complaint(session, now=now, actor=staff["operator"]).case
    # Tuesday 10:00 + the default 2 working hours (centre_limits.default.file).
    assert case.file_due_at == b.calendar().due_after_working_hours(now, 2)
    assert case.dispatch_due_at is None
    act(session, case, A.file, staff["operator"], now + timedelta(minutes=30))
    assert case.dispatch_due_at == now + timedelta(minutes=90)
    act(
        session,
        case,
        A.dispatch,
        staff["dispatcher"],
        now + timedelta(minutes=40),
        unit_id=staff["squadron"].id,
    )
    # Stored, never recomputed: dispatching leaves the dispatch deadline as it was.
    assert case.dispatch_due_at == now + timedelta(minutes=90)


def test_a_category_entry_overrides_the_default(session, now, staff):
    case = b.complaint(session, now=now, actor=staff["operator"], category="illegal_building").case
    # 4 working hours from Tuesday 10:00: 15:30 after the lunch break (office hours).
    assert case.file_due_at == b.calendar().due_after_working_hours(now, 4)
    act(session, case, A.file, staff["operator"], now)
    assert case.dispatch_due_at == b.calendar().due_after_working_hours(now, 2)


def test_a_return_starts_a_new_dispatch_step(session, now, staff):
    case = b.complaint(session, now=now, actor=staff["operator"]).case
    act(session, case, A.file, staff["operator"], now)
    act(session, case, A.dispatch, staff["dispatcher"], now, unit_id=staff["squadron"].id)
    later = now + timedelta(hours=4)  # 14:00, after the lunch break
    act(session, case, A.return_, staff["xixi"], later, note="不属于本中队辖区")
    assert case.dispatch_due_at == later + timedelta(hours=1)


def test_without_a_configured_limit_no_deadline_is_stored(session, now, staff, monkeypatch):
    policy = time_limits.supervision_policy(session)
    monkeypatch.setattr(policy, "doc", policy.doc.model_copy(update={"centre_limits": {}}))
    monkeypatch.setattr(time_limits, "supervision_policy", lambda _session: policy)
    case = b.complaint(session, now=now, actor=staff["operator"]).case
    assert case.file_due_at is None
    act(session, case, A.file, staff["operator"], now)
    assert case.dispatch_due_at is None
    category = session.query(Category).filter_by(code="street_vendor").one()
    assert time_limits.for_grade(session, category, None).file is None
    forget(session)


CENTRE_BROKEN = {
    "negative filing limit": (
        "default: {file: 2h, dispatch: 1h}",
        "default: {file: -2h, dispatch: 1h}",
        "时限不能为负数",
    ),
    "nonsense dispatch limit": (
        "default: {file: 2h, dispatch: 1h}",
        "default: {file: 2h, dispatch: soon}",
        "时限格式应为",
    ),
    "unknown category": (
        "  illegal_building: {file: 4h",
        "  illegal_bldg: {file: 4h",
        "centre_limits.illegal_bldg: unknown category 'illegal_bldg'",
    ),
    "unknown step": (
        "default: {file: 2h, dispatch: 1h}",
        "default: {file: 2h, dispatch: 1h, accept: 1h}",
        "centre_limits.default.accept",
    ),
    "negative grade limit": (
        "limits: {accept: 1h, reply: 1d}",
        "limits: {accept: 1h, reply: 1d, dispatch: -2h}",
        "时限不能为负数",
    ),
}


@pytest.mark.parametrize("breakage", CENTRE_BROKEN.values(), ids=list(CENTRE_BROKEN))
def test_bad_centre_limits_are_refused_at_config_check(tmp_path, breakage):
    old, new, expected = breakage
    config = tmp_path / "city"
    shutil.copytree(BUILTIN_DIR / "hangzhou", config)
    path = config / "supervision.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        read_config(config)
    assert expected in caught.value.message
    assert "supervision.yaml:" in caught.value.message
