"""The online check inside record_complaint, the batch rebuild (same links, idempotent), and a
person's decisions, on the real session (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from civicdesk.cases.models import Case
from civicdesk.config.models import Setting
from civicdesk.core.workflow import CaseAction
from civicdesk.errors import InvalidInput, PermissionDenied
from civicdesk.repeats import batch, context, service
from civicdesk.repeats.models import RepeatKey, RepeatLink
from civicdesk.reports.summary import summary
from tests import builders as b


@pytest.fixture(autouse=True)
def _fresh_context():  # type: ignore[no-untyped-def]
    context.clear_cache()
    yield
    context.clear_cache()


def close(session, case: Case, *, now, dispatcher, unit) -> None:  # type: ignore[no-untyped-def]
    from civicdesk.cases.service import perform

    cal = b.calendar()
    staff = b.user(session, "unit_staff", now=now, unit=unit, username=f"u{case.id}")
    for action, actor, params in (
        (CaseAction.file, dispatcher, {}),
        (CaseAction.dispatch, dispatcher, {"unit_id": unit.id}),
        (CaseAction.accept, staff, {}),
        (CaseAction.reply, staff, {"reply_text": "已劝离"}),
        (CaseAction.callback, dispatcher, {"satisfaction": "satisfied", "solved": True}),
        (CaseAction.close, dispatcher, {}),
    ):
        perform(session, case, action, actor=actor, now=now, calendar=cal, **params)


def links(session) -> list[RepeatLink]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(RepeatLink).order_by(RepeatLink.complaint_id)))


def test_a_repeat_while_open_is_linked_with_its_explanation(session, now) -> None:
    first = b.complaint(session, now=now - timedelta(days=2), upstream_ref="A1")
    again = b.complaint(
        session,
        now=now,
        upstream_ref="A2",
        text="又来了！文三路100号门口晚上还是有人占道摆摊，请彻底解决",
        address="杭州市西湖区文三路100号门口",
    )
    assert again.repeat is not None and again.repeat.kind == "repeat_same_complainant"
    link = service.repository.link_of(session, again.complaint.id)
    assert link is not None and link.earlier_id == first.complaint.id
    assert link.status == "confirmed" and link.source == "online"
    assert link.explanation["signals"]["place"]["value"] == 1.0
    # auto-attach is off in the shipped configuration: its own case, the link counted
    assert again.case.id != first.case.id and not again.joined
    keys = session.scalars(select(RepeatKey).where(RepeatKey.complaint_id == again.complaint.id))
    assert len(list(keys)) >= 2  # place and caller


def test_another_person_and_auto_attach(session, now) -> None:
    session.merge(Setting(key="repeats.auto_attach", value="true"))
    session.flush()
    context.clear_cache()
    first = b.complaint(session, now=now - timedelta(hours=5), upstream_ref="B1")
    other = b.complaint(
        session,
        now=now,
        upstream_ref="B2",
        complainant_name="李女士",
        complainant_phone="13900002222",
    )
    assert other.repeat.kind == "repeat_other_complainant"
    assert other.joined and other.case.id == first.case.id
    assert other.case.complaint_count == 2


def test_recurrence_after_closure_opens_a_new_linked_case(session, now) -> None:
    dispatcher = b.user(session, "dispatcher", now=now, username="d1")
    unit = b.unit_by_name(session, "西溪中队")
    first = b.complaint(session, now=now - timedelta(days=20), upstream_ref="C1")
    close(session, first.case, now=now - timedelta(days=15), dispatcher=dispatcher, unit=unit)
    back = b.complaint(session, now=now, upstream_ref="C2", complainant_phone="13900002222")
    assert back.repeat.kind == "recurrence" and back.case.id != first.case.id
    link = service.repository.link_of(session, back.complaint.id)
    assert link is not None and link.unit_id == unit.id  # weighs on the unit that closed it


def test_duplicate_intake_is_counted_once(session, now) -> None:
    b.complaint(session, now=now - timedelta(minutes=30), upstream_ref="D1", channel="12345")
    dup = b.complaint(
        session,
        now=now,
        upstream_ref="D1-96345",
        channel="96345",
        received_at=now - timedelta(minutes=20),
    )
    assert dup.repeat.kind == "duplicate_intake"
    day = now.date()
    report = summary(session, start=day - timedelta(days=1), end=day)
    assert report.total.current == 1 and report.repeats.current == 0


def test_bad_input_links_nothing(session, now) -> None:
    b.complaint(
        session,
        now=now - timedelta(days=1),
        upstream_ref="E1",
        address=None,
        area=None,
        category=None,
        complainant_phone=None,
        complainant_name=None,
        text="有问题",
    )
    none = b.complaint(
        session,
        now=now,
        upstream_ref="E2",
        address=None,
        area=None,
        category=None,
        complainant_phone=None,
        complainant_name=None,
        text="有问题",
    )
    assert none.repeat is None
    phone_only = b.complaint(
        session,
        now=now,
        upstream_ref="E3",
        address=None,
        area=None,
        category=None,
        text="楼上装修噪音",
    )
    assert phone_only.repeat is None
    far = b.complaint(
        session,
        now=now,
        upstream_ref="E4",
        address=None,
        area=None,
        longitude=121.47,
        latitude=31.23,
        text="路灯坏了",
    )
    assert far.repeat is None


def test_batch_rebuild_gives_the_online_links_and_is_idempotent(session, now) -> None:
    dispatcher = b.user(session, "dispatcher", now=now, username="d2")
    unit = b.unit_by_name(session, "西溪中队")
    start = now - timedelta(days=30)
    made = [b.complaint(session, now=start, upstream_ref="F0")]
    made.append(
        b.complaint(
            session,
            now=start + timedelta(days=1),
            upstream_ref="F1",
            complainant_phone="13900002222",
        )
    )
    close(session, made[0].case, now=start + timedelta(days=3), dispatcher=dispatcher, unit=unit)
    made.append(b.complaint(session, now=start + timedelta(days=12), upstream_ref="F2"))
    made.append(
        b.complaint(
            session,
            now=start + timedelta(days=13),
            upstream_ref="F3",
            address="西湖区天目山路5号",
            text="天目山路5号工地夜间施工噪音",
            category="construction_noise",
        )
    )
    made.append(
        b.complaint(
            session,
            now=start + timedelta(days=14),
            upstream_ref="F4",
            channel="96345",
            address="天目山路5号",
            complainant_phone="13900002222",
            text="天目山路5号工地晚上施工，噪音很大",
            category="construction_noise",
        )
    )
    online = [
        (link.complaint_id, link.earlier_id, link.kind, link.status) for link in links(session)
    ]
    assert len(online) >= 3
    batch.rebuild(session, now=now)
    rebuilt = [
        (link.complaint_id, link.earlier_id, link.kind, link.status) for link in links(session)
    ]
    assert rebuilt == online
    assert {link.source for link in links(session)} == {"batch"}
    report = batch.rebuild(session, now=now)
    assert [
        (link.complaint_id, link.earlier_id, link.kind, link.status) for link in links(session)
    ] == online
    assert report.keys_written == 0  # keys written at intake are found unchanged


def test_a_person_confirms_changes_or_undoes_and_the_rebuild_keeps_it(session, now) -> None:
    operator = b.user(session, "operator", now=now, username="op1")
    b.complaint(session, now=now - timedelta(days=1), upstream_ref="G1")
    again = b.complaint(session, now=now, upstream_ref="G2", complainant_phone="13900002222")
    link = service.repository.link_of(session, again.complaint.id)
    assert link is not None
    service.confirm_link(session, link, actor=operator, now=now, kind="repeat_same_complainant")
    assert link.kind == "repeat_same_complainant" and link.detected_kind != link.kind
    with pytest.raises(InvalidInput):
        service.confirm_link(session, link, actor=operator, now=now, kind="nonsense")
    service.reject_link(session, link, actor=operator, now=now)
    batch.rebuild(session, now=now)
    kept = service.repository.link_of(session, again.complaint.id)
    assert kept is not None and kept.status == "rejected"
    leader = b.user(session, "leader", now=now, username="lead1")
    with pytest.raises(PermissionDenied):
        service.reject_link(session, kept, actor=leader, now=now)


def test_undo_of_an_auto_attached_complaint_gives_it_its_own_case(session, now) -> None:
    session.merge(Setting(key="repeats.auto_attach", value="true"))
    session.flush()
    context.clear_cache()
    operator = b.user(session, "operator", now=now, username="op2")
    first = b.complaint(session, now=now - timedelta(hours=3), upstream_ref="H1")
    joined = b.complaint(session, now=now, upstream_ref="H2", complainant_phone="13900002222")
    assert joined.joined
    link = service.repository.link_of(session, joined.complaint.id)
    service.reject_link(session, link, actor=operator, now=now)  # type: ignore[arg-type]
    session.refresh(joined.complaint)
    assert joined.complaint.case_id != first.case.id
    assert first.case.complaint_count == 1
