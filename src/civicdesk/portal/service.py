"""Citizen submissions: the portal form and Open311 POSTs both come here, and go on through
``intake.service.record_complaint`` like every channel (so the repeat check applies)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case
from civicdesk.errors import InvalidInput
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.intake.service import record_complaint
from civicdesk.portal.geo import check_point
from civicdesk.portal.models import Attachment, Submission
from civicdesk.portal.schemas import CitizenComplaint
from civicdesk.portal.triage import triage_hook
from civicdesk.portal.uploads import MediaStore, Photo, Stored
from civicdesk.taxonomy.models import Category


@dataclass(frozen=True)
class PortalConfig:
    """How one door of the citizen side records complaints."""

    channel: str  # channel code: "web" (portal) or "app" (Open311 clients)
    source: str  # "portal" or "open311"
    case_prefix: str = "HZ"
    duplicate_seconds: int = 60
    max_text: int = 2000
    boundaries: Path | None = None
    repeat_check: bool = True


@dataclass(frozen=True)
class SubmitResult:
    case_number: str
    token: str  # the private link's secret (shown once; only its hash is kept)
    created: bool  # False: the same complaint came a moment ago; its case is returned
    joined: bool  # the repeat check joined the complaint to an open case of the same issue
    complaint_id: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def dedupe_key(phone: str, text_: str) -> str:
    words = re.sub(r"\s+", " ", text_).strip()
    return hashlib.sha256(f"{phone.replace('-', '')}\n{words}".encode()).hexdigest()


def submit(
    session: Session,
    complaint: CitizenComplaint,
    photos: list[Photo],
    *,
    store: MediaStore,
    config: PortalConfig,
    now: datetime,
    api_key_id: int | None = None,
    media_url: str | None = None,
    admit: Callable[[], None] | None = None,
) -> SubmitResult:
    """Record a citizen's complaint (and photos); the same one again within
    ``duplicate_seconds`` returns the first one's case instead of a new complaint.
    ``admit`` is called before a new complaint is recorded (not for a duplicate): the caller's
    per-phone rate limit, so that a double click is answered, not refused."""
    if len(complaint.text) > config.max_text:
        raise InvalidInput(
            f"内容过长：最多 {config.max_text} 字，当前 {len(complaint.text)} 字", field="text"
        )
    check_point(session, complaint.longitude, complaint.latitude)
    who = complaint.phone or f"key:{api_key_id}:{complaint.name or ''}"
    key = dedupe_key(who, complaint.text)
    earlier = recent_duplicate(session, key, now=now, seconds=config.duplicate_seconds)
    if earlier is not None:
        return _again(session, earlier)
    if admit is not None:
        admit()
    data = _intake_data(session, complaint, config)
    stored = [store.save(photo, now=now) for photo in photos]
    try:
        return _record(session, data, stored, config, now=now, origin=(key, api_key_id, media_url))
    except BaseException:
        store.discard(stored)
        raise


def _record(
    session: Session,
    data: ComplaintCreate,
    stored: list[Stored],
    config: PortalConfig,
    *,
    now: datetime,
    origin: tuple[str, int | None, str | None],
) -> SubmitResult:
    """Intake, then the photos' rows and the submission row with its private token."""
    key, api_key_id, media_url = origin
    result = record_complaint(
        session,
        data,
        actor=None,
        now=now,
        case_prefix=config.case_prefix,
        repeat_check=config.repeat_check,
    )
    _attach(session, result.complaint.id, stored, now)
    token = secrets.token_urlsafe(24)
    session.add(
        Submission(
            complaint_id=result.complaint.id,
            token_hash=hash_token(token),
            source=config.source,
            dedupe_key=key,
            api_key_id=api_key_id,
            media_url=media_url,
            created_at=now,
        )
    )
    session.flush()
    return SubmitResult(result.case.number, token, True, result.joined, result.complaint.id)


def recent_duplicate(
    session: Session, key: str, *, now: datetime, seconds: int
) -> Submission | None:
    """The same text from the same phone within the window. On PostgreSQL two identical
    submissions in flight are serialised by an advisory lock on the key (SQLite serialises
    every writer already), so the second one sees the first and returns its case."""
    if seconds <= 0:
        return None
    if session.get_bind().dialect.name == "postgresql":
        lock_id = int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)
        session.execute(text("select pg_advisory_xact_lock(:id)"), {"id": lock_id})
    return session.scalar(
        select(Submission)
        .where(Submission.dedupe_key == key)
        .where(Submission.created_at >= now - timedelta(seconds=seconds))
        .order_by(Submission.id.desc())
        .limit(1)
    )


def _again(session: Session, earlier: Submission) -> SubmitResult:
    """The duplicate's answer: the first case, and a fresh private link (the first answer was
    probably lost with the double click; only one link is valid at a time)."""
    from civicdesk.intake.models import Complaint

    complaint = session.get_one(Complaint, earlier.complaint_id)
    case = session.get_one(Case, complaint.case_id)
    token = secrets.token_urlsafe(24)
    earlier.token_hash = hash_token(token)
    session.flush()
    return SubmitResult(case.number, token, False, False, complaint.id)


def _intake_data(
    session: Session, complaint: CitizenComplaint, config: PortalConfig
) -> ComplaintCreate:
    if complaint.category is not None:
        check_category(session, complaint.category)
    place = triage_hook(session, complaint, boundaries=config.boundaries)
    return ComplaintCreate(
        channel=config.channel,
        complainant_name=complaint.name,
        complainant_phone=complaint.phone,
        text=complaint.text,
        address=complaint.address,
        longitude=complaint.longitude,
        latitude=complaint.latitude,
        category=place.category,
        area=place.area,
    )


def check_category(session: Session, code: str) -> Category:
    """A category a citizen may choose: a leaf of the tree (the groups are too broad)."""
    category = session.scalar(select(Category).where(Category.code == code))
    has_children = category is not None and session.scalar(
        select(Category.id).where(Category.parent_id == category.id).limit(1)
    )
    if category is None or has_children:
        raise InvalidInput("请选择有效的问题类别", field="category")
    return category


def _attach(session: Session, complaint_id: int, stored: list[Stored], now: datetime) -> None:
    for item in stored:
        session.add(
            Attachment(
                complaint_id=complaint_id,
                stored_name=item.stored_name,
                content_type=item.photo.content_type,
                size_bytes=len(item.photo.data),
                sha256=item.photo.sha256,
                original_name=item.photo.original_name,
                created_at=now,
            )
        )
