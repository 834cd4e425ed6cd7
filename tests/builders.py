"""Explicit, typed builders for test data (no factories that hide what a test depends on)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.accounts.service import create_user
from civicdesk.core.calendar import WorkCalendar
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.intake.service import IntakeResult, record_complaint
from civicdesk.org.models import Area, Unit

PASSWORD = "s3cret-pass"
XIXI_STREET = "330106004"  # 西溪街道 (西湖区), official code


def unit_by_name(session: Session, name: str) -> Unit:
    return session.scalars(select(Unit).where(Unit.name == name)).one()


def area_by_name(session: Session, name: str) -> Area:
    return session.scalars(select(Area).where(Area.name == name)).one()


def user(
    session: Session,
    role: str,
    *,
    now: datetime,
    unit: Unit | None = None,
    username: str | None = None,
) -> User:
    return create_user(
        session,
        username=username or f"{role}-{unit.code if unit else 'x'}",
        password=PASSWORD,
        display_name=f"测试{role}",
        role=role,
        unit=unit,
        now=now,
    )


def complaint(
    session: Session, *, now: datetime, actor: User | None = None, **fields: object
) -> IntakeResult:
    values: dict[str, object] = {
        "channel": "12345",
        "text": "文三路100号门口每天晚上有人占道摆摊，影响通行",
        "address": "文三路100号",
        "category": "street_vendor",
        "area": XIXI_STREET,
        "complainant_name": "王先生",
        "complainant_phone": "13800001111",
    }
    values.update(fields)
    return record_complaint(session, ComplaintCreate(**values), actor=actor, now=now)  # type: ignore[arg-type]


def calendar() -> WorkCalendar:
    return WorkCalendar()
