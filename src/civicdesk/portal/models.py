"""What the citizen side adds to a complaint: its private link, its photos, the citizen's rating."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base

PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


class Submission(Base):
    """A complaint that a citizen sent themselves (portal form or an Open311 client)."""

    __tablename__ = "portal_submissions"
    __table_args__ = (
        CheckConstraint("source in ('portal','open311')", name="source"),
        # The duplicate check looks for the same text from the same phone a moment ago.
        Index("ix_portal_submissions_dedupe", "dedupe_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="RESTRICT"), unique=True
    )
    # SHA-256 of the private tracking token (the link's secret; the token itself is never kept).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    # SHA-256 of phone + normalised text: the same complaint sent twice by a double click.
    dedupe_key: Mapped[str] = mapped_column(String(64))
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("open311_keys.id", ondelete="SET NULL")
    )
    # An Open311 client's own media URL (GeoReport's media_url), given back as it came.
    media_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


class InboxItem(Base):
    """A citizen's submission accepted by the public side and waiting for intake.

    The public POST writes one of these (one insert) and answers at once with the
    acknowledgement number (``portal.inbox.ack_number``: prefix, local date, ``W`` and the id)
    and the private link; the drain (worker, or the server's own drain task) runs intake —
    triage, repeat check, the case — and sets ``complaint_id``. The complaint carries the
    acknowledgement number as its ``upstream_ref`` (unique per channel: intake exactly once).
    Rows stay after intake: they hold the duplicate window and the private link's hash.
    """

    __tablename__ = "portal_inbox"
    __table_args__ = (
        CheckConstraint("source in ('portal','open311')", name="source"),
        CheckConstraint("state in ('pending','done','failed')", name="state"),
        Index("ix_portal_inbox_dedupe", "dedupe_key", "created_at"),
        # The drain takes the oldest pending rows.
        Index("ix_portal_inbox_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the private tracking token (as in portal_submissions).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    dedupe_key: Mapped[str] = mapped_column(String(64))
    # The checked complaint (portal.schemas.CitizenComplaint fields) and its stored photos.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("open311_keys.id", ondelete="SET NULL")
    )
    media_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(8), default="pending")
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaints.id", ondelete="RESTRICT"), unique=True
    )
    processed_at: Mapped[datetime | None]
    # Why intake refused the row (state "failed"): shown to staff, never to the public.
    error: Mapped[str | None] = mapped_column(Text)


class Attachment(Base):
    """A photo of a complaint, stored on disk under a generated name."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(
            "content_type in ('image/jpeg','image/png','image/webp')", name="content_type"
        ),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="RESTRICT"), index=True
    )
    # Relative to settings.media_dir: "2026/03/<32 hex>.jpg", generated, never user input.
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # The uploaded file's name, cleaned, for display only (escaped like any user text).
    original_name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]


class CitizenRating(Base):
    """The citizen's own rating of the result: once per complaint (the unique key says so)."""

    __tablename__ = "citizen_ratings"
    __table_args__ = (
        CheckConstraint(
            "satisfaction in ('satisfied','basically','unsatisfied')", name="satisfaction"
        ),
        CheckConstraint("via in ('link','phone')", name="via"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="RESTRICT"), unique=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    satisfaction: Mapped[str] = mapped_column(String(16))
    solved: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(8))
    rated_at: Mapped[datetime]
