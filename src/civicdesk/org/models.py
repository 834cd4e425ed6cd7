"""Areas (district → street → community) and the units that handle and are assessed."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base


class AreaLevel(enum.StrEnum):
    city = "city"
    district = "district"
    street = "street"
    community = "community"


AREA_DEPTH = {AreaLevel.city: 0, AreaLevel.district: 1, AreaLevel.street: 2, AreaLevel.community: 3}


class Area(Base):
    __tablename__ = "areas"
    __table_args__ = (
        CheckConstraint("level in ('city','district','street','community')", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # The name used in narratives ("主城区", "上城"), as the source writes them.
    short_name: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="RESTRICT"), index=True
    )
    population: Mapped[int | None]
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class UnitKind(enum.StrEnum):
    centre = "centre"  # the 96310 platform itself
    district_government = "district_government"
    enforcement_bureau = "enforcement_bureau"
    squadron = "squadron"
    street_office = "street_office"
    department = "department"


unit_areas = Table(
    "unit_areas",
    Base.metadata,
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint(
            "kind in ('centre','district_government','enforcement_bureau','squadron',"
            "'street_office','department')",
            name="kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    # The supervising unit: squadron → district bureau → centre; escalation follows it.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="RESTRICT"))
    phone: Mapped[str | None] = mapped_column(String(40))
