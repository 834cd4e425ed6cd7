"""``civicdesk demo run`` prints a working Open311 API key (a fresh "demo" key each start)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from civicdesk.db import make_engine
from civicdesk.demo import cli as demo_cli
from civicdesk.migrate import upgrade
from civicdesk.open311 import keys


def test_the_demo_prints_a_key_that_verifies(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    monkeypatch.setenv("CIVICDESK_DATABASE_URL", url)
    from civicdesk.settings import get_settings

    get_settings.cache_clear()  # type: ignore[attr-defined]
    try:
        printed = []
        for _ in range(2):
            demo_cli._print_open311_key()
            found = re.search(r"o311_[\w-]+", capsys.readouterr().out)
            assert found, "no key printed"
            printed.append(found[0])
    finally:
        get_settings.cache_clear()  # type: ignore[attr-defined]
    with Session(engine) as session:
        assert keys.verify(session, printed[1]) is not None
        assert keys.verify(session, printed[0]) is None  # the previous demo key is replaced
    engine.dispose()


@pytest.mark.parametrize("table", ["open311_keys"])
def test_without_the_table_the_demo_still_starts(
    tmp_path: Path, monkeypatch, capsys, table
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CIVICDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    from civicdesk.settings import get_settings

    get_settings.cache_clear()  # type: ignore[attr-defined]
    try:
        demo_cli._print_open311_key()
    finally:
        get_settings.cache_clear()  # type: ignore[attr-defined]
    assert table in capsys.readouterr().out
