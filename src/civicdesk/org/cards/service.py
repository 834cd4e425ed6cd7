"""Service cards: maintained by each unit's own staff (and admins), looked up by the public by
address or street. Flushes, never commits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.config.service import area_path, units_covering
from civicdesk.errors import InvalidInput, NotFound, PermissionDenied
from civicdesk.org.cards.models import ServiceCard
from civicdesk.org.gazetteer import locate
from civicdesk.org.models import Area, AreaLevel, Unit, UnitKind, unit_areas
from civicdesk.org.service import area_by_code

_PHONE = re.compile(r"^[0-9+\-() ]{5,40}$")


class CardInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    staff_name: str = Field(min_length=1, max_length=50)
    post: str | None = Field(default=None, max_length=50)
    phone: str = Field(min_length=1, max_length=40)
    duties: str = Field(min_length=1, max_length=1000)
    office_hours: str | None = Field(default=None, max_length=200)
    area: str | None = Field(default=None, max_length=32)
    sort_order: int = Field(default=0, ge=0, le=999)

    @field_validator("post", "office_hours", "area", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not _PHONE.match(value):
            raise ValueError("电话号码格式不正确")
        return value


def check_maintainer(user: User, unit: Unit) -> None:
    if user.role == Role.admin:
        return
    if user.role == Role.unit_staff and user.unit_id == unit.id:
        return
    raise PermissionDenied("只有本单位人员或管理员可以维护服务卡")


def unit_cards(session: Session, unit_id: int) -> list[ServiceCard]:
    return list(
        session.scalars(
            select(ServiceCard)
            .where(ServiceCard.unit_id == unit_id)
            .order_by(ServiceCard.sort_order, ServiceCard.id)
        )
    )


def covered_areas(session: Session, unit: Unit) -> list[Area]:
    """The unit's covered areas and the streets/communities below them (what a card may name)."""
    ids = list(session.scalars(select(unit_areas.c.area_id).where(unit_areas.c.unit_id == unit.id)))
    found, frontier = [], ids
    while frontier:
        rows = list(session.scalars(select(Area).where(Area.id.in_(frontier))))
        found.extend(rows)
        frontier = list(session.scalars(select(Area.id).where(Area.parent_id.in_(frontier))))
        if len(found) > 2000:  # a city-wide unit: the list would be useless on a form
            break
    return sorted(found, key=lambda a: (a.sort_order, a.code))


def save_card(
    session: Session,
    unit: Unit,
    data: CardInput,
    *,
    actor: User,
    now: datetime,
    card: ServiceCard | None = None,
) -> ServiceCard:
    check_maintainer(actor, unit)
    area_id = None
    if data.area:
        area = area_by_code(session, data.area)
        if area is None or area.id not in {a.id for a in covered_areas(session, unit)}:
            raise InvalidInput("该区域不在本单位负责范围内", field="area")
        area_id = area.id
    if card is None:
        card = ServiceCard(unit_id=unit.id)
        session.add(card)
    elif card.unit_id != unit.id:
        raise PermissionDenied("服务卡不属于该单位")
    values = data.model_dump(exclude={"area"})
    for name, value in values.items():
        setattr(card, name, value)
    card.area_id = area_id
    card.updated_at = now
    card.updated_by_id = actor.id
    session.flush()
    return card


def delete_card(session: Session, card: ServiceCard, *, actor: User) -> None:
    check_maintainer(actor, session.get_one(Unit, card.unit_id))
    session.delete(card)
    session.flush()


# ---- public look-up ------------------------------------------------------------------------


@dataclass(frozen=True)
class CardLookup:
    area: Area  # the street (or community) found
    street: Area | None
    unit: Unit | None  # the responsible squadron (or the first unit covering the place)
    cards: list[ServiceCard]
    areas: dict[int, str]  # area id → name, for the cards' areas


def lookup_text(session: Session, text: str) -> CardLookup | None:
    """The card of the street an address names, or None when it names no known street."""
    place = locate(session, text)
    return for_area(session, place.code) if place is not None else None


def for_area(session: Session, code: str) -> CardLookup:
    area = area_by_code(session, code)
    if area is None or area.level in (AreaLevel.city, AreaLevel.district):
        raise NotFound("请选择街道或社区")
    path = area_path(session, area.id)
    street = next((a for a in path if a.level == AreaLevel.street), None)
    units = units_covering(session, area.id)
    unit = next((u for u in units if u.kind == UnitKind.squadron), units[0] if units else None)
    cards = unit_cards(session, unit.id) if unit else []
    here = {a.id for a in path}
    # Cards for this very community first, then the street's, then the rest of the unit's.
    cards.sort(key=lambda c: (c.area_id != area.id, c.area_id not in here, c.sort_order, c.id))
    names = {a.id: a.name for a in session.scalars(select(Area).where(Area.id.in_(
        {c.area_id for c in cards if c.area_id} | here
    )))}  # fmt: skip
    return CardLookup(area, street, unit, cards, names)
