"""Tracking a complaint (by private link, or by case number and phone) and rating its result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case
from civicdesk.cases.repository import case_events
from civicdesk.cases.service import perform_by_rule
from civicdesk.core.calendar import WorkCalendar
from civicdesk.core.workflow import CaseAction, CaseStatus
from civicdesk.errors import IllegalTransition, InvalidInput, NotFound
from civicdesk.intake.models import Complaint
from civicdesk.org.models import Area, Unit
from civicdesk.portal import inbox, public
from civicdesk.portal.models import Attachment, CitizenRating, InboxItem, Submission
from civicdesk.portal.schemas import CitizenRatingForm
from civicdesk.portal.service import hash_token
from civicdesk.taxonomy.models import Category

NOT_FOUND = "未找到该诉求：请核对案件编号和手机号码"
# The history row of a citizen's own rating names this instead of a staff member.
CITIZEN_RULE = "citizen_rating"


@dataclass(frozen=True)
class CitizenView:
    """Everything the tracking page shows: public steps, and the reader's own complaint."""

    number: str
    status: str  # citizen-facing status text
    stage: int  # index into public.STAGES
    category: str | None
    area: str | None
    unit: str | None
    opened_at: datetime
    text: str  # the reader's own complaint text, numbers masked
    photos: int
    steps: list[public.PublicStep]
    can_rate: bool
    rating: CitizenRating | None
    rate_note: str | None  # why rating is not open (yet / any more)
    ack: str | None = None  # the acknowledgement number given at submission (受理编号)
    pending: bool = False  # still in the inbox: intake has not run yet


class PendingIntake(IllegalTransition):
    """The complaint is in the inbox, intake has not run yet: the tracking page shows it as
    已受理，正在分派 (no case, no rating yet)."""

    def __init__(self, item: InboxItem) -> None:
        super().__init__("诉求已受理，正在分派，请稍后再查看或评价")
        self.item = item


def by_token(session: Session, token: str) -> Complaint:
    """The complaint of a private link; PendingIntake while it waits in the inbox."""
    if not token or len(token) > 64:
        raise NotFound("链接无效或已失效")
    item = inbox.by_token(session, token)
    if item is not None:
        return _complaint_of(session, item)
    submission = session.scalar(
        select(Submission).where(Submission.token_hash == hash_token(token))
    )
    if submission is None:
        raise NotFound("链接无效或已失效（重复提交时只有最新的链接有效）")
    return session.get_one(Complaint, submission.complaint_id)


def by_number_and_phone(session: Session, number: str, phone: str) -> Complaint:
    """The reader's complaint on that case; one message for every failure, so the answer
    never tells whether a case number exists."""
    digits = phone.replace("-", "").replace(" ", "")
    item = inbox.by_number(session, number) if digits else None
    if item is not None and (item.payload.get("phone") or "").replace("-", "") == digits:
        return _complaint_of(session, item)
    case = session.scalar(select(Case).where(Case.number == number.strip().upper()))
    if case is None or not digits:
        raise NotFound(NOT_FOUND)
    for complaint in session.scalars(select(Complaint).where(Complaint.case_id == case.id)):
        if (complaint.complainant_phone or "").replace("-", "") == digits:
            return complaint
    raise NotFound(NOT_FOUND)


def _complaint_of(session: Session, item: InboxItem) -> Complaint:
    if item.complaint_id is None:
        raise PendingIntake(item)
    return session.get_one(Complaint, item.complaint_id)


def pending_view(session: Session, item: InboxItem) -> CitizenView:
    """The tracking page of a complaint still in the inbox: its acknowledgement number and
    the citizen's own text; no case yet."""
    number = inbox.number_of(session, item)
    failed = item.state == inbox.FAILED
    status = "已受理，需人工核实，请拨打96310咨询" if failed else inbox.PENDING_STATUS
    return CitizenView(
        number=number,
        status=status,
        stage=0,
        category=None,
        area=None,
        unit=None,
        opened_at=item.created_at,
        text=public.redact(item.payload.get("text")) or "",
        photos=0,
        steps=[public.PublicStep(item.created_at, "诉求已提交，正在分派")],
        can_rate=False,
        rating=None,
        rate_note="承办单位答复后即可评价处理结果",
        ack=number,
        pending=True,
    )


