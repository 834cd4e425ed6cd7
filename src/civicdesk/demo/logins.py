"""The demo logins and who acts in the history: the centre's roles, and one on-duty login per
unit that receives cases (its username is the unit code, e.g. ``sq-330106004``), so that every
accept, return, reply and extension request names a member of the unit's staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.accounts.service import hash_password
from civicdesk.config.service import units_covering
from civicdesk.demo.planned import UnitRef
from civicdesk.demo.reference import Reference
from civicdesk.org.models import Area, AreaLevel, Unit, UnitKind

DEMO_PASSWORD = "demo1234"
# The named logins: (username, display name, role).
NAMED = (
    ("admin", "系统管理员", Role.admin),
    ("operator", "受理员 王丽", Role.operator),
    ("dispatcher", "派遣员 陈刚", Role.dispatcher),
    ("leader", "考核领导 赵建国", Role.leader),
)
# The district enforcement bureau (城管执法局) above ``xixi``'s squadron: unit staff of a bureau
# read the notices escalated to it (升级督办) and the cases they concern.
BUREAU_LOGIN = "bureau"
# (username, display name, role, unit id)
Spec = tuple[str, str, str, int | None]


@dataclass(frozen=True)
class Actors:
    """The named logins, and user ids by demo role (``operator``…) and by unit."""

    logins: list[str]
    by_role: dict[str, int]
    by_unit: dict[int, int]
    unit_logins: int = 0


def demo_users(session: Session, reference: Reference, *, now: datetime) -> Actors:
    """The named logins, ``xixi`` for the squadron covering 西溪街道 (the source's 便民服务卡
    squadron, who acts for it), and an on-duty login for every other receiving unit."""
    specs: list[Spec] = [(name, display, role, None) for name, display, role in NAMED]
    xixi = _xixi_squadron(session)
    bureau = _bureau_above(session, xixi)
    if xixi is not None:
        specs.append(("xixi", f"{xixi.name} 李明", Role.unit_staff, xixi.id))
    if bureau is not None:
        specs.append((BUREAU_LOGIN, f"{bureau.name}督查科 周强", Role.unit_staff, bureau.id))
    units = receiving_units(reference)
    specs += [(u.code, f"{u.name}值班员", Role.unit_staff, u.id) for u in units]
    ids = _ensure_users(session, specs, now=now)
    by_unit = {u.id: ids[u.code] for u in units}
    if xixi is not None:
        by_unit[xixi.id] = ids["xixi"]
    if bureau is not None:  # reads the notices escalated to the bureau
        by_unit[bureau.id] = ids[BUREAU_LOGIN]
    named = [name for name, _, _ in NAMED] + (["xixi"] if xixi is not None else [])
    named += [BUREAU_LOGIN] if bureau is not None else []
    return Actors(named, {name: ids[name] for name in named}, by_unit, len(units))


def receiving_units(reference: Reference) -> list[UnitRef]:
    """Every unit the history may dispatch to (squadrons, street offices), by code."""
    found: dict[int, UnitRef] = {}
    for squadron, office in reference.units.values():
        found[squadron.id] = squadron
        if office is not None:
            found[office.id] = office
    for squadrons in reference.squadrons_of_district.values():
        found.update((u.id, u) for u in squadrons)
    return sorted(found.values(), key=lambda u: u.code)


def _xixi_squadron(session: Session) -> UnitRef | None:
    street = session.scalar(
        select(Area).where(Area.name == "西溪街道", Area.level == AreaLevel.street)
    )
    if street is None:
        return None
    unit = next(
        (u for u in units_covering(session, street.id) if u.kind == UnitKind.squadron), None
    )
    return None if unit is None else UnitRef(unit.id, unit.code, unit.name, unit.kind)


def _bureau_above(session: Session, squadron: UnitRef | None) -> UnitRef | None:
    """The enforcement bureau up the squadron's chain (its parent in units.yaml)."""
    unit = session.get(Unit, squadron.id) if squadron is not None else None
    parent = session.get(Unit, unit.parent_id) if unit is not None and unit.parent_id else None
    if parent is None or parent.kind != UnitKind.enforcement_bureau:
        return None
    return UnitRef(parent.id, parent.code, parent.name, parent.kind)


def _ensure_users(session: Session, specs: list[Spec], *, now: datetime) -> dict[str, int]:
    """Ids by username; missing users are inserted in bulk with one password hash (argon2
    costs some 50 ms a hash, and there are a hundred logins)."""
    names = [spec[0] for spec in specs]
    existing = dict(
        session.execute(select(User.username, User.id).where(User.username.in_(names))).all()
    )
    missing = [spec for spec in specs if spec[0] not in existing]
    if missing:
        password_hash = hash_password(DEMO_PASSWORD)
        rows = [
            {
                "username": username,
                "display_name": display,
                "password_hash": password_hash,
                "role": str(role),
                "unit_id": unit_id,
                "active": True,
                "created_at": now,
            }
            for username, display, role, unit_id in missing
        ]
        session.execute(insert(User), rows)
        existing.update(
            session.execute(select(User.username, User.id).where(User.username.in_(names))).all()
        )
    return existing
