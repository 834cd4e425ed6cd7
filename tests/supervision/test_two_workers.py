"""Two workers at once on PostgreSQL: every due notice issued exactly once, every message
delivered exactly once. Real concurrency — two threads, two connections, committed data — in a
schema of its own (dropped afterwards), so the rest of the suite never sees it.

SQLite has one writer at a time (BEGIN IMMEDIATE), so two workers there simply take turns; the
row locks under test (FOR UPDATE SKIP LOCKED) are PostgreSQL's, hence the skip elsewhere."""

from __future__ import annotations

import os
import threading
from collections import Counter

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from benchmarks.bench_sweep import NOW, exactly_once, seed_cases
from civicdesk.cases.models import Case
from civicdesk.config.loader import load_config
from civicdesk.config.policies import supervision_policy
from civicdesk.config.service import work_calendar
from civicdesk.db import make_engine, session_factory
from civicdesk.migrate import upgrade
from civicdesk.notifications.adapters import Outgoing
from civicdesk.notifications.delivery import deliver_pending
from civicdesk.notifications.models import OutboxMessage
from civicdesk.supervision import rules
from civicdesk.supervision.models import Notice
from civicdesk.supervision.sweep import clock_of
from civicdesk.supervision.tasks import run_sweep
from tests.conftest import PG_ENV

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not os.environ.get(PG_ENV, "").startswith("postgres"),
        reason=f"needs PostgreSQL (set {PG_ENV}): the row locks two workers contend for are "
        "PostgreSQL's FOR UPDATE SKIP LOCKED; .ci/run runs this on PostgreSQL",
    ),
]
SCHEMA = f"two_workers_{os.getpid()}"


@pytest.fixture(scope="module")
def race_engine(db_url: str):  # type: ignore[no-untyped-def]
    admin = make_engine(db_url)
    with admin.begin() as conn:
        conn.execute(text(f"drop schema if exists {SCHEMA} cascade"))
        conn.execute(text(f"create schema {SCHEMA}"))
    engine = make_engine(db_url, connect_args={"options": f"-csearch_path={SCHEMA}"})
    try:
        upgrade(engine)
        with Session(engine) as session:
            load_config(session, "hangzhou")
            seed_cases(session, 3000, now=NOW, open_every=2, seed=11)
            session.commit()
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"drop schema if exists {SCHEMA} cascade"))
        admin.dispose()


def expected_notices(engine: Engine) -> set[tuple[int, str]]:
    """What a single sweep at NOW must issue, from the pure rules over the seeded rows."""
    with Session(engine) as session:
        calendar = work_calendar(session)
        policy = supervision_policy(session)
        bounds = rules.warning_bounds(policy, calendar, NOW)
        found = set()
        for case in session.scalars(select(Case).where(Case.status != "closed")):
            result = rules.evaluate(
                clock_of(case), now=NOW, policy=policy, calendar=calendar, bounds=bounds
            )
            found |= {(case.id, n.rule) for n in result.notices}
        return found


def both(target, *args) -> list[object]:  # type: ignore[no-untyped-def]
    start, results = threading.Barrier(2), [None, None]

    def run(i: int) -> None:
        start.wait()
        results[i] = target(*args)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


def test_two_sweeps_at_once_issue_every_notice_exactly_once(race_engine):
    expected = expected_notices(race_engine)
    sessions = session_factory(race_engine)
    first, second = both(lambda: run_sweep(sessions, now=NOW, batch=50))
    with Session(race_engine) as session:
        issued = {tuple(r) for r in session.execute(select(Notice.case_id, Notice.rule))}
        check = exactly_once(session)
    assert issued == expected and len(expected) > 1000
    assert check["exactly_once"], check
    assert first.issued + second.issued == len(expected)  # none issued twice, none lost
    assert first.issued and second.issued  # both did part of the work
    again = run_sweep(sessions, now=NOW)
    assert again.issued == 0


def test_two_deliveries_at_once_send_every_message_exactly_once(race_engine):
    sent: list[int] = []
    lock = threading.Lock()

    class Recording:
        def send(self, message: Outgoing, *, now) -> None:  # type: ignore[no-untyped-def]
            with lock:
                sent.append(message.id)

    sessions = session_factory(race_engine)
    senders = {"log": Recording, "inapp": Recording, "sms": Recording, "email": Recording}
    both(lambda: deliver_pending(sessions, now=lambda: NOW, channel_senders=senders, limit=100_000))
    with Session(race_engine) as session:
        rows = {i: s for i, s in session.execute(select(OutboxMessage.id, OutboxMessage.status))}
    assert rows and set(rows.values()) == {"sent"}
    assert Counter(sent) == Counter(list(rows))  # each row sent once, none twice