def view(session: Session, complaint: Complaint) -> CitizenView:
    case = session.get_one(Case, complaint.case_id)
    units = {u.id: u.name for u in session.scalars(select(Unit))}
    status = CaseStatus(case.status)
    rating = session.scalar(select(CitizenRating).where(CitizenRating.complaint_id == complaint.id))
    category = session.get(Category, case.category_id) if case.category_id else None
    area = session.get(Area, case.area_id) if case.area_id else None
    photos = session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.complaint_id == complaint.id)
    )
    note = _rate_note(case, rating)
    return CitizenView(
        number=case.number,
        status=public.PUBLIC_STATUS[status],
        stage=public.STAGES.index(public.STAGE_OF[status]),
        category=category.name if category else None,
        area=area.name if area else None,
        unit=units.get(case.unit_id) if case.unit_id else None,
        opened_at=case.opened_at,
        text=public.redact(complaint.text) or "",
        photos=photos or 0,
        steps=public.timeline(
            case, case_events(session, case.id), units, own_complaint_id=complaint.id
        ),
        can_rate=note is None,
        rating=rating,
        rate_note=note,
        ack=complaint.upstream_ref if inbox.parse_ack(complaint.upstream_ref or "") else None,
    )


def _rate_note(case: Case, rating: CitizenRating | None) -> str | None:
    if rating is not None:
        return "您已评价，感谢您的反馈"
    if case.status == CaseStatus.handled:
        return None
    if case.status in (CaseStatus.closed, CaseStatus.not_filed, CaseStatus.merged):
        return "案件已办结，评价已截止；如问题仍未解决，请重新提交诉求"
    return "承办单位答复后即可评价处理结果"


def rate(
    session: Session,
    complaint: Complaint,
    form: CitizenRatingForm,
    *,
    via: str,
    now: datetime,
    calendar: WorkCalendar,
) -> CitizenRating:
    """The citizen's rating, once, after the unit replied: recorded as the case's callback
    (回访) with the citizen as its source, so the measures and the "not solved" rule of the
    callback apply as to one taken by phone."""
    case = _ratable_case(session, complaint)
    perform_by_rule(
        session,
        case,
        CaseAction.callback,
        rule=CITIZEN_RULE,
        now=now,
        calendar=calendar,
        note=form.comment,
        satisfaction=form.satisfaction,
        solved=form.solved,
    )
    rating = CitizenRating(
        complaint_id=complaint.id,
        case_id=case.id,
        satisfaction=form.satisfaction,
        solved=form.solved,
        comment=form.comment,
        via=via,
        rated_at=now,
    )
    session.add(rating)
    session.flush()
    _after_callback(session, case, now=now, calendar=calendar)
    return rating


def _ratable_case(session: Session, complaint: Complaint) -> Case:
    case = session.get_one(Case, complaint.case_id)
    existing = session.scalar(
        select(CitizenRating).where(CitizenRating.complaint_id == complaint.id)
    )
    if existing is not None:
        raise InvalidInput("您已评价过，每条诉求只能评价一次")
    if case.status != CaseStatus.handled:
        raise IllegalTransition(_rate_note(case, None) or "当前不能评价")
    return case


def _after_callback(session: Session, case: Case, *, now: datetime, calendar: WorkCalendar) -> None:
    """A "not solved" answer follows feedback.yaml's callback rule (rework, up to its limit),
    exactly as after a callback by phone (supervision.hooks runs it for staff actions)."""
    if case.solved is not False:
        return
    from civicdesk.cases.service import ActionContext
    from civicdesk.feedback.service import after_not_solved

    after_not_solved(ActionContext(session, case, None, now, calendar, None))
