"""Settings from the environment (prefix ``CIVICDESK_``), typed and validated once."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICDESK_", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'civicdesk.db'}",
        description="SQLAlchemy URL; SQLite file in the working directory by default.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    # A random key per process is safe: sessions live in the database, the key only signs CSRF
    # tokens, so a restart merely invalidates forms that were open at the time.
    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(32))
    session_hours: float = Field(default=8.0, gt=0, description="Staff sessions expire after this.")
    language: str = "zh"
    timezone: str = "Asia/Shanghai"
    max_upload_mb: int = Field(default=20, gt=0)
    # Years the official calendar package does not know yet fall back to Mon–Fri only when set.
    assume_weekdays_for_unknown_years: bool = False

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres(cls, value: str) -> str:
        # People paste libpq URLs; SQLAlchemy needs the driver named to use psycopg 3.
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
