"""What each role may see. Decisions are recorded in docs/architecture.md (Access)."""

from __future__ import annotations

from civicdesk.accounts.models import Role, User

# Operators take and call back complaints, dispatchers supervise and call back: they need the
# complainant's name and phone. Admins maintain data. Unit staff see a masked phone (the centre
# arranges contact) and leaders see figures, not people.
_PERSONAL_DATA_ROLES = frozenset({Role.operator, Role.dispatcher, Role.admin})


def sees_personal_data(user: User) -> bool:
    return user.role in _PERSONAL_DATA_ROLES


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def scoped_unit_id(user: User) -> int | None:
    """The unit a user is limited to (unit staff), or None when they see every case."""
    return user.unit_id if user.role == Role.unit_staff else None
