"""Area lookups shared by intake, reports and pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.org.models import Area, AreaLevel


@dataclass(frozen=True)
class Placement:
    """An area and the district and street above it (for counting by area)."""

    area_id: int | None
    district_id: int | None
    street_id: int | None


def placement(session: Session, area: Area | None) -> Placement:
    if area is None:
        return Placement(None, None, None)
    district_id = street_id = None
    node: Area | None = area
    while node is not None:
        if node.level == AreaLevel.district:
            district_id = node.id
        elif node.level == AreaLevel.street:
            street_id = node.id
        node = session.get(Area, node.parent_id) if node.parent_id else None
    return Placement(area.id, district_id, street_id)


def area_by_code(session: Session, code: str) -> Area | None:
    return session.scalar(select(Area).where(Area.code == code))


def districts(session: Session) -> list[Area]:
    return list(
        session.scalars(
            select(Area)
            .where(Area.level == AreaLevel.district)
            .order_by(Area.sort_order, Area.code)
        )
    )


def streets(session: Session, district_id: int | None = None) -> list[Area]:
    query = select(Area).where(Area.level == AreaLevel.street)
    if district_id is not None:
        query = query.where(Area.parent_id == district_id)
    return list(session.scalars(query.order_by(Area.sort_order, Area.code)))
