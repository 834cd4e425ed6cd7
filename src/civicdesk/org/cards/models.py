"""A service card (便民服务卡), as 西溪中队 handed them out: one responsible person of a unit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base


class ServiceCard(Base):
    __tablename__ = "service_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    # The street or community the person answers for; the unit's own area when null.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="RESTRICT"))
    staff_name: Mapped[str] = mapped_column(String(50))
    post: Mapped[str | None] = mapped_column(String(50))  # 职务, e.g. 中队长
    phone: Mapped[str] = mapped_column(String(40))
    duties: Mapped[str] = mapped_column(Text)
    office_hours: Mapped[str | None] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
