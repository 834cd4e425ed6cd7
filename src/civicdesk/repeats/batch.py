"""``civicdesk repeats rebuild``: recompute the links over the whole history or a period.

Idempotent: the machine's links of the period (``decided_by_id`` null) and the blocking keys
are replaced by what the rules give now; links a person confirmed, changed or rejected are kept
as the person left them. The same rules as the online check (``engine.detect`` over
``scoring.decide``), so a rebuild after a day of intake finds the links the intake found.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case
from civicdesk.core.workflow import CaseStatus
from civicdesk.intake.models import Complaint
from civicdesk.repeats import engine, repository
from civicdesk.repeats.context import RepeatContext, load_context
from civicdesk.repeats.models import RepeatLink
from civicdesk.repeats.scoring import (
    DAY,
    CaseState,
    Facts,
    KeyMemo,
    keys_of,
)

Progress = Callable[[str], None]


@dataclass
class RebuildReport:
    start: datetime | None
    end: datetime | None
    complaints: int = 0  # checked (in the period)
    loaded: int = 0  # read, with the earlier complaints they may repeat
    links: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    confirmed: int = 0
    kept_decided: int = 0  # links a person decided: kept as they are
    without_place: int = 0
    unplaced: int = 0
    keys_written: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # of this process


@dataclass
class Part:
    """The detection over one set of category groups (groups never share a blocking key)."""

    keys: list[tuple[int, set[int], float]]
    links: list[dict[str, Any]]
    loaded: int = 0
    checked: int = 0
    without_place: int = 0
    unplaced: int = 0
    cpu: float = 0.0  # seconds of processor time the detection took, in its process


def rebuild(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime,
    window_days: int | None = None,
    context: RepeatContext | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> RebuildReport:
    """Recompute links for complaints received in [start, end) (everything when None).

    ``workers`` > 1 detects the category groups in parallel processes, each reading the
    database itself: only for committed data (the command line), never inside a test's
    transaction."""
    say = progress or (lambda _: None)
    ctx = context or load_context(session, window_days=window_days)
    report = RebuildReport(start, end)
    with _bulk_work(session):
        _rebuild(session, ctx, report, now=now, say=say, workers=workers)
    return report


def _rebuild(
    session: Session,
    ctx: RepeatContext,
    report: RebuildReport,
    *,
    now: datetime,
    say: Progress,
    workers: int,
) -> None:
    start, end = report.start, report.end
    clock, cpu = time.perf_counter(), time.process_time()
    horizon = None
    if start is not None:
        longest = max([*ctx.taxonomy.lookback.values(), ctx.rules.lookback_days])
        horizon = datetime.fromtimestamp(
            start.timestamp() - (longest + engine.HORIZON_DAYS) * DAY, UTC
        )
    say("读取并比对")
    span = Span(
        horizon, end, start.timestamp() if start else None, end.timestamp() if end else None
    )
    if workers > 1:
        from civicdesk.repeats.parallel import detect_parallel

        parts = detect_parallel(session, ctx, span, now=now, workers=workers)
    else:
        parts = [detect_part(session, ctx, span, now=now)]
    for part in parts:
        report.loaded += part.loaded
        report.complaints += part.checked
        report.without_place += part.without_place
        report.unplaced += part.unplaced
    report.seconds["detect"] = time.perf_counter() - clock
    report.cpu_seconds["detect"] = time.process_time() - cpu
    if workers > 1:
        report.cpu_seconds["detect_in_workers"] = sum(part.cpu for part in parts)

    clock, cpu = time.perf_counter(), time.process_time()
    say("写入")
    key_rows = [row for part in parts for row in part.keys]
    if start is None and end is None:
        report.keys_written = repository.sync_all_keys(session, key_rows)
    else:
        repository.replace_keys(session, key_rows)
    decided = repository.decided_complaints(session, start=start, end=end)
    report.kept_decided = len(decided)
    _delete_machine_links(session, start, end)
    rows = [row for part in parts for row in part.links if row["complaint_id"] not in decided]
    session.flush()
    repository.bulk_insert_links(session, rows)
    for row in rows:
        report.by_kind[row["kind"]] = report.by_kind.get(row["kind"], 0) + 1
        report.confirmed += row["status"] == "confirmed"
    report.links = len(rows)
    report.seconds["write"] = time.perf_counter() - clock
    # In this process only: with workers, their detection runs elsewhere (see the wall time).
    report.cpu_seconds["write"] = time.process_time() - cpu


@contextmanager
def _bulk_work(session: Session) -> Iterator[None]:
    """A million complaints in memory and millions of index entries written: the cyclic garbage
    collector is paused (the rebuild makes next to no garbage cycles, and its passes over a few
    million live objects would cost more than the detection itself), and SQLite gets a page
    cache that holds the key index (its 2 MB default makes every insert a page miss)."""
    raw = session.connection().connection.dbapi_connection
    sqlite = session.get_bind().dialect.name == "sqlite"
    previous = raw.execute("PRAGMA cache_size").fetchone()[0] if sqlite else None  # type: ignore[union-attr]
    if sqlite:
        raw.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")  # type: ignore[union-attr]
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
        if sqlite:
            raw.execute(f"PRAGMA cache_size = {int(previous)}")  # type: ignore[union-attr]


SQLITE_CACHE_KIB = 512 * 1024


@dataclass(frozen=True)
class Span:
    """Read from ``read_from`` (the period's start less the look-up horizon) to ``read_to``;
    decide complaints received in [lo, hi) (epoch seconds; None: unbounded)."""

    read_from: datetime | None
    read_to: datetime | None
    lo: float | None
    hi: float | None

    def __contains__(self, f: Facts) -> bool:
        return (self.lo is None or f.received >= self.lo) and (
            self.hi is None or f.received < self.hi
        )


def detect_part(
    session: Session,
    ctx: RepeatContext,
    span: Span,
    *,
    now: datetime,
    categories: list[int | None] | None = None,
) -> Part:
    """Read the complaints (of ``categories``, or all), detect, and return keys and link rows
    (explanations already as the JSON text stored: in a worker process, that work is parallel
    too)."""
    cpu = time.process_time()
    facts = load_facts(session, ctx, start=span.read_from, end=span.read_to, categories=categories)
    cases = load_cases(session, {f.case_id for f in facts if f.case_id is not None})
    memo: KeyMemo = {}
    own: list[set[int]] = []
    look: list[set[int]] = []
    for f in facts:
        filed, looked = keys_of(f, ctx.taxonomy, memo)
        own.append(filed)
        look.append(looked)
    bounded = span.lo is not None or span.hi is not None
    outcome = engine.detect(
        facts,
        keys=own,
        lookups=look,
        cases=cases,
        taxonomy=ctx.taxonomy,
        rules=ctx.rules,
        targets=span.__contains__ if bounded else None,
    )
    links = repository.link_rows(
        session,
        outcome.decisions.values(),
        facts={f.id: f for f in facts if not bounded or f in span},
        cases=cases,
        source="batch",
        now=now,
    )
    for row in links:
        row["explanation"] = json.dumps(row["explanation"])
    return Part(
        keys=[
            (f.id, filed, f.received)
            for f, filed in zip(facts, own, strict=True)
            if not bounded or f in span
        ],
        links=links,
        loaded=len(facts),
        checked=outcome.checked,
        without_place=outcome.without_place,
        unplaced=outcome.unplaced,
        cpu=time.process_time() - cpu,
    )


def _delete_machine_links(session: Session, start: datetime | None, end: datetime | None) -> None:
    conditions = [RepeatLink.decided_by_id.is_(None), RepeatLink.decided_at.is_(None)]
    if start is not None:
        conditions.append(RepeatLink.received_at >= start)
    if end is not None:
        conditions.append(RepeatLink.received_at < end)
    session.execute(delete(RepeatLink).where(and_(*conditions)))


_COLUMNS = (
    "id, created_at, received_at, channel_id, complainant_phone, complainant_name, title, text, "
    "address, longitude, latitude, category_id, area_id, case_id, district_id"
)


def load_facts(
    session: Session,
    ctx: RepeatContext,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    ids: list[int] | None = None,
    categories: list[int | None] | None = None,
) -> list[Facts]:
    """Complaints as facts, in the order they came (``Facts.order``). Read through the driver:
    a million rows through the ORM's per-value type processing would cost more than the
    detection itself."""
    if ids is not None:
        rows = session.execute(select(*ORM_COLUMNS).where(Complaint.id.in_(ids))).all()
        facts = [facts_of_row(ctx, row) for row in rows]
    else:
        rows = _raw_rows(session, start, end, categories)
        facts = _facts_of_raw_rows(ctx, rows)
    facts.sort(key=_ORDER)
    return facts


_ORDER = attrgetter("created", "received", "id")  # Facts.order, without a call per complaint


ORM_COLUMNS = tuple(getattr(Complaint, name.strip()) for name in _COLUMNS.split(","))


def _raw_rows(
    session: Session,
    start: datetime | None,
    end: datetime | None,
    categories: list[int | None] | None,
) -> Iterator[Any]:
    sqlite = session.get_bind().dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    where: list[str] = []
    params: list[Any] = []
    for bound, op in ((start, ">="), (end, "<")):
        if bound is not None:
            where.append(f"received_at {op} {mark}")
            params.append(_sqlite_text(bound) if sqlite else bound)
    if categories is not None:
        ids = [int(c) for c in categories if c is not None]
        listed = f"category_id IN ({','.join(map(str, ids))})" if ids else "1 = 0"
        where.append(f"({listed} OR category_id IS NULL)" if None in categories else listed)
    sql = f"SELECT {_COLUMNS} FROM complaints" + (f" WHERE {' AND '.join(where)}" if where else "")
    return _driver_rows(session, sql, tuple(params))


def _driver_rows(session: Session, sql: str, params: tuple[Any, ...] = ()) -> Iterator[Any]:
    """Rows as the driver gives them (plain tuples: no result-row objects per row), in the
    session's transaction."""
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(20000):
            yield from chunk
    finally:
        cursor.close()


def _sqlite_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_DAYS: dict[str, float] = {}


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(_epoch(value), UTC)  # type: ignore[arg-type]


def _epoch(value: Any) -> datetime | float:
    """A stored time as epoch seconds: SQLite's UTC text ("2025-03-04 09:12:30.000000", as
    UTCDateTime writes it) parsed with a per-day cache, PostgreSQL's datetime as it is."""
    if isinstance(value, datetime):
        return value
    day = _DAYS.get(value[:10])
    if day is None:
        day = _DAYS[value[:10]] = (
            datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
        )
    seconds = int(value[11:13]) * 3600 + int(value[14:16]) * 60 + float(value[17:] or 0)
    return day + seconds


def facts_of_row(ctx: RepeatContext, row: Any, epoch: Any = None) -> Facts:
    """A row of ``ORM_COLUMNS`` (or the raw driver's) as facts."""
    if epoch is not None:
        row = (row[0], epoch(row[1]), epoch(row[2]), *row[3:])
    return ctx.facts_of_values(row)


def _facts_of_raw_rows(ctx: RepeatContext, rows: Iterator[Any]) -> list[Facts]:
    """``facts_of_row`` over the driver's rows (most complaints are recorded when received:
    the same time text is read once)."""
    build = ctx.facts_of_values
    facts = []
    for row in rows:
        created = _epoch(row[1])
        received = created if row[2] == row[1] else _epoch(row[2])
        facts.append(build((row[0], created, received, *row[3:])))
    return facts


def load_cases(session: Session, ids: set[int]) -> dict[int, CaseState]:
    """When each case ended: closed (closed_at), not filed (its not_file event), merged."""
    states: dict[int, CaseState] = {}
    not_filed: list[int] = []
    query = select(Case.id, Case.status, Case.closed_at, Case.unit_id)
    if len(ids) <= 5000:  # a few cases by id
        rows = list(session.execute(query.where(Case.id.in_(sorted(ids)))))
    else:  # the rebuild: one scan through the driver (no per-value type processing)
        closed = CaseStatus.closed.value
        raw = _driver_rows(session, "SELECT id, status, closed_at, unit_id FROM cases")
        rows = [
            (i, st, _as_datetime(c) if st == closed and c is not None else None, u)
            for i, st, c, u in raw
            if i in ids
        ]
    for case_id, status, closed_at, unit_id in rows:
        if case_id not in ids:
            continue
        if status == CaseStatus.closed and closed_at is not None:
            states[case_id] = CaseState(case_id, closed_at.timestamp(), "closed", unit_id)
        elif status in (CaseStatus.not_filed, CaseStatus.merged):
            not_filed.append(case_id)
            states[case_id] = CaseState(case_id, None, status, unit_id)
        else:
            states[case_id] = CaseState(case_id, None, None, unit_id)
    ended = repository.not_filed_times(session, not_filed)
    for case_id in not_filed:
        state = states[case_id]
        at = ended.get(case_id)
        states[case_id] = CaseState(case_id, at, state.ended_how, state.unit_id)
    return states
