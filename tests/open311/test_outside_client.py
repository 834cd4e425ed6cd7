"""An outside client, written from the GeoReport v2 specification alone, posts a request to a
live server (uvicorn on a free loopback port) and reads it back."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.orm import Session

from civicdesk.app import create_app
from civicdesk.config.loader import load_config
from civicdesk.db import make_engine
from civicdesk.migrate import upgrade
from civicdesk.open311.keys import create_key
from tests.citizen import make_settings

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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The server drains its own inbox (no worker here), as a single-process deployment does.
    settings = make_settings(url, folder / "media", portal_drain_seconds=0.1)
    app = create_app(settings, engine=engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/open311/v2", key
    server.should_exit = True
    thread.join(timeout=10)
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
