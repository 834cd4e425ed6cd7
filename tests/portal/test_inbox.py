"""The inbox: a public submission is answered before intake, with a number valid at once;
the drain runs intake exactly once, also with two drains at a time; the SQLite writer gate
holds across separate lock holders (as across processes)."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case
from civicdesk.config.loader import load_config
from civicdesk.db import WriterGate, make_engine, session_factory
from civicdesk.intake.models import Complaint
from civicdesk.migrate import upgrade
from civicdesk.portal import inbox
from civicdesk.portal.models import InboxItem, Submission
from civicdesk.portal.schemas import PortalComplaint
from civicdesk.portal.service import PortalConfig
from civicdesk.portal.uploads import MediaStore
from civicdesk.worker import run as run_worker
from tests.citizen import PHONE, PNG, drain, portal_csrf, submit, token_of

PENDING = "已受理，正在分派"


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_answer_comes_before_intake_with_a_number_valid_at_once(client, session):
    before = count(session, Complaint)
    response = submit(client, intake=False, photos=[("a.png", PNG, "image/png")])
    token = token_of(response)
    assert count(session, Complaint) == before  # nothing but the inbox row yet
    page = client.get(f"/portal/t/{token}?new=1")
    assert page.status_code == 200 and PENDING in page.text
    ack = re.search(r'id="case-number">([^<]+)<', page.text)[1]  # type: ignore[index]
    assert re.fullmatch(r"HZ\d{8}W\d{6}", ack)
    # The number works for tracking by number + phone at once (and only with the phone).
    csrf = portal_csrf(client, "/portal/track")
    tracked = client.post("/portal/track", data={"number": ack, "phone": PHONE, "csrf": csrf})
    assert tracked.status_code == 200 and PENDING in tracked.text
    wrong = client.post("/portal/track", data={"number": ack, "phone": "13900009999", "csrf": csrf})
    assert wrong.status_code == 404

    assert drain(client).done == 1
    page = client.get(f"/portal/t/{token}").text
    number = re.search(r'id="case-number">([^<]+)<', page)[1]  # type: ignore[index]
    assert re.fullmatch(r"HZ\d{13}", number) and PENDING not in page
    assert f'id="ack-number">{ack}<' in page
    complaint = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert complaint.upstream_ref == ack  # the complaint carries the acknowledgement number
    assert session.get(Case, complaint.case_id).number == number
    tracked = client.post("/portal/track", data={"number": ack, "phone": PHONE, "csrf": csrf})
    assert number in tracked.text and PENDING not in tracked.text
    assert client.get(f"/portal/t/{token}/photos/1").status_code == 200


def test_each_row_is_taken_through_intake_once(client, session):
    before = count(session, Complaint)
    tokens = [token_of(submit(client, intake=False, text=f"第{i}件：文三路占道")) for i in range(3)]
    first = drain(client)
    assert (first.taken, first.done, first.failed) == (3, 3, 0)
    assert drain(client).taken == 0
    assert count(session, Complaint) == before + 3
    items = list(session.scalars(select(InboxItem).order_by(InboxItem.id.desc()).limit(3)))
    assert {i.state for i in items} == {"done"} and all(i.complaint_id for i in items)
    for token in tokens:
        assert PENDING not in client.get(f"/portal/t/{token}").text


def test_a_duplicate_gets_the_same_number_before_and_after_intake(client, session):
    first = submit(client, intake=False)
    second = submit(client, intake=False)
    assert second.headers["location"].endswith("?again=1")
    page = client.get(second.headers["location"]).text
    assert "您刚才已提交过相同内容" in page and PENDING in page
    assert client.get(first.headers["location"]).status_code == 404  # only the latest link
    drain(client)
    third = submit(client)
    assert third.headers["location"].endswith("?again=1")
    assert re.search(r"HZ\d{13}", client.get(third.headers["location"]).text)
    assert count(session, InboxItem) == 1


def test_input_that_intake_refuses_is_kept_as_failed(client, session, now):
    # Passed the door, then the area vanished before intake (forced here by hand).
    session.add(
        InboxItem(
            source="portal",
            token_hash="f" * 64,
            dedupe_key="d" * 64,
            payload={"text": "某处占道", "phone": PHONE, "area": "999999"},
            created_at=now,
            state="pending",
        )
    )
    session.flush()
    stats = drain(client)
    assert (stats.done, stats.failed) == (0, 1)
    item = session.scalars(select(InboxItem).order_by(InboxItem.id.desc())).first()
    assert item.state == "failed" and "未知区域" in (item.error or "")
    assert inbox.by_token(session, "nope") is None


# ---- with a database of its own: two drains at once, the worker, the writer gate ----------


@pytest.fixture
def own_db(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'inbox.db'}")
    upgrade(engine)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.commit()
    yield engine
    engine.dispose()


def _fill(engine, tmp_path: Path, n: int) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    config = PortalConfig(channel="web", source="portal")
    now = datetime.now(UTC)
    with sessions() as session:
        ref = inbox.Reference.load(session)
        for i in range(n):
            complaint = PortalComplaint(
                text=f"西溪街道文三路{i}号门口占道摆摊", phone=f"139{i:08d}", address="西溪街道"
            )
            inbox.accept(session, complaint, [], store=MediaStore(tmp_path / "m"),
                         config=config, ref=ref, now=now)  # fmt: skip
        session.commit()


def test_two_drains_at_once_take_each_row_once(own_db, tmp_path):
    _fill(own_db, tmp_path, 40)
    sessions = session_factory(own_db)
    config = inbox.DrainConfig(batch=3)
    results: list[inbox.DrainStats] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            results.append(inbox.drain(sessions, now=lambda: datetime.now(UTC), config=config))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and sum(r.done for r in results) == 40
    with Session(own_db) as session:
        assert count(session, Complaint) == 40 and count(session, Submission) == 40
        refs = set(session.scalars(select(Complaint.upstream_ref)))
        assert len(refs) == 40
        assert session.scalar(select(func.count()).where(InboxItem.state != "done")) == 0


def test_the_worker_drains_the_inbox(own_db, tmp_path):
    _fill(own_db, tmp_path, 2)
    assert run_worker(own_db, interval=1, once=True) == 1
    with Session(own_db) as session:
        assert count(session, Complaint) == 2 and inbox.backlog(session) == 0


def test_the_writer_gate_excludes_other_holders_of_the_lock_file(tmp_path):
    # Two gates on one file are two open file descriptions, as two processes have.
    path = str(tmp_path / "db.writer-lock")
    first, second = WriterGate(path), WriterGate(path)
    assert first.acquire()
    got = threading.Event()
    waiter = threading.Thread(target=lambda: (second.acquire(), got.set()))
    waiter.start()
    assert not got.wait(0.3)  # blocked while the first holds the gate
    first.release()
    assert got.wait(10)
    waiter.join()
    second.release()  # teardown may run in another thread of the pool than the set-up
    assert first.acquire() and not first.acquire()  # re-entrant in its holder's thread
    first.release()
