"""An outside client, written from the GeoReport v2 specification alone, posts a request to a
live server (uvicorn on a free loopback port) and reads it back."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from civicdesk.app import create_app
from civicdesk.config.loader import load_config
from civicdesk.db import make_engine
from civicdesk.migrate import upgrade
from civicdesk.open311.keys import create_key
from tests.citizen import make_settings
from tests.live_server import serving

CLIENT = Path(__file__).with_name("client_from_spec.py")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("open311-live")
    url = f"sqlite:///{folder / 'live.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        key = create_key(session, "outside", now=datetime.now(UTC))
        session.commit()
    # The server drains its own inbox (no worker here), as a single-process deployment does.
    settings = make_settings(url, folder / "media", portal_drain_seconds=0.1)
    app = create_app(settings, engine=engine)
    with serving(app) as base:
        yield f"{base}/open311/v2", key
    engine.dispose()


def test_a_client_from_the_specification_posts_and_reads_back(live):
    base, key = live
    done = subprocess.run(
        [sys.executable, str(CLIENT), base, key], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["status"] == "open" and found["service_request_id"].startswith("HZ")
    assert found["token"]
