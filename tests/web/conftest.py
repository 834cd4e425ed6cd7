from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.app import create_app
from civicdesk.settings import Settings
from tests import builders as b


@pytest.fixture
def app(session: Session, clock, db_url):
    """The real application, sharing the test's transaction (rolled back afterwards)."""
    app = create_app(
        Settings(database_url=db_url, secret_key="test-secret"),
        engine=session.get_bind().engine,
        clock=clock,
    )
    app.state.sessionmaker = sessionmaker(
        bind=session.connection(),
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )
    return app


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def accounts(session, now):
    squadron = b.unit_by_name(session, "西溪中队")
    made = {
        "operator": b.user(session, "operator", now=now, username="op"),
        "dispatcher": b.user(session, "dispatcher", now=now, username="disp"),
        "leader": b.user(session, "leader", now=now, username="lead"),
        "xixi": b.user(session, "unit_staff", now=now, unit=squadron, username="xixi"),
    }
    session.flush()
    return made


def token(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/auth/token", json={"username": username, "password": b.PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def login(client: TestClient, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": b.PASSWORD})
    assert response.status_code == 303, response.text
