"""Engine, sessions and the declarative base shared by every domain's models.

One transaction per request or CLI command: services flush, the edge commits.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no tz) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    pool = {"pool_size": pool_size(), "max_overflow": int(os.environ.get(MAX_OVERFLOW, "0"))}
    return create_engine(url, pool_pre_ping=True, **{**pool, **kwargs})


# PostgreSQL connections per process (environment: CIVICDESK_DB_POOL_SIZE, default the number
# of cores; CIVICDESK_DB_MAX_OVERFLOW, default 0). A fixed pool: a connection beyond the pool is
# opened and closed per request (a new backend each time), and more busy backends than cores
# only take turns — on 2 cores the pool of 10 + 20 overflow made the public door 668
# submissions/s at p99 228 ms, a pool of 2 without overflow 1,315–1,329/s at p99 61–80 ms
# (4: 805/s; docs/benchmarks.md). Requests beyond the pool wait for a connection (up to 30 s).
POOL_SIZE, MAX_OVERFLOW = "CIVICDESK_DB_POOL_SIZE", "CIVICDESK_DB_MAX_OVERFLOW"


def pool_size() -> int:
    return int(os.environ.get(POOL_SIZE) or os.cpu_count() or 2)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so that
    # SAVEPOINTs work (the documented pysqlite recipe); BEGIN is emitted in _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A request that will write starts with BEGIN IMMEDIATE: in WAL mode a deferred transaction
    # that read first and writes later fails at once (SQLITE_BUSY_SNAPSHOT) if another writer
    # committed in between, whereas IMMEDIATE waits for the lock (busy_timeout).
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


SQLITE_BEGIN = "civicdesk_sqlite_begin"


def begin_for_writing(session: Session) -> None:
    """Open the session's transaction as a writer (a no-op outside SQLite).

    On SQLite the writer first queues on the database's writer gate (``WriterGate``), held
    until the session's transaction ends."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        gate = _gate_of(bind)
        if gate is not None and gate.acquire():
            session.info[_GATE_KEY] = gate
        session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})


@contextmanager
def writing_connection(bind: Engine | Connection) -> Iterator[Connection]:
    """``begin_for_writing`` without an ORM session, for a request that runs a few statements
    (the public POSTs): a pooled connection in a writing transaction, committed on success and
    rolled back on error. On SQLite the writer gate is taken first and held until the
    transaction has ended, and the transaction is ``BEGIN IMMEDIATE``, as for a session. Given
    a connection (tests that share one transaction), a savepoint on it."""
    if isinstance(bind, Connection):
        with bind.begin_nested():
            yield bind
        return
    sqlite = bind.dialect.name == "sqlite"
    gate = _gate_of(bind) if sqlite else None
    held = gate is not None and gate.acquire()
    try:
        with bind.connect() as connection:
            if sqlite:
                connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            try:
                with connection.begin():
                    yield connection
            finally:
                # The transaction has ended: the next writer may go while this connection
                # goes back to the pool.
                if held:
                    held = False
                    gate.release()  # type: ignore[union-attr]
    finally:
        if held:
            gate.release()  # type: ignore[union-attr]


class WriterGate:
    """One SQLite writer at a time, across the threads of a process and across processes.

    SQLite lets one transaction write; the others retry in its busy handler, which sleeps in
    growing steps (1, 2, 5 ... 100 ms) and is not first come, first served: under 32
    concurrent writers an unlucky one waited past busy_timeout and failed, and the sleeps alone
    put tens of milliseconds on the p99. Writers therefore queue here before ``BEGIN
    IMMEDIATE``: a thread lock (one contender per process), then an exclusive ``flock`` on
    ``<database file>.writer-lock`` (processes: uvicorn workers, the worker's drain), both
    woken the moment the holder lets go. Re-entrant per thread (a nested writer in the same
    thread meets SQLite's own lock, as before: busy_timeout, then an error, never a hang)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._holder: int | None = None  # the thread holding the gate (teardown may run in
        self._fd: int | None = None  # another thread of the pool: release is not per thread)

    def acquire(self) -> bool:
        """Take the gate; False when this thread holds it already (nothing to release)."""
        if self._holder == threading.get_ident():
            return False
        self._lock.acquire()
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise
        self._holder = threading.get_ident()
        return True

    def release(self) -> None:
        self._holder = None
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()


_GATE_KEY = "civicdesk_writer_gate"
_gates: dict[str, WriterGate] = {}
_gates_lock = threading.Lock()


def _gate_of(bind: Any) -> WriterGate | None:
    """The gate of a SQLite file database; None for a session bound to a connection (tests
    that share one transaction) or an in-memory database."""
    if not isinstance(bind, Engine):
        return None
    database = bind.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database) + ".writer-lock"
    gate = _gates.get(path)
    if gate is None:
        with _gates_lock:
            gate = _gates.setdefault(path, WriterGate(path))
    return gate


@event.listens_for(Session, "after_transaction_end")
def _release_gate(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        gate = session.info.pop(_GATE_KEY, None)
        if gate is not None:
            gate.release()


_engines: dict[str, Engine] = {}


# A session that records batch after batch (the inbox drain's, renewed every few seconds) sets
# this in ``session.info``: reference data read for one batch (the calendar, time limits, code
# maps) is then kept for the session's next batches (``session_memo``). Other sessions read it
# afresh each time, so that a change made earlier in the same session is always seen.
REUSE_LOOKUPS = "civicdesk_reuse_lookups"


def session_memo(session: Session, key: str, build: Callable[[], T]) -> T:
    """``build()``, kept in ``session.info`` under ``key`` when the session reuses look-ups."""
    if not session.info.get(REUSE_LOOKUPS):
        return build()
    if key not in session.info:
        session.info[key] = build()
    return session.info[key]  # type: ignore[no-any-return]


def get_engine(url: str | None = None) -> Engine:
    from civicdesk.settings import get_settings

    url = url or get_settings().database_url
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """The one transaction of a CLI command or request: commit on success, roll back on error."""
    session = session_factory(engine or get_engine())()
    begin_for_writing(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def sync_id_sequences(session: Session, *tables: str) -> None:
    """After a bulk insert with explicit ids, move PostgreSQL's id sequences past them
    (SQLite needs nothing: it takes max(rowid) + 1)."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(
            text(
                f"select setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((select max(id) from {table}), 0) + 1, false)"
            )
        )


def copy_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Append many rows in the session's transaction, the fastest way each database has: COPY on
    PostgreSQL (a multi-row INSERT there costs more to build than to run), the driver's
    executemany on SQLite. Every row has the same keys; values go through the column types."""
    import json

    from sqlalchemy import JSON, insert

    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
    convert = []
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, JSON):
            convert.append(lambda v: None if v is None else json.dumps(v, ensure_ascii=False))
        else:
            convert.append(kind.bind_processor(connection.dialect) or (lambda v: v))
    statement = f"copy {table.name} ({', '.join(columns)}) from stdin"
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([f(row[c]) for f, c in zip(convert, columns, strict=True)])
