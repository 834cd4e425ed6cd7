"""0009_supervision_marks moves the sweep's marks off ``cases`` into ``case_marks`` and back:
values already set survive the upgrade and the downgrade, and the schema matches the models."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

import civicdesk.models  # noqa: F401 (every table on the metadata)
from civicdesk.db import Base, make_engine
from civicdesk.migrate import alembic_config, upgrade
from tests.conftest import PG_ENV

BEFORE = "0008_hotspot_alerts"
MARKS = ("warned_due_at", "overdue_due_at", "next_check_at", "next_report_at", "complaints_seen")
STORED = "2026-03-10 03:00:00.000000"  # how UTCDateTime stores 11:00 in Shanghai on SQLite


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _case(engine: Engine, case_id: int, **values: object) -> None:
    """A case row with every NOT NULL column filled, written with plain SQL at any revision."""
    columns = {c["name"]: c for c in inspect(engine).get_columns("cases")}
    row: dict[str, object] = {
        "id": case_id,
        "number": f"M{case_id}",
        "status": "dispatched",
        "title": "t",
        "opened_at": STORED,
    }
    for name, column in columns.items():
        if name not in row and not column["nullable"] and column.get("default") is None:
            row[name] = 0
    row.update(values)
    names = ", ".join(row)
    with engine.begin() as connection:
        connection.execute(
            text(f"insert into cases ({names}) values ({', '.join(f':{n}' for n in row)})"), row
        )


def test_marks_move_to_the_side_table_and_back(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine, BEFORE)
    _case(engine, 1, warned_due_at=STORED, next_check_at=STORED, complaints_seen=3)
    _case(engine, 2)  # never marked: no row in case_marks
    upgrade(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        rows = connection.execute(text("select * from case_marks")).mappings().all()
    assert [(r["case_id"], r["warned_due_at"], r["complaints_seen"]) for r in rows] == [
        (1, STORED, 3)
    ]
    assert not set(MARKS) & {c["name"] for c in inspect(engine).get_columns("cases")}
    migrate(engine, BEFORE, down=True)
    assert "case_marks" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        back = connection.execute(
            text("select id, warned_due_at, next_check_at, complaints_seen from cases order by id")
        ).all()
    assert back == [(1, STORED, STORED, 3), (2, None, None, 0)]
    engine.dispose()


@pytest.mark.postgres_only
@pytest.mark.skipif(
    not os.environ.get(PG_ENV, "").startswith("postgres"),
    reason=f"needs PostgreSQL (set {PG_ENV})",
)
def test_marks_move_and_back_on_postgresql(db_url: str) -> None:
    schema = f"marks_migration_{os.getpid()}"
    admin = make_engine(db_url)
    with admin.begin() as connection:
        connection.execute(text(f"drop schema if exists {schema} cascade"))
        connection.execute(text(f"create schema {schema}"))
    engine = make_engine(db_url, connect_args={"options": f"-csearch_path={schema}"})
    due = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    try:
        migrate(engine, BEFORE)
        _case(engine, 1, warned_due_at=due, next_check_at=due, complaints_seen=3)
        _case(engine, 2)
        upgrade(engine)
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
            rows = connection.execute(text("select case_id, warned_due_at from case_marks")).all()
            options = connection.execute(
                text("select reloptions from pg_class where relname = 'cases'")
            ).scalar()
        assert rows == [(1, due)] and options == ["fillfactor=90"]
        migrate(engine, BEFORE, down=True)
        with engine.connect() as connection:
            back = connection.execute(
                text("select id, next_check_at, complaints_seen from cases order by id")
            ).all()
        assert back == [(1, due, 3), (2, None, 0)]
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"drop schema if exists {schema} cascade"))
        admin.dispose()
