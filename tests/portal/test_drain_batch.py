"""The batched drain writes exactly what intake one row at a time writes (issue 7).

The drain caches per batch (the triage engine's stamp, look-ups, the day's last case number,
the upstream-reference guard for the whole batch); none of that may change a case number, a
repeat link, a triage suggestion or a history row. Two databases get the same inbox rows; one is
drained in batches, the other taken row by row through ``record_complaint`` (each row its own
transaction, nothing cached), and every table intake writes is compared row for row."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from civicdesk.config.loader import load_config
from civicdesk.config.service import get_setting
from civicdesk.db import make_engine, session_factory
from civicdesk.intake.service import record_complaint
from civicdesk.migrate import upgrade
from civicdesk.portal import inbox
from civicdesk.portal.models import InboxItem, Submission
from civicdesk.portal.schemas import CitizenComplaint, PortalComplaint
from civicdesk.portal.service import PortalConfig, attach, intake_data
from civicdesk.portal.uploads import MediaStore
from civicdesk.settings import Settings
from tests.conftest import PG_ENV

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
TABLES = (
    "cases", "complaints", "case_events", "triage_suggestions", "repeat_links", "repeat_keys",
    "portal_submissions", "portal_inbox",
)  # fmt: skip
PROBLEMS = ("门口有人占道摆摊", "夜间施工噪声很大", "饭店油烟直排", "有人乱倒建筑渣土")


def _database(path: Path) -> Engine:
    """A database of the test's own: a SQLite file, or with PostgreSQL configured
    (CIVICDESK_TEST_DATABASE_URL) a schema of that name in the test database."""
    url = os.environ.get(PG_ENV)
    if url:
        url = Settings(database_url=url).database_url
        schema = f"drain_{path.stem}"
        admin = make_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.commit()
    return engine


def _fill(engine: Engine, media: Path) -> int:
    """Inbox rows with repeats in them: the same problem at the same address from several
    phones (repeat links), some with a category picked, spread over two local days."""
    sessions = session_factory(engine)
    config = PortalConfig(channel="web", source="portal")
    n = 0
    with sessions() as session:
        ref = inbox.Reference.load(session)
        for i in range(48):
            place = ("西溪街道", "灵隐街道", "北山街道")[i % 3]
            complaint = PortalComplaint(
                text=f"{place}文三路{i % 5}号{PROBLEMS[i % 4]}",
                phone=f"139{i:08d}",
                address=f"{place}文三路{i % 5}号",
                category="street_vendor" if i % 7 == 0 else None,
            )
            at = NOW + timedelta(minutes=i) + (timedelta(hours=20) if i >= 40 else timedelta())
            inbox.accept(session, complaint, [], store=MediaStore(media), config=config,
                         ref=ref, now=at)  # fmt: skip
            n += 1
        session.commit()
    return n


def _one_by_one(engine: Engine) -> None:
    """Each row through record_complaint on its own, as the drain did before batching."""
    sessions = session_factory(engine)
    later = NOW + timedelta(days=1)
    while True:
        with sessions() as session:
            item = session.scalar(
                select(InboxItem).where(InboxItem.state == "pending").order_by(InboxItem.id)
            )
            if item is None:
                return
            prefix = get_setting(session, "case_number_prefix", "HZ") or "HZ"
            payload = item.payload
            complaint = CitizenComplaint.model_construct(
                **{name: payload.get(name) for name in inbox.FIELDS}
            )
            portal_config = PortalConfig(channel="web", source="portal", case_prefix=prefix)
            data = intake_data(session, complaint, portal_config).model_copy(
                update={
                    "upstream_ref": inbox.ack_number(prefix, item.created_at, item.id),
                    "received_at": item.created_at,
                }
            )
            result = record_complaint(session, data, actor=None, now=later, case_prefix=prefix)
            attach(session, result.complaint.id, payload.get("photos") or [], later)
            session.add(
                Submission(
                    complaint_id=result.complaint.id,
                    token_hash=item.token_hash,
                    source=item.source,
                    dedupe_key=item.dedupe_key,
                    api_key_id=item.api_key_id,
                    media_url=item.media_url,
                    created_at=item.created_at,
                )
            )
            item.state, item.complaint_id, item.processed_at = "done", result.complaint.id, later
            session.commit()


def _dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as connection:
        return {
            table: [
                {k: v for k, v in row._mapping.items() if k != "token_hash"}  # random per accept
                for row in connection.execute(text(f"select * from {table} order by 1, 2, 3"))
            ]
            for table in TABLES
        }


def _row_by_row_refused(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the set-wise drain called record_complaint")


def _without_ids(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    return {
        table: sorted(
            repr({k: v for k, v in row.items() if k != "data" and not k.endswith("id")})
            for row in rows
        )
        for table, rows in tables.items()
    }


@pytest.mark.parametrize(
    ("bulk", "replan"),
    [(True, False), (True, True), (False, False)],
    ids=["set-wise", "set-wise, changed before the lock", "row-by-row"],
)
def test_a_batched_drain_writes_what_one_row_at_a_time_writes(
    tmp_path: Path, bulk: bool, replan: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    batched, single = _database(tmp_path / "batched.db"), _database(tmp_path / "single.db")
    try:
        rows = _fill(batched, tmp_path / "m1")
        assert _fill(single, tmp_path / "m2") == rows
        later = NOW + timedelta(days=1)
        config = inbox.DrainConfig(batch=20, max_hold_seconds=60.0, bulk=bulk)
        with monkeypatch.context() as patch:
            if bulk:  # the set-wise path (intake.batch) must not fall back to row by row
                patch.setattr(inbox, "record_complaint", _row_by_row_refused)
            if replan:  # as if a complaint had been recorded between planning and the lock
                patch.setattr(inbox.intake_batch, "still_holds", lambda *_: False)
            stats = inbox.drain(session_factory(batched), now=lambda: later, config=config)
        assert stats.done == rows and stats.failed == 0 and stats.batches == 3
        _one_by_one(single)
        got, expected = _dump(batched), _dump(single)
        assert len(expected["complaints"]) == rows
        # The input must exercise what is cached: repeats, several cases a day, two days.
        assert expected["repeat_links"] and expected["triage_suggestions"]
        numbers = [case["number"] for case in expected["cases"]]
        assert len({n[:10] for n in numbers}) == 2 and len(numbers) > 10
        for table in TABLES:
            assert got[table] == expected[table], table
    finally:
        batched.dispose()
        single.dispose()


def test_a_row_intake_refuses_is_set_aside_and_the_rest_of_its_batch_is_written(
    tmp_path: Path,
) -> None:
    engine = _database(tmp_path / "refused.db")
    try:
        rows = _fill(engine, tmp_path / "m")
        with Session(engine) as session:  # an area removed between the door and the drain
            session.add(
                InboxItem(
                    source="portal", token_hash="f" * 64, dedupe_key="d" * 64,
                    payload={"text": "某处占道经营", "phone": "13900000001", "area": "999999"},
                    created_at=NOW + timedelta(minutes=5, seconds=30), state="pending",
                )
            )  # fmt: skip
            session.commit()
        config = inbox.DrainConfig(batch=100, max_hold_seconds=60.0)
        stats = inbox.drain(
            session_factory(engine), now=lambda: NOW + timedelta(days=1), config=config
        )
        assert (stats.done, stats.failed, stats.batches) == (rows, 1, 1)
        with Session(engine) as session:
            states = dict(
                session.execute(
                    select(InboxItem.state, func.count()).group_by(InboxItem.state)
                ).all()
            )
            assert states == {"done": rows, "failed": 1}
            failed = session.scalar(select(InboxItem).where(InboxItem.state == "failed"))
            assert failed is not None and "未知区域" in (failed.error or "")
            assert session.scalar(select(func.count()).select_from(Submission)) == rows
    finally:
        engine.dispose()


def test_a_batch_that_fails_as_a_whole_is_taken_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batched, single = _database(tmp_path / "batched.db"), _database(tmp_path / "single.db")
    try:
        rows = _fill(batched, tmp_path / "m1")
        _fill(single, tmp_path / "m2")

        write, calls = inbox.intake_batch.write, []

        def broken(session: Session, *args: Any, **kwargs: Any) -> Any:
            write(session, *args, **kwargs)  # half written, then the failure
            calls.append(1)
            raise RuntimeError("a constraint the batch did not expect")

        monkeypatch.setattr(inbox.intake_batch, "write", broken)
        later = NOW + timedelta(days=1)
        config = inbox.DrainConfig(batch=20, max_hold_seconds=60.0)
        stats = inbox.drain(session_factory(batched), now=lambda: later, config=config)
        assert (stats.done, stats.failed, len(calls)) == (rows, 0, 3)  # every batch failed
        _one_by_one(single)
        got, expected = _dump(batched), _dump(single)
        if batched.dialect.name == "postgresql":
            # A rolled-back insert still used its sequence numbers: the ids differ by the gap,
            # so the rows are compared without ids (and what refers to them).
            got, expected = _without_ids(got), _without_ids(expected)
        for table in TABLES:  # nothing of the failed batch write is left behind
            assert got[table] == expected[table], table
    finally:
        batched.dispose()
        single.dispose()


def test_a_stopping_worker_stops_draining_between_batches(tmp_path: Path) -> None:
    engine = _database(tmp_path / "stop.db")
    try:
        rows = _fill(engine, tmp_path / "m")
        stop = threading.Event()
        taken = []

        def clock() -> datetime:  # called once per batch: stop after the first one
            taken.append(1)
            if len(taken) == 1:
                stop.set()
            return NOW + timedelta(days=1)

        config = inbox.DrainConfig(batch=20, max_hold_seconds=60.0)
        stats = inbox.drain(session_factory(engine), now=clock, config=config, stop=stop)
        assert (stats.batches, stats.done) == (1, 20)
        with Session(engine) as session:
            assert inbox.backlog(session) == rows - 20
    finally:
        engine.dispose()


def test_a_complaint_recorded_after_planning_means_the_plan_no_longer_holds(
    tmp_path: Path,
) -> None:
    from civicdesk.intake import batch as intake_batch

    engine = _database(tmp_path / "holds.db")
    try:
        _fill(engine, tmp_path / "m")
        with Session(engine) as session:
            planned = intake_batch.plan(session, [], now=NOW)
            assert intake_batch.still_holds(session, planned)
        config = inbox.DrainConfig(batch=1, max_hold_seconds=60.0)
        inbox.drain(session_factory(engine), now=lambda: NOW + timedelta(days=1), config=config,
                    limit=1)  # fmt: skip
        with Session(engine) as session:
            assert not intake_batch.still_holds(session, planned)
    finally:
        engine.dispose()
