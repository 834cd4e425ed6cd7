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

    # ---- citizen portal and Open311 (issue 7; docs/portal.md) ----
    # Photos are stored here under generated names (never the uploaded file's name).
    media_dir: Path = Field(default_factory=lambda: Path.cwd() / "media")
    # The address citizens reach the portal at (QR codes on service cards); the request's own
    # address when unset.
    public_base_url: str | None = None
    portal_max_text: int = Field(default=2000, ge=20, le=5000)
    portal_max_photos: int = Field(default=4, ge=0, le=20)
    portal_max_photo_mb: float = Field(default=5.0, gt=0, le=50)
    # Submissions per hour (token buckets, per process; 0 switches a limit off).
    portal_limit_per_address: int = Field(default=30, ge=0)
    portal_limit_per_phone: int = Field(default=6, ge=0)
    # Look-ups by case number and phone per hour and client address (guessing numbers).
    portal_track_limit_per_address: int = Field(default=60, ge=0)
    # The same text from the same phone within this many seconds returns the same case.
    portal_duplicate_seconds: int = Field(default=60, ge=0)
    # The repeat check on citizen submissions (on; off only to measure it, or in a flood:
    # complaints recorded while it is off are not indexed for later repeat detection).
    portal_repeat_check: bool = True
    # The inbox drain (docs/portal.md, "Inbox"): a server drains it itself every this many
    # seconds when > 0 (single-process deployments, the demo); 0: `civicdesk worker` does.
    portal_drain_seconds: float = Field(default=0.0, ge=0)
    # Inbox rows per drain transaction at most (a batch is also cut after 30 ms of writing on
    # SQLite; one row per transaction on PostgreSQL: portal.inbox.DrainConfig).
    portal_drain_batch: int = Field(default=50, ge=1, le=1000)
    # How long one drain batch may take, in ms (0: by database — SQLite 60 set-wise, of it
    # about half under the write lock; PostgreSQL 200; docs/portal.md).
    portal_drain_hold_ms: int = Field(default=0, ge=0, le=10_000)
    # Map tiles for the location picker, e.g. https://tiles.example.cn/{z}/{x}/{y}.png (none
    # are reachable offline) and the boundaries to draw when there are no tiles (GeoJSON).
    map_tile_url: str | None = None
    map_boundaries: Path | None = None
    # The DuckDB copy of the assessment facts (`civicdesk assessment refresh --path …`): when
    # set, the dashboard's trend, area and category figures come from it (fast at millions of
    # complaints, as of its refresh, shown on the page); unset, from the live tables.
    analytics_duckdb: Path | None = None

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
