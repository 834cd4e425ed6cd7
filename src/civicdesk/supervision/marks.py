"""Writing the sweep's marks (``case_marks``): one set-based upsert per batch — on PostgreSQL an
``INSERT … SELECT FROM unnest(arrays) ON CONFLICT (case_id) DO UPDATE`` (one statement, whatever
the batch size), on SQLite ``INSERT … ON CONFLICT DO UPDATE`` through the driver's executemany.
The caller holds the cases' row locks (``sweep.lock_cases``), so no two writers race on a row."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from civicdesk.supervision.models import CaseMarks

MARKS = ("warned_due_at", "overdue_due_at", "next_check_at", "next_report_at", "complaints_seen")
_M = cast(Table, CaseMarks.__table__)
_TYPES = {
    "warned_due_at": "timestamptz",
    "overdue_due_at": "timestamptz",
    "next_check_at": "timestamptz",
    "next_report_at": "timestamptz",
    "complaints_seen": "int",
}
_PG_UPSERT = text(
    f"insert into case_marks (case_id, {', '.join(MARKS)}) "
    f"select * from unnest(cast(:case_id as int[]), "
    f"{', '.join(f'cast(:{m} as {_TYPES[m]}[])' for m in MARKS)}) "
    f"on conflict (case_id) do update set "
    f"{', '.join(f'{m} = excluded.{m}' for m in MARKS)}"
)


def store_marks(session: Session, marks: dict[int, dict[str, Any]]) -> None:
    """Store each case's marks (every column of ``MARKS``), inserting the rows not there yet."""
    if not marks:
        return
    connection = session.connection()
    ids = sorted(marks)
    if connection.dialect.name == "postgresql":
        arrays: dict[str, list[Any]] = {"case_id": ids}
        arrays.update({name: [marks[i][name] for i in ids] for name in MARKS})
        connection.execute(_PG_UPSERT, arrays)
        return
    statement = sqlite.insert(_M)
    statement = statement.on_conflict_do_update(
        index_elements=["case_id"], set_={name: statement.excluded[name] for name in MARKS}
    )
    connection.execute(statement, [{"case_id": i, **marks[i]} for i in ids])


def _zero(name: str) -> Any:
    return 0 if name == "complaints_seen" else None


def marks_of(session: Session, case_id: int) -> dict[str, Any]:
    """A case's marks as stored (all None/0 when the sweep has not looked at it yet)."""
    row = session.execute(select(*(_M.c[m] for m in MARKS)).where(_M.c.case_id == case_id)).first()
    if row is None:
        return {name: _zero(name) for name in MARKS}
    return dict(row._mapping)


def schedule_report(session: Session, case_id: int, next_report_at: datetime | None) -> None:
    """A grade was set: its first progress report, and the sweep looks again by then."""
    current = marks_of(session, case_id)
    checks = [t for t in (current["next_check_at"], next_report_at) if t is not None]
    current["next_report_at"] = next_report_at
    current["next_check_at"] = min(checks) if checks else None
    store_marks(session, {case_id: current})
