"""``civicdesk open311 key create|revoke|list`` and the keys underneath."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from civicdesk import db
from civicdesk.cli import app
from civicdesk.errors import Conflict, InvalidInput, NotFound
from civicdesk.open311 import keys
from civicdesk.open311.models import ApiKey
from civicdesk.settings import get_settings

runner = CliRunner()


def test_keys_are_stored_hashed_and_can_be_revoked(session, now):
    key = keys.create_key(session, "partner", now=now)
    row = session.scalar(select(ApiKey).where(ApiKey.name == "partner"))
    assert key.startswith("o311_") and len(key) > 40
    assert key not in (row.key_hash, row.prefix) and row.prefix == key[:12]
    assert keys.verify(session, key) is row
    assert keys.verify(session, key + "x") is None and keys.verify(session, None) is None
    with pytest.raises(Conflict):
        keys.create_key(session, "partner", now=now)
    with pytest.raises(InvalidInput):
        keys.create_key(session, "bad name!", now=now)
    keys.revoke_key(session, "partner", now=now)
    assert keys.verify(session, key) is None
    with pytest.raises(NotFound):
        keys.revoke_key(session, "nobody", now=now)


def test_the_demo_key_is_replaced_each_time(session, now):
    first = keys.create_demo_key(session, now=now)
    second = keys.create_demo_key(session, now=now)
    assert first != second
    assert keys.verify(session, first) is None and keys.verify(session, second) is not None


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from civicdesk.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CIVICDESK_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    upgrade(db.get_engine())
    yield url
    db._engines.pop(url).dispose()
    get_settings.cache_clear()


def test_the_commands(database):
    created = runner.invoke(app, ["open311", "key", "create", "partner-app"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("o311_")
    listed = runner.invoke(app, ["open311", "key", "list"])
    assert "partner-app" in listed.output and key not in listed.output
    assert runner.invoke(app, ["open311", "key", "create", "partner-app"]).exit_code == 1
    revoked = runner.invoke(app, ["open311", "key", "revoke", "partner-app"])
    assert revoked.exit_code == 0 and "已吊销" in revoked.output
    with db.unit_of_work() as session:
        assert keys.verify(session, key) is None
    assert runner.invoke(app, ["open311", "key", "revoke", "nobody"]).exit_code == 1
