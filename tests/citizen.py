"""Fixtures and helpers of the citizen-side tests (portal, service cards, Open311): the real
application sharing the test's transaction, photos stored under the test's own directory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.app import create_app
from civicdesk.settings import Settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
PHONE = "13900002222"


def make_settings(db_url: str, media: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "secret_key": "test-secret",
        "media_dir": media,
        "portal_limit_per_address": 1000,
        "portal_limit_per_phone": 1000,
        "portal_track_limit_per_address": 1000,
        **overrides,
    }
    return Settings(**values)


def make_app(session: Session, clock: Any, settings: Settings) -> Any:
    app = create_app(settings, engine=session.get_bind().engine, clock=clock)
    app.state.sessionmaker = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return app


@pytest.fixture
def media(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the portal's limits."""
    return {}


@pytest.fixture
def app(session, clock, db_url, media, settings_overrides):  # type: ignore[no-untyped-def]
    return make_app(session, clock, make_settings(db_url, media, **settings_overrides))


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def portal_csrf(client: TestClient, path: str = "/portal") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return csrf_of(response.text)


def drain(client: TestClient) -> Any:
    """Run the inbox drain (intake of what the public side accepted), as the worker would."""
    from civicdesk.portal.inbox import DrainConfig
    from civicdesk.portal.inbox import drain as run_drain

    state = client.app.state  # type: ignore[attr-defined]
    config = DrainConfig.of(state.settings)
    return run_drain(state.sessionmaker, now=state.clock.now, config=config)


def submit(
    client: TestClient,
    *,
    photos: list[tuple[str, bytes, str]] | None = None,
    csrf: str | None = None,
    intake: bool = True,
    **fields: str,
) -> Any:
    """Post the portal form; ``intake`` (default): then drain the inbox, so the case exists."""
    data = {
        "text": "文三路100号门口每天晚上有人占道摆摊，影响通行",
        "phone": PHONE,
        "address": "西湖区西溪街道文三路100号",
        **fields,
    }
    data["csrf"] = csrf if csrf is not None else portal_csrf(client)
    files = [("photos", photo) for photo in photos or []]
    response = client.post("/portal/submit", data=data, files=files or None)
    if intake:
        drain(client)
    return response


def token_of(response: Any) -> str:
    assert response.status_code == 303, response.text[:2000]
    location = response.headers["location"]
    found = re.fullmatch(r"/portal/t/([\w-]+)\?(new|again)=1", location)
    assert found, location
    return found.group(1)
