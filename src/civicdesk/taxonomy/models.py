"""The category tree, its hot-spot flags and default time limits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (
        CheckConstraint("accept_hours >= 0", name="accept_hours_nonneg"),
        CheckConstraint("handle_days >= 0", name="handle_days_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    # One of the source's nine 热点 categories: counted apart in every report.
    hotspot: Mapped[bool] = mapped_column(Boolean, default=False)
    # False for matters outside city management (不予立案 / transfer suggestions).
    in_remit: Mapped[bool] = mapped_column(Boolean, default=True)
    accept_hours: Mapped[float] = mapped_column(default=2.0)
    handle_days: Mapped[int] = mapped_column(Integer, default=5)
    reply_days: Mapped[int] = mapped_column(Integer, default=1)
    # Days an issue stays "already complained about" for repeat detection (null: the default).
    lookback_days: Mapped[int | None] = mapped_column(Integer)
    # Words typical of the category (a cold-start lexicon for triage; used by later work).
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
