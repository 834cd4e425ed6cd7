"""How notifications leave the platform, from the environment (prefix ``CIVICDESK_``).

``CIVICDESK_NOTIFY_CHANNELS`` lists the channels every notice is sent through: ``log`` (the
default: written to the worker's log, nothing leaves the machine), ``sms`` (an HTTP SMS gateway),
``email`` (SMTP), ``inapp`` (marks the notice delivered in the unit's inbox).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CHANNELS = ("log", "sms", "email", "inapp")


class NotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICDESK_", extra="ignore")

    notify_channels: str = "log"  # comma-separated
    sms_gateway_url: str | None = None  # POST JSON {to, text, id}; the id makes it idempotent
    sms_gateway_token: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "96310@localhost"
    smtp_starttls: bool = False
    # Delivery: attempts before giving up, and the first retry delay (doubling each time).
    outbox_max_attempts: int = Field(default=6, ge=1, le=50)
    outbox_backoff_seconds: float = Field(default=30.0, gt=0)
    outbox_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    outbox_lease_seconds: float = Field(default=300.0, gt=0)
    outbox_timeout_seconds: float = Field(default=10.0, gt=0)
    worker_interval_seconds: float = Field(default=60.0, gt=0)

    @field_validator("notify_channels")
    @classmethod
    def _known_channels(cls, value: str) -> str:
        names = [part.strip() for part in value.split(",") if part.strip()]
        unknown = [name for name in names if name not in CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel(s) {', '.join(unknown)}; use {', '.join(CHANNELS)}")
        return ",".join(dict.fromkeys(names))

    @property
    def channels(self) -> list[str]:
        return [name for name in self.notify_channels.split(",") if name]


@lru_cache
def get_notification_settings() -> NotificationSettings:
    return NotificationSettings()
