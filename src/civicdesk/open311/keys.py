"""Open311 API keys: created and revoked by name, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from civicdesk.errors import Conflict, InvalidInput, NotFound
from civicdesk.open311.models import ApiKey

PREFIX = "o311_"
DEMO_NAME = "demo"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, name: str, *, now: datetime) -> str:
    """A new key for a client called ``name``; returns the key (shown once, never stored)."""
    name = name.strip()
    if not re.fullmatch(r"[\w.\-]{1,64}", name):
        raise InvalidInput("名称须为1–64个字母、数字、'_'、'-'或'.'", field="name")
    if session.scalar(select(ApiKey).where(ApiKey.name == name)) is not None:
        raise Conflict(f"名为 {name} 的密钥已存在（先吊销并删除，或换一个名称）", field="name")
    key = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, key_hash=_hash(key), prefix=key[:12], created_at=now))
    session.flush()
    return key


def revoke_key(session: Session, name: str, *, now: datetime) -> ApiKey:
    row = session.scalar(select(ApiKey).where(ApiKey.name == name.strip()))
    if row is None:
        raise NotFound(f"没有名为 {name} 的密钥")
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return row


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.name)))


def verify(session: Session, key: str | None) -> ApiKey | None:
    """The live key row for ``key``, or None (missing, unknown or revoked)."""
    if not key or len(key) > 128:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key.strip())))
    return row if row is not None and row.revoked_at is None else None


_LIVE_KEY = text("select id from open311_keys where key_hash = :key_hash and revoked_at is null")


def live_key_id(connection: Connection, key: str | None) -> int | None:
    """``verify`` for the POST path: the live key's id with one plain query (no ORM load);
    revocation counts at once (no cache)."""
    if not key or len(key) > 128:
        return None
    found = connection.execute(_LIVE_KEY, {"key_hash": _hash(key.strip())}).first()
    return int(found[0]) if found is not None else None


def create_demo_key(session: Session, *, now: datetime) -> str:
    """For the demo: a fresh key named "demo" (the previous demo key is replaced), returned so
    the demo command can print it. Flushes; the caller commits."""
    old = session.scalar(select(ApiKey).where(ApiKey.name == DEMO_NAME))
    if old is not None:
        session.delete(old)
        session.flush()
    return create_key(session, DEMO_NAME, now=now)
