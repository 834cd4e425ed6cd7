"""The demo logins and who acts in the history: the centre's roles and the units' staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.accounts.service import create_user
from civicdesk.config.service import units_covering
from civicdesk.org.models import Area, AreaLevel, UnitKind

DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class Actors:
    """User ids by demo role (``operator``, ``dispatcher``…) and by unit (its own staff)."""

    logins: list[str]
    by_role: dict[str, int]
    by_unit: dict[int, int]


def demo_users(session: Session, *, now: datetime) -> Actors:
    """The demo logins; unit staff of the squadron covering 西溪街道 (the source's 便民服务卡
    squadron)."""
    xixi = session.scalar(
        select(Area).where(Area.name == "西溪街道", Area.level == AreaLevel.street)
    )
    squadron = None
    if xixi is not None:
        squadron = next(
            (u for u in units_covering(session, xixi.id) if u.kind == UnitKind.squadron),
            None,
        )
    specs = [
        ("admin", "系统管理员", "admin", None),
        ("operator", "受理员 王丽", "operator", None),
        ("dispatcher", "派遣员 陈刚", "dispatcher", None),
        ("leader", "考核领导 赵建国", "leader", None),
    ]
    if squadron is not None:
        specs.append(("xixi", f"{squadron.name} 李明", "unit_staff", squadron))
    users: dict[str, User] = {}
    for username, display, role, unit in specs:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = create_user(
                session,
                username=username,
                password=DEMO_PASSWORD,
                display_name=display,
                role=role,
                unit=unit,
                now=now,
            )
        users[username] = user
    return Actors(
        list(users),
        {name: user.id for name, user in users.items()},
        {u.unit_id: u.id for u in users.values() if u.unit_id is not None},
    )
