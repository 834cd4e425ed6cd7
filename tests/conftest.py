"""Shared fixtures: a real database (SQLite file, or PostgreSQL when configured), a fixed clock.

Set ``CIVICDESK_TEST_DATABASE_URL`` (e.g. ``postgresql://postgres@127.0.0.1/test``) to run the
whole suite against PostgreSQL; by default each run gets a fresh SQLite file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from civicdesk.clock import SHANGHAI, FixedClock
from civicdesk.db import make_engine
from civicdesk.migrate import upgrade
from civicdesk.settings import Settings

PG_ENV = "CIVICDESK_TEST_DATABASE_URL"


def _test_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get(PG_ENV)
    if url:
        return Settings(database_url=url).database_url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def reset_database(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _test_url(tmp_path_factory)


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database with the Hangzhou configuration loaded once, committed."""
    from civicdesk.config.loader import load_config

    engine = make_engine(db_url)
    reset_database(engine)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose every change is rolled back after the test (commits become savepoints)."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def now() -> datetime:
    # A Tuesday in March 2026, during office hours in Hangzhou.
    return datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clock(now: datetime) -> FixedClock:
    return FixedClock(now)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Real Argon2id, with the cost lowered so that creating users in tests takes microseconds
    (the production parameters are the library's defaults, see accounts.service)."""
    from argon2 import PasswordHasher

    from civicdesk.accounts import service

    original = service._hasher
    service._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    service._hasher = original
