"""Links between a complaint and the earlier complaint it repeats, the blocking keys that find
candidates fast, and the reviews of frequent callers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base

LINK_KINDS = (
    "duplicate_intake",
    "repeat_same_complainant",
    "repeat_other_complainant",
    "recurrence",
)
LINK_STATUSES = ("suggested", "confirmed", "rejected")
_KINDS = ",".join(f"'{k}'" for k in LINK_KINDS)
_STATUSES = ",".join(f"'{s}'" for s in LINK_STATUSES)


class RepeatLink(Base):
    """One per complaint that repeats (or duplicates) an earlier one: its best match.

    Measures count ``confirmed`` links only: confirmed by a person, or automatically when the
    score reached the confirm threshold (``decided_by_id`` null). A duplicate intake that is
    confirmed is not counted as a complaint (merged: every source kept, counted once).
    """

    __tablename__ = "repeat_links"
    __table_args__ = (
        CheckConstraint(f"kind in ({_KINDS})", name="kind"),
        CheckConstraint(f"status in ({_STATUSES})", name="status"),
        CheckConstraint("source in ('online','batch')", name="source"),
        CheckConstraint("complaint_id <> earlier_id", name="not_itself"),
        CheckConstraint("score >= 0 and score <= 1", name="score_range"),
        Index("ix_repeat_links_status_kind_received", "status", "kind", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), unique=True
    )
    earlier_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    # Which signals matched and how strongly (scoring.decide), shown to the operator.
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    # The machine's kind, kept when a person changes it (to measure the detector).
    detected_kind: Mapped[str] = mapped_column(String(32))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    # Copied from the complaints when detected, for the measures and the hard-spot list.
    received_at: Mapped[datetime]
    place: Mapped[str | None] = mapped_column(String(120))
    earlier_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    # The unit that had the earlier case when the repeat came: a recurrence weighs on it.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))


class RepeatKey(Base):
    """Blocking keys (stable 64-bit hashes of place, 330 m cell, caller, area — each within the
    top-level category): one intake check reads a few index ranges, not the whole history."""

    __tablename__ = "repeat_keys"
    __table_args__ = (Index("ix_repeat_keys_key_received", "key", "received_at"),)

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime]


class CallerReview(Base):
    """A frequent caller as a person judged them: flagged for review, possibly malicious (kept
    apart from the measures), or cleared. Never set by the machine."""

    __tablename__ = "repeat_caller_reviews"
    __table_args__ = (CheckConstraint("status in ('malicious','cleared')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(String(100), unique=True)  # phone, else the name given
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime]
