"""Turn cases into what a given user may see: names instead of ids, personal data masked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.accounts.policy import mask_name, mask_phone, sees_personal_data
from civicdesk.cases.models import Case
from civicdesk.cases.repository import case_complaints, case_events
from civicdesk.cases.schemas import CaseDetail, CaseSummary, ComplaintBrief, EventRead
from civicdesk.core.workflow import CLOCKED_STATUSES, CaseAction, allowed_actions
from civicdesk.intake.models import Channel
from civicdesk.org.models import Area, Unit
from civicdesk.taxonomy.models import Category


class Names:
    """Reference names loaded once per request (a few hundred rows at most)."""

    def __init__(self, session: Session) -> None:
        self.categories = {c.id: c for c in session.scalars(select(Category))}
        self.areas = {a.id: a for a in session.scalars(select(Area))}
        self.units = {u.id: u for u in session.scalars(select(Unit))}
        self.channels = {c.id: c for c in session.scalars(select(Channel))}
        self.users = {u.id: u.display_name for u in session.scalars(select(User))}


def is_overdue(case: Case, now: datetime) -> bool:
    return case.status in CLOCKED_STATUSES and case.due_at is not None and case.due_at < now


def summary(case: Case, names: Names, now: datetime) -> CaseSummary:
    category = names.categories.get(case.category_id) if case.category_id else None
    area = names.areas.get(case.area_id) if case.area_id else None
    unit = names.units.get(case.unit_id) if case.unit_id else None
    return CaseSummary(
        number=case.number,
        status=case.status,
        title=case.title,
        category=category.code if category else None,
        category_name=category.name if category else None,
        area=area.code if area else None,
        area_name=area.name if area else None,
        unit=unit.code if unit else None,
        unit_name=unit.name if unit else None,
        opened_at=case.opened_at,
        due_at=case.due_at,
        overdue=is_overdue(case, now),
        complaint_count=case.complaint_count,
    )


def detail(session: Session, case: Case, user: User, names: Names, now: datetime) -> CaseDetail:
    personal = sees_personal_data(user)
    complaints = [
        ComplaintBrief(
            id=c.id,
            channel=names.channels[c.channel_id].code,
            channel_name=names.channels[c.channel_id].name,
            upstream_ref=c.upstream_ref,
            received_at=c.received_at,
            complainant_name=c.complainant_name if personal else mask_name(c.complainant_name),
            complainant_phone=c.complainant_phone if personal else mask_phone(c.complainant_phone),
            text=c.text,
            address=c.address,
        )
        for c in case_complaints(session, case.id)
    ]
    history = [
        EventRead(
            at=e.at,
            action=e.action,
            from_status=e.from_status,
            to_status=e.to_status,
            actor=names.users.get(e.actor_id) if e.actor_id else None,
            unit=names.units[e.unit_id].name if e.unit_id in names.units else None,
            note=e.note,
            data=e.data or {},
        )
        for e in case_events(session, case.id)
    ]
    return CaseDetail(
        **summary(case, names, now).model_dump(),
        address=case.address,
        filed_at=case.filed_at,
        dispatched_at=case.dispatched_at,
        accepted_at=case.accepted_at,
        handled_at=case.handled_at,
        closed_at=case.closed_at,
        accept_due_at=case.accept_due_at,
        handle_due_at=case.handle_due_at,
        reply_text=case.reply_text,
        satisfaction=case.satisfaction,
        solved=case.solved,
        not_filed_reason=case.not_filed_reason,
        extension_requested_days=case.extension_requested_days,
        grade=case.grade,
        reply_due_at=case.reply_due_at,
        review_on=case.review_on,
        close_outcome=case.close_outcome,
        allowed_actions=[a.value for a in visible_actions(case, user)],
        complaints=complaints,
        history=history,
    )


def visible_actions(case: Case, user: User) -> list[CaseAction]:
    """The actions the user may take here: role × status, and unit staff only on their unit's."""
    from civicdesk.accounts.models import Role

    if user.role == Role.unit_staff and case.unit_id != user.unit_id:
        return []
    pending = case.extension_requested_days is not None
    hidden = (
        {CaseAction.request_extension}
        if pending
        else {CaseAction.approve_extension, CaseAction.refuse_extension}
    )
    return [a for a in allowed_actions(case.status, user.role) if a not in hidden]
