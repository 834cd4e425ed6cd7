"""`civicdesk worker`: one pass with --once, a clean stop on SIGTERM, and a broken rule file
refused at start-up. Runs the real command in a subprocess on a SQLite file of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from civicdesk.clock import FixedClock
from civicdesk.config.loader import load_config
from civicdesk.config.models import Policy
from civicdesk.db import make_engine
from civicdesk.migrate import upgrade
from civicdesk.notifications.models import OutboxMessage
from civicdesk.supervision.models import CaseMarks, Notice
from civicdesk.worker import run
from tests import builders as b
from tests.supervision.conftest import dispatched

CIVICDESK = [sys.executable, "-m", "civicdesk.cli"]


@pytest.fixture
def db(tmp_path: Path, now):  # type: ignore[no-untyped-def]
    """A database with one case whose acceptance limit passed long ago."""
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        staff = {
            "operator": b.user(session, "operator", now=now),
            "dispatcher": b.user(session, "dispatcher", now=now),
            "squadron": b.unit_by_name(session, "西溪中队"),
        }
        # dispatched on Saturday: to be accepted by Monday 09:30, urged 4 working hours later
        dispatched(session, now - timedelta(days=3), staff)
        session.commit()
    yield url, engine
    engine.dispose()


def counts(engine) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        notices = session.scalar(select(func.count()).select_from(Notice)) or 0
        sent = session.scalar(select(func.count()).where(OutboxMessage.status == "sent")) or 0
    return notices, sent


def test_one_pass_sweeps_and_delivers(db, now):
    _, engine = db
    assert run(engine, interval=60, once=True, clock=FixedClock(now)) == 1
    notices, sent = counts(engine)
    assert (notices, sent) == (2, 3)  # overdue and urged; their messages and the dispatch one
    assert run(engine, interval=60, once=True, clock=FixedClock(now)) == 1
    assert counts(engine) == (notices, sent)  # a second pass issues nothing again


def environment(url: str) -> dict[str, str]:
    return {**os.environ, "CIVICDESK_DATABASE_URL": url, "CIVICDESK_NOTIFY_CHANNELS": "log"}


def test_the_command_runs_once(db):
    url, engine = db
    done = subprocess.run(
        [*CIVICDESK, "worker", "--once"],
        env=environment(url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "worker stopped after 1 pass(es)" in done.stdout
    assert counts(engine)[0] >= 2


def test_the_worker_can_give_the_web_server_the_cpu_first(db):
    url, _ = db
    done = subprocess.run(
        [*CIVICDESK, "worker", "--once", "--nice", "3"],
        env=environment(url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"worker running at nice {os.nice(0) + 3}" in done.stderr


def test_sigterm_stops_the_worker_cleanly(db):
    url, _ = db
    worker = subprocess.Popen(
        [*CIVICDESK, "worker", "--interval", "0.2"],
        env=environment(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        lines = []
        assert worker.stdout is not None
        while time.monotonic() < deadline:
            line = worker.stdout.readline()
            lines.append(line)
            if "pass at" in line:
                break
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, "".join(lines) + output
    assert "worker stopped after" in output


def test_a_broken_rule_file_stops_the_worker_at_start_up(db):
    url, engine = db
    with Session(engine) as session:
        document = session.scalar(select(Policy.document).where(Policy.name == "supervision"))
        grades = [{k: v for k, v in g.items() if k != "level"} for g in document["grades"]]
        session.execute(
            update(Policy)
            .where(Policy.name == "supervision")
            .values(document={**document, "grades": grades})
        )
        session.commit()
    done = subprocess.run(
        [*CIVICDESK, "worker", "--once"],
        env=environment(url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "supervision.yaml" in done.stderr and "level" in done.stderr
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Notice)) == 0
        assert session.scalar(select(CaseMarks.overdue_due_at)) is None
