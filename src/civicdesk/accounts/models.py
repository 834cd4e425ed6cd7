"""Staff accounts, roles and login sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base


class Role(enum.StrEnum):
    operator = "operator"
    dispatcher = "dispatcher"
    unit_staff = "unit_staff"
    leader = "leader"
    admin = "admin"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role in ('operator','dispatcher','unit_staff','leader','admin')", name="role"
        ),
        # Unit staff see only their own unit's cases, so they must belong to one.
        CheckConstraint("role <> 'unit_staff' or unit_id is not null", name="unit_staff_has_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class LoginSession(Base):
    """A server-side session; the browser cookie or API bearer token holds its secret."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the token: a leaked database does not leak live sessions.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
