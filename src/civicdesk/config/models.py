"""Configuration rows that are not part of the org or taxonomy trees."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base


class CalendarOverride(Base):
    """A date the official calendar package does not know yet, or a local correction."""

    __tablename__ = "calendar_overrides"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(100))


class Setting(Base):
    """Key/value configuration loaded from the city's configuration (e.g. office hours)."""

    __tablename__ = "config_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(2000))


class Policy(Base):
    """A validated rule file of the configuration (``supervision.yaml``, ``feedback.yaml``) as
    one document: read whole by the services, checked again when the server or worker starts."""

    __tablename__ = "config_policies"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
