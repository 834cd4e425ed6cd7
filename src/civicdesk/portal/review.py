"""The staff's side of the inbox (docs/portal.md, "Failed submissions: the staff inbox page"):
the backlog, the rows intake set aside (state "failed"), and the two ways out of that state —
back to the drain (重新受理), or recorded by an operator through the ordinary intake form and
then linked to the complaint so recorded (标记为已人工录入).

The inbox has no column for who acted, and there is no audit table outside the case history:
a retry is logged (``civicdesk.portal.review``); a manual entry is also written to the case's
history, as a note naming the acknowledgement number, since by then there is a case.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.accounts.policy import mask_name, mask_phone
from civicdesk.cases import history
from civicdesk.cases.models import Case
from civicdesk.clock import SHANGHAI, to_local
from civicdesk.core.workflow import CaseAction
from civicdesk.errors import IllegalTransition, InvalidInput, NotFound
from civicdesk.intake.models import Complaint
from civicdesk.org.models import Area
from civicdesk.portal.inbox import DONE, FAILED, PENDING, number_of, submission_values
from civicdesk.portal.models import InboxItem, Submission
from civicdesk.portal.service import attach

log = logging.getLogger("civicdesk.portal.review")
PAGE_SIZE = 50
STATES = (PENDING, DONE, FAILED)
NOT_FAILED = "该条网上投诉已不在“受理失败”状态（可能已被他人处理），请刷新页面"


@dataclass(frozen=True)
class Overview:
    pending: int
    oldest_pending: datetime | None  # received time of the oldest row waiting for the drain
    today: dict[str, int]  # rows received today (Asia/Shanghai), by state
    week: dict[str, int]  # rows received in the last 7 days, today included, by state


@dataclass(frozen=True)
class FailedRow:
    id: int
    number: str  # the acknowledgement number (受理编号)
    received_at: datetime
    source: str
    text: str
    name: str | None
    phone: str | None
    address: str | None
    area: str | None  # the area's name, or its code when the area is gone
    error: str | None
    failed_at: datetime | None


@dataclass(frozen=True)
class FailedPage:
    rows: list[FailedRow]
    total: int
    page: int
    pages: int


def overview(session: Session, *, now: datetime) -> Overview:
    midnight = datetime.combine(to_local(now).date(), time(), tzinfo=SHANGHAI)
    pending, oldest = session.execute(
        select(func.count(), func.min(InboxItem.created_at)).where(InboxItem.state == PENDING)
    ).one()
    return Overview(
        pending=pending or 0,
        oldest_pending=oldest,
        today=_by_state(session, midnight),
        week=_by_state(session, midnight - timedelta(days=6)),
    )


def _by_state(session: Session, since: datetime) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    rows = session.execute(
        select(InboxItem.state, func.count())
        .where(InboxItem.created_at >= since)
        .group_by(InboxItem.state)
    )
    counts.update({state: n for state, n in rows})
    return counts


def failed_page(session: Session, *, page: int, personal: bool) -> FailedPage:
    """The failed rows, newest first; name and phone masked unless ``personal``
    (``accounts.policy.sees_personal_data``, as on the case pages)."""
    total = (
        session.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.state == FAILED))
        or 0
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    items = list(
        session.scalars(
            select(InboxItem)
            .where(InboxItem.state == FAILED)
            .order_by(InboxItem.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    codes = {str(i.payload.get("area")) for i in items if i.payload.get("area")}
    query = select(Area.code, Area.name).where(Area.code.in_(codes))
    names = {code: name for code, name in session.execute(query)} if codes else {}
    rows = [_row(session, item, names, personal) for item in items]
    return FailedPage(rows=rows, total=total, page=page, pages=pages)


def _row(session: Session, item: InboxItem, names: dict[str, str], personal: bool) -> FailedRow:
    payload = item.payload
    area = payload.get("area")
    name, phone = payload.get("name"), payload.get("phone")
    return FailedRow(
        id=item.id,
        number=number_of(session, item),
        received_at=item.created_at,
        source=item.source,
        text=str(payload.get("text") or ""),
        name=name if personal else mask_name(name),
        phone=phone if personal else mask_phone(phone),
        address=payload.get("address"),
        area=names.get(area, f"{area}（已不存在）") if area else None,
        error=item.error,
        failed_at=item.processed_at,
    )


def _failed(session: Session, item_id: int) -> InboxItem:
    item = session.get(InboxItem, item_id)
    if item is None:
        raise NotFound("该条网上投诉不存在")
    if item.state != FAILED:
        raise IllegalTransition(NOT_FAILED)
    return item


def retry(session: Session, item_id: int, *, actor: User | None, now: datetime) -> str:
    """重新受理: the row goes back to the drain (pending, error cleared). One conditional
    update, so that two staff clicking at once, or a retry racing a manual entry, act once."""
    done = session.execute(
        update(InboxItem)
        .where(InboxItem.id == item_id, InboxItem.state == FAILED)
        .values(state=PENDING, error=None, processed_at=None)
        .execution_options(synchronize_session="fetch")
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        if session.get(InboxItem, item_id) is None:
            raise NotFound("该条网上投诉不存在")
        raise IllegalTransition(NOT_FAILED)
    item = session.get_one(InboxItem, item_id)
    number = number_of(session, item)
    log.info(
        "inbox %s (%s) sent back to the drain by %s at %s",
        item_id,
        number,
        actor.username if actor else "the command line",
        now.isoformat(),
    )
    return number


def prefill(session: Session, item_id: int) -> dict[str, str]:
    """The intake form's values for entering a failed row by hand: the citizen's text and
    contact, the place, and the acknowledgement number as the upstream reference (on the
    channel the drain would have used), so that the complaint can be found again from it."""
    item = _failed(session, item_id)
    payload: dict[str, Any] = item.payload
    area = payload.get("area")
    known = area and session.scalar(select(Area.id).where(Area.code == area)) is not None
    values = {
        "channel": "web" if item.source == "portal" else "app",
        "upstream_ref": number_of(session, item),
        "received_at": f"{to_local(item.created_at):%Y-%m-%dT%H:%M}",
        "complainant_name": payload.get("name"),
        "complainant_phone": payload.get("phone"),
        "text": payload.get("text"),
        "address": payload.get("address"),
        "area": area if known else None,
        "category": payload.get("category"),
        "longitude": payload.get("longitude"),
        "latitude": payload.get("latitude"),
    }
    return {k: str(v) for k, v in values.items() if v is not None}


def mark_entered(
    session: Session, item_id: int, *, case_number: str | None, actor: User, now: datetime
) -> Case:
    """标记为已人工录入: the failed row is done, linked to the complaint an operator recorded.

    The complaint is the one carrying the row's acknowledgement number as its upstream
    reference (what the prefilled form gives); without one — the operator changed the number,
    or recorded it some other way — the case number is needed, and the case's newest complaint
    not yet linked to another submission is taken. The citizen's photos are attached to it and
    their private link leads to it, as after the drain.
    """
    item = _failed(session, item_id)
    number = number_of(session, item)
    complaint = _entered_complaint(session, number, (case_number or "").strip().upper())
    case = session.get_one(Case, complaint.case_id)
    taken = session.scalar(select(InboxItem.id).where(InboxItem.complaint_id == complaint.id))
    if taken is not None:
        raise InvalidInput("该投诉已关联另一条网上投诉", field="case_number")
    item.state, item.complaint_id, item.processed_at = DONE, complaint.id, now
    attach(session, complaint.id, item.payload.get("photos") or [], now)
    if session.scalar(select(Submission.id).where(Submission.complaint_id == complaint.id)) is None:
        session.add(Submission(**submission_values(item, complaint.id)))
    history.record(
        session,
        case,
        CaseAction.note.value,
        actor=actor,
        at=now,
        from_status=case.status,
        note=f"网上投诉 {number} 自动受理未成功（{item.error or '—'}），"
        f"已人工录入为投诉 #{complaint.id}",
        inbox=number,
        complaint_id=complaint.id,
    )
    session.flush()
    log.info(
        "inbox %s (%s) entered by hand as complaint %s by %s",
        item_id,
        number,
        complaint.id,
        actor.username,
    )
    return case


def _entered_complaint(session: Session, number: str, case_number: str) -> Complaint:
    by_ref = session.scalars(select(Complaint).where(Complaint.upstream_ref == number)).first()
    if not case_number:
        if by_ref is None:
            raise InvalidInput(
                f"未找到来源工单号为 {number} 的投诉，请填写人工录入后的案件编号",
                field="case_number",
            )
        return by_ref
    case = session.scalar(select(Case).where(Case.number == case_number))
    if case is None:
        raise InvalidInput(f"案件 {case_number} 不存在", field="case_number")
    if by_ref is not None and by_ref.case_id == case.id:
        return by_ref
    linked = select(InboxItem.complaint_id).where(InboxItem.complaint_id.is_not(None))
    found = session.scalars(
        select(Complaint)
        .where(Complaint.case_id == case.id, Complaint.id.not_in(linked))
        .order_by(Complaint.id.desc())
    ).first()
    if found is None:
        raise InvalidInput(f"案件 {case_number} 中没有可关联的投诉", field="case_number")
    return found
