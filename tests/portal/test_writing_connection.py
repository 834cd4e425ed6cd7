"""The public POSTs' write transaction without an ORM session (db.writing_connection): the
writer gate and BEGIN IMMEDIATE on SQLite as for a session, commit or rollback, and a savepoint
on a shared connection."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from civicdesk.db import _gate_of, make_engine, writing_connection


@pytest.fixture
def file_db(tmp_path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as connection:
        connection.execute(text("create table t (x integer)"))
    yield engine
    engine.dispose()


def _count(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return int(connection.execute(text("select count(*) from t")).scalar_one())


def test_commits_and_holds_the_writer_gate_until_the_transaction_ends(file_db):
    gate = _gate_of(file_db)
    assert gate is not None
    other = threading.Event()

    def writer() -> None:
        with writing_connection(file_db) as connection:
            connection.execute(text("insert into t values (2)"))
        other.set()

    with writing_connection(file_db) as connection:
        connection.execute(text("insert into t values (1)"))
        assert connection.in_transaction()
        thread = threading.Thread(target=writer)
        thread.start()
        assert not other.wait(0.3)  # the second writer queues on the gate
    assert other.wait(10)
    thread.join()
    assert _count(file_db) == 2
    assert gate.acquire()  # released
    gate.release()


def test_an_error_rolls_back_and_releases_the_gate(file_db):
    with pytest.raises(RuntimeError), writing_connection(file_db) as connection:
        connection.execute(text("insert into t values (1)"))
        raise RuntimeError("refused")
    assert _count(file_db) == 0
    gate = _gate_of(file_db)
    assert gate is not None and gate.acquire()
    gate.release()


def test_on_a_shared_connection_it_is_a_savepoint(file_db):
    with file_db.connect() as shared:
        outer = shared.begin()
        with pytest.raises(RuntimeError), writing_connection(shared) as connection:
            connection.execute(text("insert into t values (1)"))
            raise RuntimeError("refused")
        with writing_connection(shared) as connection:
            connection.execute(text("insert into t values (2)"))
        assert shared.execute(text("select x from t")).scalars().all() == [2]
        outer.rollback()
    assert _count(file_db) == 0
