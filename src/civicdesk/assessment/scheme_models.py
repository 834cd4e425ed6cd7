"""Tables of the assessment schemes (考核方案), street-order inspections (街面保序检查), appeals
(申诉/核减) and published assessments (考核结果发布).

A scheme version is immutable once stored: a published assessment names the version it used, so
loading changed weights under the same version number is refused (raise the version instead).
A publication is a frozen JSON document; a republication is a new row with the next version and
the differences from the previous one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base

APPEAL_STATUSES = ("pending", "approved", "rejected")
APPEAL_REASONS = ("not_our_area", "unfounded", "malicious", "force_majeure", "other")


class AssessmentScheme(Base):
    """One version of one scheme of ``assessment.yaml``, the validated entry stored whole."""

    __tablename__ = "assessment_schemes"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    # SHA-256 of the canonical JSON: reloading the same version with other content is refused.
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(300))


class Inspection(Base):
    """One spot check of street order in one area (街面保序检查), scored out of 100."""

    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint("score >= 0 and score <= 100", name="score_range"),
        CheckConstraint("items_checked >= 0 and problems_found >= 0", name="counts"),
        CheckConstraint("deductions >= 0", name="deductions"),
        Index("ix_inspections_area_on", "area_id", "inspected_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="RESTRICT"))
    inspected_on: Mapped[date] = mapped_column(Date)
    inspector: Mapped[str] = mapped_column(String(100))
    items_checked: Mapped[int] = mapped_column(Integer)
    problems_found: Mapped[int] = mapped_column(Integer)
    deductions: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime]
    # The CSV file a row came from, so a re-run import is recognised (area, date, inspector).
    source: Mapped[str | None] = mapped_column(String(200))


class Appeal(Base):
    """A unit asks that one complaint not count against it in one assessment period.

    At most one appeal per complaint is pending or approved (a partial unique index): a rejected
    appeal may be followed by a new one with new evidence. The decision is written once, with who,
    when and why; an approved appeal removes the complaint from every measure (核减).
    """

    __tablename__ = "appeals"
    __table_args__ = (
        CheckConstraint("status in ('pending','approved','rejected')", name="status"),
        CheckConstraint(
            "reason_kind in ('not_our_area','unfounded','malicious','force_majeure','other')",
            name="reason_kind",
        ),
        CheckConstraint("period_start <= period_end", name="period"),
        CheckConstraint(
            "status = 'pending' or (decided_at is not null and decision_reason is not null)",
            name="decision_recorded",
        ),
        Index(
            "uq_appeals_open_per_complaint",
            "complaint_id",
            unique=True,
            sqlite_where=text("status <> 'rejected'"),
            postgresql_where=text("status <> 'rejected'"),
        ),
        Index("ix_appeals_status_unit", "status", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    reason_kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    evidence_name: Mapped[str | None] = mapped_column(String(120))
    evidence_path: Mapped[str | None] = mapped_column(String(200))
    evidence_type: Mapped[str | None] = mapped_column(String(40))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)


class Publication(Base):
    """A period's assessment as published: every figure and score, frozen."""

    __tablename__ = "assessment_publications"
    __table_args__ = (
        # Named by hand: the generated name would pass PostgreSQL's 63-character limit.
        UniqueConstraint(
            "scheme_code",
            "period_start",
            "period_end",
            "version",
            name="uq_assessment_publications_period_version",
        ),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_code: Mapped[str] = mapped_column(String(64))
    scheme_version: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    engine_backend: Mapped[str] = mapped_column(String(32))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Per unit and indicator: what changed since the previous version (empty for version 1).
    changes: Mapped[list[Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime]
