"""Intake: a complaint from any channel is recorded once and opens or joins a case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.cases import deadlines, history
from civicdesk.cases.models import Case
from civicdesk.cases.numbering import issued, next_case_number
from civicdesk.config.service import work_calendar
from civicdesk.core.calendar import WorkCalendar
from civicdesk.core.workflow import OPEN_STATUSES, CaseAction, CaseStatus, check_role
from civicdesk.errors import InvalidInput
from civicdesk.intake.models import Channel, Complaint
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.org.models import Area
from civicdesk.org.service import Placement, area_by_code, placement
from civicdesk.repeats import service as repeats
from civicdesk.taxonomy.models import Category
from civicdesk.triage import hooks as triage_hooks

# Clocks of forwarding hotlines drift; a few minutes ahead is tolerated, more is an error.
FUTURE_TOLERANCE = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
TITLE_LENGTH = 30
NUMBER_RETRIES = 5


@dataclass(frozen=True)
class IntakeResult:
    complaint: Complaint
    case: Case
    created: bool  # False: the same upstream reference was already on record
    # The repeat check's link (repeats.scoring.Decision), if this complaint repeats another.
    repeat: Any = None
    joined: bool = False  # the repeat check joined it to the open case of its issue


@dataclass(frozen=True)
class Lookups:
    """Reference rows resolved once per import instead of once per row."""

    channels: dict[str, Channel]
    categories: dict[str, Category]
    # Filled as intake meets them (a city has thousands of areas; a batch uses a few): areas by
    # code, the placement of an area id, the working calendar (the filing deadline's).
    areas: dict[str, Area | None] = field(default_factory=dict)
    places: dict[int, Placement] = field(default_factory=dict)
    calendars: list[WorkCalendar] = field(default_factory=list)

    def placement(self, session: Session, area: Area | None) -> Placement:
        if area is None:
            return placement(session, None)
        if area.id not in self.places:
            self.places[area.id] = placement(session, area)
        return self.places[area.id]

    def calendar(self, session: Session) -> WorkCalendar:
        if not self.calendars:
            self.calendars.append(work_calendar(session))
        return self.calendars[0]

    @classmethod
    def load(cls, session: Session, *, all_areas: bool = False) -> Lookups:
        """``all_areas``: read every area at once (one query; held here, so that the walks up
        to district and street find them in the session): for callers that keep the look-ups
        for many complaints (the inbox drain's session)."""
        areas: dict[str, Area | None] = (
            {a.code: a for a in session.scalars(select(Area))} if all_areas else {}
        )
        return cls(
            channels={c.code: c for c in session.scalars(select(Channel))},
            categories={c.code: c for c in session.scalars(select(Category))},
            areas=areas,
        )


def find_existing(session: Session, channel: Channel, upstream_ref: str | None) -> Complaint | None:
    if not upstream_ref:
        return None
    return session.scalar(
        select(Complaint).where(
            Complaint.channel_id == channel.id, Complaint.upstream_ref == upstream_ref
        )
    )


def record_complaint(
    session: Session,
    data: ComplaintCreate,
    *,
    actor: User | None,
    now: datetime,
    case_prefix: str = "HZ",
    lookups: Lookups | None = None,
    repeat_check: bool = True,
    known_new: bool = False,
) -> IntakeResult:
    # repeat_check=False skips the repeat check and indexing (a switch for measurements and
    # floods: CIVICDESK_PORTAL_REPEAT_CHECK, docs/portal.md); every channel has it on.
    # known_new=True: the caller has just looked the upstream reference up for a whole batch
    # (portal.inbox's drain) and found nothing; the unique index still refuses a second one.
    lookups = lookups or Lookups.load(session)
    channel = lookups.channels.get(data.channel)
    if channel is None:
        raise InvalidInput(f"未知渠道：{data.channel}", field="channel")
    existing = None if known_new else find_existing(session, channel, data.upstream_ref)
    if existing is not None:
        return IntakeResult(existing, session.get_one(Case, existing.case_id), created=False)
    received_at = check_received_at(data.received_at or now, now)
    category = _category(lookups, data.category)
    area = _area(session, data.area, lookups)
    # Triage (issue 3) fills what the operator left empty; its suggestion is kept below.
    proposal = triage_hooks.propose(session, data, category=category, area=area)
    category, area = proposal.category, proposal.area
    place = lookups.placement(session, area)
    repeat = repeats.check_new(
        session, data, channel_id=channel.id, category=category, place=place,
        received_at=received_at, actor=actor, now=now,
    ) if repeat_check else None  # fmt: skip
    if data.case_number:
        if actor is not None:
            check_role(actor.role, CaseAction.attach)
        case = _open_case_by_number(session, data.case_number)
    elif repeat is not None and repeat.join_case is not None:
        case = repeat.join_case
    else:
        case = _open_case(session, data, received_at, category, place, case_prefix, lookups)
    complaint = Complaint(
        channel_id=channel.id,
        upstream_ref=data.upstream_ref,
        received_at=received_at,
        complainant_name=data.complainant_name,
        complainant_phone=data.complainant_phone,
        title=data.title,
        text=data.text,
        address=data.address,
        longitude=data.longitude,
        latitude=data.latitude,
        category_id=category.id if category else None,
        area_id=place.area_id,
        district_id=place.district_id,
        street_id=place.street_id,
        case_id=case.id,
        created_at=now,
        created_by_id=actor.id if actor else None,
    )
    try:
        with session.begin_nested():
            session.add(complaint)
    except IntegrityError:
        # Another request recorded the same upstream reference a moment ago.
        again = find_existing(session, channel, data.upstream_ref)
        if again is None:
            raise
        return IntakeResult(again, session.get_one(Case, again.case_id), created=False)
    action = CaseAction.receive if case.complaint_count == 0 else CaseAction.attach
    case.complaint_count += 1
    history.record(
        session,
        case,
        action.value,
        actor=actor,
        at=now,
        from_status=case.status,
        complaint_id=complaint.id,
        channel=channel.code,
    )
    session.flush()
    triage_hooks.keep(session, complaint, proposal, now=now, actor_id=actor.id if actor else None)
    decision = repeats.record_intake(session, complaint, repeat, now=now) if repeat else None
    joined = repeat is not None and repeat.join_case is not None
    return IntakeResult(complaint, case, created=True, repeat=decision, joined=joined)


def check_received_at(received_at: datetime, now: datetime) -> datetime:
    """The time a complaint was received, refused when implausible; shared with bulk import."""
    if received_at > now + FUTURE_TOLERANCE:
        raise InvalidInput("受理时间晚于当前时间", field="received_at")
    if received_at < EARLIEST:
        raise InvalidInput("受理时间早于2000年，请检查", field="received_at")
    return received_at


def _category(lookups: Lookups, code: str | None) -> Category | None:
    if code is None:
        return None
    category = lookups.categories.get(code)
    if category is None:
        raise InvalidInput(f"未知类别：{code}", field="category")
    return category


def _area(session: Session, code: str | None, lookups: Lookups) -> Area | None:
    if code is None:
        return None
    if code not in lookups.areas:
        lookups.areas[code] = area_by_code(session, code)
    area = lookups.areas[code]
    if area is None:
        raise InvalidInput(f"未知区域：{code}", field="area")
    return area


def _open_case_by_number(session: Session, number: str) -> Case:
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise InvalidInput(f"案件 {number} 不存在", field="case_number")
    if case.status not in OPEN_STATUSES:
        raise InvalidInput(f"案件 {number} 已办结或不在办理中，不能并入", field="case_number")
    return case


def _open_case(
    session: Session,
    data: ComplaintCreate,
    received_at: datetime,
    category: Category | None,
    place: Placement,
    prefix: str,
    lookups: Lookups,
) -> Case:
    title = data.title or data.text[:TITLE_LENGTH]
    for _ in range(NUMBER_RETRIES):
        case = Case(
            number=next_case_number(session, prefix=prefix, opened_at=received_at),
            status=CaseStatus.received.value,
            title=title[:200],
            category_id=category.id if category else None,
            area_id=place.area_id,
            district_id=place.district_id,
            street_id=place.street_id,
            address=data.address,
            opened_at=received_at,
            complaint_count=0,
        )
        try:
            with session.begin_nested():
                session.add(case)
            issued(session, case)
            # 立案 is due this long after the case opens (cases.deadlines).
            deadlines.set_file_due(session, case, category, calendar=lookups.calendar(session))
            return case
        except IntegrityError as exc:
            # Only a concurrent writer taking the same number is worth another try.
            if "number" not in str(exc.orig):
                raise
            if case in session:
                session.expunge(case)
    raise InvalidInput("案件编号分配冲突，请重试")
