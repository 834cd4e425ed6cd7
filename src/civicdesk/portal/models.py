"""What the citizen side adds to a complaint: its private link, its photos, the citizen's rating."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
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
