"""Citizen submissions: what the portal form and Open311 POSTs share. They are accepted into
the inbox (``portal.inbox``) and go on through ``intake.service.record_complaint`` like every
channel (so triage and the repeat check apply) when the drain takes them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.portal.models import Attachment
from civicdesk.portal.schemas import CitizenComplaint
from civicdesk.portal.triage import triage_hook
from civicdesk.portal.uploads import Stored


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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def dedupe_key(phone: str, text_: str) -> str:
    words = re.sub(r"\s+", " ", text_).strip()
    return hashlib.sha256(f"{phone.replace('-', '')}\n{words}".encode()).hexdigest()


def intake_data(
    session: Session, complaint: CitizenComplaint, config: PortalConfig
) -> ComplaintCreate:
    """The intake record of a citizen's complaint, placed by the triage hook."""
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


def photo_record(item: Stored) -> dict[str, Any]:
    """A stored photo as the inbox keeps it until intake attaches it to the complaint."""
    photo = item.photo
    return {
        "stored_name": item.stored_name,
        "content_type": photo.content_type,
        "size_bytes": len(photo.data),
        "sha256": photo.sha256,
        "original_name": photo.original_name,
    }


def attach(
    session: Session, complaint_id: int, records: list[dict[str, Any]], now: datetime
) -> None:
    for record in records:
        session.add(Attachment(complaint_id=complaint_id, created_at=now, **record))
