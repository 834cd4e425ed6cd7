"""Fixtures for supervision: staff of a squadron, its bureau and the centre; a dispatched case;
one sweep run in the test's transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civicdesk.cases.service import perform
from civicdesk.core.workflow import CaseAction as A
from civicdesk.supervision import repository
from civicdesk.supervision.models import Notice
from civicdesk.supervision.sweep import SweepContext, SweepStats, process
from tests import builders as b


@pytest.fixture
def staff(session, now):
    squadron = b.unit_by_name(session, "西溪中队")
    return {
        "operator": b.user(session, "operator", now=now),
        "dispatcher": b.user(session, "dispatcher", now=now),
        "leader": b.user(session, "leader", now=now),
        "xixi": b.user(session, "unit_staff", now=now, unit=squadron),
        "squadron": squadron,
        "bureau": b.unit_by_name(session, "西湖区城管执法局"),
        "centre": b.unit_by_name(session, "杭州市城管96310受理中心"),
    }


def act(session, case, action, actor, at, **params):
    return perform(session, case, action, actor=actor, now=at, calendar=b.calendar(), **params)


def dispatched(session, now, staff, **fields):
    case = b.complaint(session, now=now, actor=staff["operator"], **fields).case
    act(session, case, A.file, staff["operator"], now)
    act(session, case, A.dispatch, staff["dispatcher"], now, unit_id=staff["squadron"].id)
    return case


def sweep(session, at) -> SweepStats:
    ctx = SweepContext.build(session, now=at, calendar=b.calendar())
    ids = repository.sweep_candidates(session, now=at, bounds=ctx.bounds, min_complaints=3)
    return process(session, ids, ctx)


def notices(session, case, kind=None) -> list[Notice]:
    query = select(Notice).where(Notice.case_id == case.id).order_by(Notice.id)
    if kind:
        query = query.where(Notice.kind == kind)
    return list(session.scalars(query))
