"""The fast bulk write: one case, one complaint and one "receive" history event per valid row,
inserted in chunks in the caller's transaction, with case numbers allocated in memory — exactly
the fields ``intake.service.record_complaint`` gives a complaint that opens a case."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg import errors as pg_errors
from sqlalchemy import JSON, insert, select
from sqlalchemy import Table as SqlTable
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.cases.deadlines import FileDeadlines
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.cases.numbering import SEQ_DIGITS, day_prefix, next_case_number
from civicdesk.clock import require_aware
from civicdesk.core.workflow import CaseAction, CaseStatus
from civicdesk.db import UTCDateTime
from civicdesk.intake.importing.report import Progress
from civicdesk.intake.importing.rows import Valid
from civicdesk.intake.models import Complaint
from civicdesk.intake.service import TITLE_LENGTH, Lookups, record_complaint
from civicdesk.triage import hooks as triage_hooks
from civicdesk.triage.engine import Triage

WRITE_CHUNK = 2000
# Core inserts of the mapped tables, not the ORM's bulk insert: that one regroups rows by which
# values are None and splices results row by row, many times slower.
CASES: SqlTable = Case.__table__  # type: ignore[assignment]
COMPLAINTS: SqlTable = Complaint.__table__  # type: ignore[assignment]
EVENTS: SqlTable = CaseEvent.__table__  # type: ignore[assignment]


def _insert(session: Session, table: SqlTable, rows: list[dict[str, Any]]) -> None:
    """Many rows into one table, the fastest way each backend offers."""
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, table, rows)
    else:
        session.execute(insert(table), rows)  # sqlite3's executemany: one prepared statement


def _copy(session: Session, table: SqlTable, rows: list[dict[str, Any]]) -> None:
    # COPY: psycopg's executemany is one statement per row, and a multi-row INSERT … VALUES is
    # slow to prepare client-side. COPY bypasses SQLAlchemy's column types, so this does their
    # work: aware datetimes in UTC (UTCDateTime), JSON as text, scalar column defaults.
    columns = [c for c in table.columns if not c.primary_key]
    defaults = {
        c.key: c.default.arg
        for c in columns  # type: ignore[attr-defined]
        if c.default is not None and c.default.is_scalar
    }
    convert = [
        _utc if isinstance(c.type, UTCDateTime) else _json if isinstance(c.type, JSON) else None
        for c in columns
    ]
    names = ", ".join(f'"{c.name}"' for c in columns)
    connection = session.connection().connection.dbapi_connection
    assert connection is not None
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        with connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for row in rows:
                values = [row[c.key] if c.key in row else defaults.get(c.key) for c in columns]
                copy.write_row(
                    [
                        f(v) if f and v is not None else v
                        for f, v in zip(convert, values, strict=True)
                    ]
                )
    except pg_errors.IntegrityError as exc:  # as SQLAlchemy would have raised it
        raise IntegrityError(statement, None, exc) from exc


def _utc(value: datetime) -> datetime:
    return require_aware(value).astimezone(UTC)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class CaseNumbers:
    """Case numbers allocated in memory, one query for the current maximum per day."""

    def __init__(self, session: Session, prefix: str) -> None:
        self.session, self.prefix = session, prefix
        self.last: dict[str, int] = {}  # day prefix → last sequence number given

    def next(self, opened_at: datetime) -> str:
        head = day_prefix(self.prefix, opened_at)
        if head not in self.last:
            number = next_case_number(self.session, prefix=self.prefix, opened_at=opened_at)
            self.last[head] = int(number[len(head) :]) - 1
        self.last[head] += 1
        return f"{head}{self.last[head]:0{SEQ_DIGITS}d}"


def write_rows(
    session: Session,
    rows: Sequence[Valid],
    *,
    batch_id: int | None,
    actor: User | None,
    now: datetime,
    case_prefix: str,
    progress: Progress | None = None,
) -> int:
    """Bulk-insert one case, one complaint and one "receive" event per row, as record_complaint
    would for a complaint that opens a case. Returns the number of complaints written."""
    written = write_valid(
        session,
        rows,
        batch_id=batch_id,
        actor=actor,
        now=now,
        case_prefix=case_prefix,
        progress=progress,
    )
    return len(written)


def write_valid(
    session: Session,
    rows: Sequence[Valid],
    *,
    batch_id: int | None,
    actor: User | None,
    now: datetime,
    case_prefix: str,
    progress: Progress | None = None,
    proposals: Sequence[tuple[Triage, bool, bool]] | None = None,
    file_due_at: Sequence[datetime | None] | None = None,
) -> list[tuple[int, int]]:
    """``write_rows``, returning (case id, complaint id) of each row in order (the inbox drain
    goes on with the repeat check and the citizen's submission rows). ``proposals`` (triage's,
    from ``propose_many`` over the same rows) and ``file_due_at`` (each case's filing deadline)
    when the caller worked them out before its write transaction."""
    numbers = CaseNumbers(session, case_prefix)
    file_due = FileDeadlines.of(session)  # 立案 deadlines, as record_complaint stores them
    actor_id = actor.id if actor else None
    status = CaseStatus.received.value
    written: list[tuple[int, int]] = []
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk = rows[start : start + WRITE_CHUNK]
        # Triage (issue 3) fills empty categories and places as record_complaint does.
        if proposals is None:
            chunk_proposals = triage_hooks.propose_many(session, chunk)
        else:
            chunk_proposals = list(proposals[start : start + WRITE_CHUNK])
        case_rows = [_case_row(item, numbers.next(item.received_at), status) for item in chunk]
        for n, row in enumerate(case_rows):
            row["file_due_at"] = (
                file_due.due(row["category_id"], row["opened_at"])
                if file_due_at is None
                else file_due_at[start + n]
            )
        _insert(session, CASES, case_rows)
        # Read the ids back by the unique keys just written (case number; a complaint's new
        # case) rather than with RETURNING: SQLite cannot order a multi-row RETURNING, so
        # SQLAlchemy would fall back to one statement per row.
        numbers_ = [row["number"] for row in case_rows]
        by_number = {
            number: id_
            for number, id_ in session.execute(
                select(CASES.c.number, CASES.c.id).where(CASES.c.number.in_(numbers_))
            )
        }
        case_ids = [by_number[number] for number in numbers_]
        _insert(
            session,
            COMPLAINTS,
            [
                _complaint_row(item, case_id, batch_id, actor_id, now)
                for item, case_id in zip(chunk, case_ids, strict=True)
            ],
        )
        by_case = {
            case_id: id_
            for case_id, id_ in session.execute(
                select(COMPLAINTS.c.case_id, COMPLAINTS.c.id).where(
                    COMPLAINTS.c.case_id.in_(case_ids)
                )
            )
        }
        complaint_ids = [by_case[case_id] for case_id in case_ids]
        triage_hooks.keep_many(
            session, chunk, complaint_ids, chunk_proposals, now=now, actor_id=actor_id
        )
        _insert(
            session,
            EVENTS,
            [
                {
                    "case_id": case_id,
                    "at": now,
                    "actor_id": actor_id,
                    "action": CaseAction.receive.value,
                    "from_status": status,
                    "to_status": status,
                    "note": None,
                    "unit_id": None,
                    "data": {"complaint_id": by_case[case_id], "channel": item.channel.code},
                }
                for item, case_id in zip(chunk, case_ids, strict=True)
            ],
        )
        written.extend(zip(case_ids, complaint_ids, strict=True))
        if progress:
            progress("write", len(written), len(rows))
    return written


def write_rows_one_by_one(
    session: Session,
    rows: Sequence[Valid],
    *,
    batch_id: int | None,
    actor: User | None,
    now: datetime,
    case_prefix: str,
    progress: Progress | None = None,
) -> int:
    """The reference path: ``record_complaint`` per row, a few queries each. The bulk path must
    give the same rows (tests/intake/test_importer.py); the benchmark's baseline."""
    lookups = Lookups.load(session)
    done = 0
    for item in rows:
        result = record_complaint(
            session, item.data, actor=actor, now=now, case_prefix=case_prefix, lookups=lookups
        )
        if result.created:
            result.complaint.import_batch_id = batch_id
            done += 1
        if progress and done % 1000 == 0:
            progress("write", done, len(rows))
    session.flush()
    return done


def _case_row(item: Valid, number: str, status: str) -> dict[str, Any]:
    data = item.data
    title = data.title or data.text[:TITLE_LENGTH]
    return {
        "number": number,
        "status": status,
        "title": title[:200],
        "category_id": item.category_id,
        "area_id": item.place.area_id,
        "district_id": item.place.district_id,
        "street_id": item.place.street_id,
        "address": data.address,
        "opened_at": item.received_at,
        "complaint_count": 1,
    }


def _complaint_row(
    item: Valid, case_id: int, batch_id: int | None, actor_id: int | None, now: datetime
) -> dict[str, Any]:
    data = item.data
    return {
        "channel_id": item.channel.id,
        "upstream_ref": data.upstream_ref,
        "received_at": item.received_at,
        "complainant_name": data.complainant_name,
        "complainant_phone": data.complainant_phone,
        "title": data.title,
        "text": data.text,
        "address": data.address,
        "longitude": data.longitude,
        "latitude": data.latitude,
        "category_id": item.category_id,
        "area_id": item.place.area_id,
        "district_id": item.place.district_id,
        "street_id": item.place.street_id,
        "case_id": case_id,
        "import_batch_id": batch_id,
        "created_at": now,
        "created_by_id": actor_id,
    }
