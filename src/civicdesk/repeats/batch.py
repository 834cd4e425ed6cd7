"""``civicdesk repeats rebuild``: recompute the links over the whole history or a period.

Idempotent: the machine's links of the period (``decided_by_id`` null) and the blocking keys
are replaced by what the rules give now; links a person confirmed, changed or rejected are kept
as the person left them. The same rules as the online check (``engine.detect`` over
``scoring.decide``), so a rebuild after a day of intake finds the links the intake found.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case
from civicdesk.core.workflow import CaseStatus
from civicdesk.intake.models import Complaint
from civicdesk.repeats import engine, repository
from civicdesk.repeats.context import RepeatContext, load_context
from civicdesk.repeats.models import RepeatLink
from civicdesk.repeats.scoring import DAY, CaseState, Facts, block_keys, query_keys

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


@dataclass
class Part:
    """The detection over one set of category groups (groups never share a blocking key)."""

    keys: list[tuple[int, set[int], float]]
    links: list[dict[str, Any]]
    loaded: int = 0
    checked: int = 0
    without_place: int = 0
    unplaced: int = 0


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
    clock = time.perf_counter()
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

    clock = time.perf_counter()
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
    repository.insert_links(session, rows)
    for row in rows:
        report.by_kind[row["kind"]] = report.by_kind.get(row["kind"], 0) + 1
        report.confirmed += row["status"] == "confirmed"
    report.links = len(rows)
    report.seconds["write"] = time.perf_counter() - clock
    session.flush()
    return report


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
    """Read the complaints (of ``categories``, or all), detect, and return keys and link rows."""
    facts = load_facts(session, ctx, start=span.read_from, end=span.read_to, categories=categories)
    cases = load_cases(session, {f.case_id for f in facts if f.case_id is not None})
    keys = {f.id: block_keys(f, ctx.taxonomy) for f in facts}
    outcome = engine.detect(
        facts,
        keys=lambda f: keys[f.id],
        lookups=lambda f: query_keys(f, ctx.taxonomy, keys[f.id]),
        cases=cases,
        taxonomy=ctx.taxonomy,
        rules=ctx.rules,
        targets=lambda f: f in span,
    )
    targets = [f for f in facts if f in span]
    links = repository.link_rows(
        session,
        outcome.decisions.values(),
        facts={f.id: f for f in targets},
        cases=cases,
        source="batch",
        now=now,
    )
    return Part(
        keys=[(f.id, keys[f.id], f.received) for f in targets],
        links=links,
        loaded=len(facts),
        checked=outcome.checked,
        without_place=outcome.without_place,
        unplaced=outcome.unplaced,
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
        facts = [facts_of_row(ctx, row, epoch=_epoch) for row in rows]
    facts.sort(key=lambda f: f.order)
    return facts


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
    cursor = session.connection().exec_driver_sql(sql, tuple(params))
    while True:
        chunk = cursor.fetchmany(20000)
        if not chunk:
            return
        yield from chunk


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
    (
        id_,
        created,
        received,
        channel,
        phone,
        name,
        title,
        text,
        address,
        lon,
        lat,
        cat,
        area,
        case_id,
        district,
    ) = row
    if epoch is not None:
        created, received = epoch(created), epoch(received)
    return ctx.facts(
        id=id_,
        created=created,
        received=received,
        channel_id=channel,
        phone=phone,
        name=name,
        title=title,
        text=text,
        address=address,
        lon=lon,
        lat=lat,
        category=cat,
        area=area,
        case_id=case_id,
        district=district,
    )


def load_cases(session: Session, ids: set[int]) -> dict[int, CaseState]:
    """When each case ended: closed (closed_at), not filed (its not_file event), merged."""
    states: dict[int, CaseState] = {}
    not_filed: list[int] = []
    query = select(Case.id, Case.status, Case.closed_at, Case.unit_id)
    if len(ids) <= 5000:  # a few cases by id
        rows = list(session.execute(query.where(Case.id.in_(sorted(ids)))))
    else:  # the rebuild: one scan through the driver (no per-value type processing)
        raw = session.connection().exec_driver_sql(
            "SELECT id, status, closed_at, unit_id FROM cases"
        )
        rows = [(i, st, _as_datetime(c), u) for i, st, c, u in raw]
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
