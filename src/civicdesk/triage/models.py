"""The triage tables: the registered classifier models, and one suggestion per complaint with
what the operator made of it (the corrections are the next model's training data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base

SUGGESTION_STATUSES = ("pending", "confirmed", "corrected")
_STATUSES = ",".join(f"'{s}'" for s in SUGGESTION_STATUSES)


class TriageModelRow(Base):
    """A trained model file, registered by its version; at most one is active."""

    __tablename__ = "triage_models"
    __table_args__ = (
        # One active model at a time (a partial unique index, on SQLite and PostgreSQL alike).
        Index(
            "uq_triage_models_active",
            "active",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    labels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    trained_on: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(200))  # the training file, or "history"
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Suggestion(Base):
    """What triage proposed for a complaint, how sure it was and why; then what the operator
    confirmed. ``model_version`` is the classifier model's version, or ``lexicon`` for the cold
    start."""

    __tablename__ = "triage_suggestions"
    __table_args__ = (
        CheckConstraint(f"status in ({_STATUSES})", name="status"),
        CheckConstraint("confidence is null or (confidence between 0 and 1)", name="confidence"),
        Index("ix_triage_suggestions_status_decided", "status", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime]
    model_version: Mapped[str] = mapped_column(String(40))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    label: Mapped[str | None] = mapped_column(String(100))  # the model's own class
    confidence: Mapped[float | None] = mapped_column(Float)
    low_confidence: Mapped[bool] = mapped_column(Boolean, default=True)
    alternatives: Mapped[list[Any]] = mapped_column(JSON, default=list)
    in_remit: Mapped[bool | None] = mapped_column(Boolean)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    # How the place was found (address, text, coordinates) and what could not be resolved.
    location: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    route: Mapped[str | None] = mapped_column(Text)  # "rule 违法停车 × 西溪街道"
    applied: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    final_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    final_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
