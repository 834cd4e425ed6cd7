"""Bulk insert of the demo history in chunks. On SQLite the values are handed to the driver in
the form SQLAlchemy stores them, because per-value processing would cost more than SQLite's own
work; PostgreSQL gets plain ``insert`` executemany and its sequences moved past the ids."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, insert, text
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.db import UTCDateTime
from civicdesk.demo.calendar_fast import DAY, HOUR, MINUTE, as_datetime
from civicdesk.demo.models import PlantedRepeat
from civicdesk.demo.rendering import EVENT_COLUMNS, Rows
from civicdesk.intake.models import Complaint
from civicdesk.supervision.models import Notice

CHUNK = 5000
Tick = Callable[[int, str], None]  # rows written, label


def write_rows(session: Session, rows: Rows, tick: Tick) -> None:
    """Insert cases, complaints, the planted-repeat truth and the events; flushes."""
    with _large_sqlite_cache(session):
        for model, dicts, label in (
            (Case, rows.cases, "写入案件"),
            (Complaint, rows.complaints, "写入投诉"),
            (PlantedRepeat, rows.planted, "写入重复投诉真值"),
        ):
            if dicts:
                values = [tuple(r.values()) for r in dicts]
                insert_rows(session, model, tuple(dicts[0]), values, tick, label)
        insert_rows(session, CaseEvent, EVENT_COLUMNS, rows.events, tick, "写入办理记录")
        if rows.notices:
            columns = tuple(rows.notices[0])
            values = [tuple(r.values()) for r in rows.notices]
            insert_rows(session, Notice, columns, values, tick, "写入督办通知")
    _advance_sequences(session)
    session.flush()


def insert_rows(
    session: Session,
    model: type,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    tick: Tick,
    label: str,
) -> None:
    """Rows hold times as epoch seconds; each dialect gets them in its own form."""
    table = model.__table__  # type: ignore[attr-defined]
    times = {c for c in columns if isinstance(table.c[c].type, UTCDateTime)}
    documents = {c for c in columns if isinstance(table.c[c].type, JSON)}
    sqlite = session.get_bind().dialect.name == "sqlite"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    )
    days = {c for c in columns if isinstance(table.c[c].type, Date)}
    converters = [
        (i, _sqlite_time if c in times else _iso_day if c in days else _json_text)
        for i, c in enumerate(columns)
        if c in times or c in documents or c in days
    ]
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        if sqlite:
            params = _sqlite_params(chunk, converters)
            session.connection().exec_driver_sql(sql, params)  # type: ignore[arg-type]
        else:
            session.execute(
                insert(table),
                [
                    {
                        c: as_datetime(v) if c in times else v
                        for c, v in zip(columns, row, strict=True)
                    }
                    for row in chunk
                ],
            )
        tick(len(chunk), label)


def _sqlite_params(
    chunk: list[tuple[Any, ...]], converters: list[tuple[int, Callable[[Any], str]]]
) -> list[tuple[Any, ...]]:
    """The values exactly as UTCDateTime/JSON would have stored them."""
    params = []
    for row in chunk:
        values = list(row)
        for i, convert in converters:
            if values[i] is not None:
                values[i] = convert(values[i])
        params.append(tuple(values))
    return params


@contextmanager
def _large_sqlite_cache(session: Session) -> Iterator[None]:
    """Half a million rows update several indexes: with SQLite's default 2 MB page cache
    index pages are read again and again. Enlarged for the inserts, then restored."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    connection = session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql("PRAGMA cache_size = -131072")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


def _advance_sequences(session: Session) -> None:
    """Ids were given explicitly: move PostgreSQL's sequences past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("complaints", "cases", "case_events", "supervision_notices"):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


_DAY_TEXT: dict[int, str] = {}
_SECOND_TEXT: list[str] = []
_JSON_TEXT: dict[tuple[tuple[str, Any], ...], str] = {}


def _sqlite_time(ts: int) -> str:
    """UTCDateTime's SQLite storage: naive UTC in SQLAlchemy's DATETIME format. Half a million
    values: the day's text and the time of day's text are each looked up, not formatted."""
    day, second = divmod(ts, DAY)
    head = _DAY_TEXT.get(day)
    if head is None:
        head = _DAY_TEXT[day] = time.strftime("%Y-%m-%d ", time.gmtime(day * DAY))
    if not _SECOND_TEXT:
        _SECOND_TEXT.extend(
            f"{s // HOUR:02d}:{s // MINUTE % 60:02d}:{s % 60:02d}.000000" for s in range(DAY)
        )
    return head + _SECOND_TEXT[second]


def _iso_day(day: date) -> str:
    """Date's SQLite storage."""
    return day.isoformat()


def _json_text(data: dict[str, Any]) -> str:
    """JSON as SQLAlchemy's JSON type writes it; the many repeated small documents are cached."""
    key = tuple(data.items())
    text_ = _JSON_TEXT.get(key)
    if text_ is None:
        text_ = json.dumps(data)
        if len(_JSON_TEXT) < 10000:
            _JSON_TEXT[key] = text_
    return text_
