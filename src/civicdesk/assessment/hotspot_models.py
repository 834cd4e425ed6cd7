"""Hot-spot alerts: a category or a place whose weekly complaints rose above its usual level.

One row per spike: the unique key (kind, subject, first week) lets two workers scanning the same
week insert it once; a spike that goes on into the next week updates its row (``last_week_start``,
``peak``) instead of raising a new one (see ``hotspots.py`` and docs/reports.md).
"""

from __future__ import annotations

import enum
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
)
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base


class AlertKind(enum.StrEnum):
    category = "category"  # a category, over the whole root area
    street = "street"  # a street, all categories
    community = "community"  # a community, all categories


class AlertStatus(enum.StrEnum):
    open = "open"
    acknowledged = "acknowledged"


KIND_LABELS = {
    AlertKind.category: "类别",
    AlertKind.street: "街道",
    AlertKind.community: "社区",
}
STATUS_LABELS = {AlertStatus.open: "待确认", AlertStatus.acknowledged: "已确认"}


class HotspotAlert(Base):
    __tablename__ = "hotspot_alerts"
    __table_args__ = (
        CheckConstraint("kind in ('category','street','community')", name="kind"),
        CheckConstraint("status in ('open','acknowledged')", name="status"),
        UniqueConstraint("kind", "subject_code", "week_start"),
        Index("ix_hotspot_alerts_status_raised", "status", "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The category's or the area's code, and its name when the alert was raised.
    subject_code: Mapped[str] = mapped_column(String(64))
    subject_name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    # Local Monday of the week the spike was first seen, and of the latest week it was seen.
    week_start: Mapped[date] = mapped_column(Date)
    last_week_start: Mapped[date] = mapped_column(Date)
    observed: Mapped[int] = mapped_column(Integer)  # complaints in the first week
    expected: Mapped[float] = mapped_column(Float)  # the baseline it was tested against
    p_value: Mapped[float] = mapped_column(Float)
    peak: Mapped[int] = mapped_column(Integer)  # the most complaints in a week of the spike
    # The method's parameters at the time (window, alpha, thresholds): the alert explains itself.
    method: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.open.value)
    raised_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(Text)
