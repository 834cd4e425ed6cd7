"""Time is injected and timezone-aware: stored in UTC, shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and for replaying history (the demo generator)."""

    def __init__(self, at: datetime) -> None:
        self.at = require_aware(at)

    def now(self) -> datetime:
        return self.at


def require_aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} refused: give a timezone")
    return value


def to_local(value: datetime) -> datetime:
    return require_aware(value).astimezone(SHANGHAI)


def from_local(value: datetime) -> datetime:
    """Read a wall-clock time in Shanghai (naive, as forms and files give it) as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(UTC)
