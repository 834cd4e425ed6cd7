"""The batched drain writes exactly what intake one row at a time writes (issue 7).

The drain caches per batch (the triage engine's stamp, look-ups, the day's last case number,
the upstream-reference guard for the whole batch); none of that may change a case number, a
repeat link, a triage suggestion or a history row. Two databases get the same inbox rows; one is
drained in batches, the other taken row by row through ``record_complaint`` (each row its own
transaction, nothing cached), and every table intake writes is compared row for row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
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

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
TABLES = (
    "cases", "complaints", "case_events", "triage_suggestions", "repeat_links", "repeat_keys",
    "portal_submissions", "portal_inbox",
)  # fmt: skip
PROBLEMS = ("门口有人占道摆摊", "夜间施工噪声很大", "饭店油烟直排", "有人乱倒建筑渣土")


def _database(path: Path) -> Engine:
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


def test_a_batched_drain_writes_what_one_row_at_a_time_writes(tmp_path: Path) -> None:
    batched, single = _database(tmp_path / "batched.db"), _database(tmp_path / "single.db")
    try:
        rows = _fill(batched, tmp_path / "m1")
        assert _fill(single, tmp_path / "m2") == rows
        later = NOW + timedelta(days=1)
        config = inbox.DrainConfig(batch=20, max_hold_seconds=60.0)
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
