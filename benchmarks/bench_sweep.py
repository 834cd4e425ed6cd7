"""The supervision sweep over 1,000,000 cases, and two workers at once on PostgreSQL.

Seeds N cases into a fresh database (bulk insert; one in ``--open-every`` is open — dispatched,
in hand, awaiting the answer to the citizen, or suspended — with deadlines spread from ten
working days late to a week ahead; a few with three or more complaints). Then, on each database:

- **catch-up sweep**: the first sweep, every open case unmarked (each notice issued once, with its
  history row and outbox row);
- **re-run** at the same moment (nothing new: safe to run twice);
- **steady sweep** one working hour later (what the worker does every minute);
- **naive baseline** on the same data at the same moment: load every open case and run the same
  rules over each in Python (no narrowing index, no marks used to skip);
- PostgreSQL only: the catch-up again from a reset, by **two worker processes at once**, and the
  exactly-once check (each notice once, one history row and one outbox row each, the same
  notices as the single worker issued).

    python benchmarks/bench_sweep.py [--cases 1000000] [--open-every 100] [--pg URL] [--out FILE]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.clock import SHANGHAI
from civicdesk.config.policies import supervision_policy
from civicdesk.config.service import work_calendar
from civicdesk.core.workflow import CaseStatus
from civicdesk.db import make_engine, session_factory, sync_id_sequences
from civicdesk.notifications.models import OutboxMessage
from civicdesk.org.models import Unit
from civicdesk.supervision import rules
from civicdesk.supervision.models import CaseMarks, Notice
from civicdesk.supervision.sweep import DayCache, clock_of
from civicdesk.supervision.tasks import run_sweep
from civicdesk.taxonomy.models import Category

# A Wednesday in office hours: deadlines around it cross working days, a weekend and lunch.
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)
CHUNK = 10_000
OPEN_MIX = (
    (CaseStatus.dispatched, 2),
    (CaseStatus.accepted, 6),
    (CaseStatus.handled, 1),
    (CaseStatus.suspended, 1),
)
SYSTEM_ACTIONS = (
    "warn",
    "mark_overdue",
    "urge",
    "supervise",
    "escalate",
    "review_due",
    "report_due",
)


COLUMNS = (
    "id",
    "number",
    "status",
    "title",
    "category_id",
    "unit_id",
    "opened_at",
    "dispatched_at",
    "closed_at",
    "due_at",
    "reply_due_at",
    "review_on",
    "complaint_count",
    "returned_count",
    "extension_count",
    "rework_count",
    "urge_count",
)


def seed_cases(
    session: Session, n: int, *, now: datetime = NOW, open_every: int = 100, seed: int = 7
) -> int:
    """N cases with explicit ids after any already there; returns how many are open."""
    rng = random.Random(seed)
    units = list(session.scalars(select(Unit.id).where(Unit.kind == "squadron")))
    categories = list(session.scalars(select(Category.id).where(Category.hotspot)))
    statuses = [s.value for s, weight in OPEN_MIX for _ in range(weight)]
    first = (session.scalar(select(func.max(Case.id))) or 0) + 1
    rows: list[tuple[Any, ...]] = []
    opened = 0
    for i in range(first, first + n):
        row = _case(i, rng, now, units, categories)
        if i % open_every == 0:
            opened += 1
            _open(row, rng.choice(statuses), rng, now)
        rows.append(tuple(row.get(c) for c in COLUMNS))
        if len(rows) == CHUNK:
            _write(session, rows)
            rows = []
    _write(session, rows)
    sync_id_sequences(session, "cases")
    return opened


def _write(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """The fastest path each database has: COPY on PostgreSQL, the driver's executemany with
    values as UTCDateTime stores them on SQLite (naive UTC text)."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.dbapi_connection
        statement = f"copy cases ({', '.join(COLUMNS)}) from stdin"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        return
    text_rows = [tuple(_sqlite(v) for v in row) for row in rows]
    marks = ", ".join("?" * len(COLUMNS))
    connection.exec_driver_sql(
        f"insert into cases ({', '.join(COLUMNS)}) values ({marks})", text_rows
    )


def _sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _case(
    i: int, rng: random.Random, now: datetime, units: list[int], categories: list[int]
) -> dict[str, Any]:
    opened = now - timedelta(minutes=rng.randrange(60, 700 * 24 * 60))
    return {
        "id": i,
        "number": f"BS{i:010d}",
        "status": CaseStatus.closed.value,
        "title": f"投诉{i}",
        "category_id": rng.choice(categories),
        "unit_id": rng.choice(units),
        "opened_at": opened,
        "dispatched_at": opened,
        "closed_at": opened + timedelta(days=2),
        "due_at": None,
        "complaint_count": 1,
        "returned_count": 0,
        "extension_count": 0,
        "rework_count": 0,
        "urge_count": 0,
    }


def _open(row: dict[str, Any], status: str, rng: random.Random, now: datetime) -> None:
    due = now + timedelta(minutes=rng.randrange(-14 * 24 * 60, 7 * 24 * 60))
    row.update(status=status, closed_at=None, due_at=due, opened_at=min(row["opened_at"], due))
    if status == CaseStatus.handled.value:
        row["reply_due_at"] = due
    if status == CaseStatus.suspended.value:
        row["review_on"] = due.astimezone(SHANGHAI).date()
    if rng.random() < 0.03:
        row["complaint_count"] = rng.randrange(3, 9)


def reset_supervision(session: Session) -> None:
    """Back to before the first sweep: no notices, no messages, no marks."""
    session.execute(delete(OutboxMessage))
    session.execute(delete(CaseEvent).where(CaseEvent.action.in_(SYSTEM_ACTIONS)))
    session.execute(delete(Notice))
    session.execute(delete(CaseMarks))
    session.execute(
        update(Case)
        .where(Case.status.in_([s.value for s, _ in OPEN_MIX]))
        .values(escalation_level=0, urge_count=0, supervise_count=0)
    )


def naive(engine: Engine, now: datetime) -> tuple[float, int, int]:
    """Load every open case (with its marks) and every notice already issued, run the rules
    over each case in Python; (seconds, cases loaded, new notices due) — the count must equal
    the sweep's."""
    started = time.perf_counter()
    with session_factory(engine)() as session:
        calendar = DayCache(work_calendar(session))
        policy = supervision_policy(session)
        bounds = rules.warning_bounds(policy, calendar, now)
        issued = set(session.execute(select(Notice.case_id, Notice.rule, Notice.occasion_at)))
        opened = [s.value for s, _ in OPEN_MIX]
        new = count = 0
        marks = {m.case_id: m for m in session.scalars(select(CaseMarks))}
        for case in session.scalars(select(Case).where(Case.status.in_(opened))):
            count += 1
            clock = clock_of(case, marks.get(case.id))
            result = rules.evaluate(clock, now=now, policy=policy, calendar=calendar, bounds=bounds)
            new += sum((case.id, n.rule, n.occasion_at) not in issued for n in result.notices)
    return time.perf_counter() - started, count, new


def timed_sweep(engine: Engine, now: datetime) -> dict[str, Any]:
    """Wall time, and this process's CPU time (on SQLite all of the work; on PostgreSQL the
    server's share is not in it) — the machine may be shared."""
    started, cpu = time.perf_counter(), time.process_time()
    stats = run_sweep(session_factory(engine), now=now)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "candidates": stats.candidates,
        "notices": dict(sorted(stats.notices.items())),
        "issued": stats.issued,
    }


def _worker(url: str, now: datetime, start: Any, out: Any) -> None:
    engine = make_engine(url)
    start.wait()
    began = time.perf_counter()
    stats = run_sweep(session_factory(engine), now=now, batch=200)
    out.put(
        {
            "seconds": round(time.perf_counter() - began, 2),
            "examined": stats.examined,
            "skipped_locked": stats.skipped_locked,
            "issued": stats.issued,
        }
    )
    engine.dispose()


def race(url: str, now: datetime, workers: int = 2) -> list[dict[str, Any]]:
    """``workers`` processes sweep the same database at the same moment."""
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(workers), context.Queue()
    processes = [
        context.Process(target=_worker, args=(url, now, start, out)) for _ in range(workers)
    ]
    for p in processes:
        p.start()
    results = [out.get(timeout=600) for _ in processes]
    for p in processes:
        p.join()
    return results


def exactly_once(session: Session) -> dict[str, Any]:
    """Each notice once (the unique key), with exactly one history row and one outbox row, and
    each case's urge/supervise counters equal to its notices."""
    notices = session.scalar(select(func.count()).select_from(Notice)) or 0
    keys = session.scalar(
        select(func.count()).select_from(
            select(Notice.case_id, Notice.rule, Notice.occasion_at).distinct().subquery()
        )
    )
    events = session.execute(
        select(CaseEvent.data).where(CaseEvent.action.in_(SYSTEM_ACTIONS))
    ).scalars()
    per_notice = Counter(data.get("notice") for data in events)
    outbox = Counter(session.scalars(select(OutboxMessage.notice_id)))
    urges = session.scalar(select(func.count()).where(Notice.kind == "urge")) or 0
    counted = session.scalar(select(func.sum(Case.urge_count))) or 0
    return {
        "notices": notices,
        "distinct_keys": keys,
        "history_rows_per_notice": sorted(set(per_notice.values())),
        "outbox_rows_per_notice": sorted(set(outbox.values())),
        "urge_notices": urges,
        "urge_counted_on_cases": int(counted),
        "exactly_once": notices == keys == len(per_notice) == len(outbox)
        and set(per_notice.values()) == {1}
        and set(outbox.values()) == {1}
        and urges == counted,
    }


def run(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from benchmarks.common import fresh_database, prepared_engine

    url = fresh_database(kind, workdir, args.pg)
    engine = prepared_engine(url)
    started = time.perf_counter()
    with session_factory(engine)() as session:
        opened = seed_cases(session, args.cases, open_every=args.open_every)
        session.commit()
    if kind == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("analyze"))
    result: dict[str, Any] = {
        "database": kind,
        "cases": args.cases,
        "open_cases": opened,
        "seed_seconds": round(time.perf_counter() - started, 1),
        **sweeps(engine),
    }
    if kind == "postgresql":
        result["two_workers"] = two_workers(url, engine, result["catch_up"]["issued"])
    engine.dispose()
    return result


def _naive(engine: Engine, now: datetime) -> dict[str, Any]:
    seconds, count, new = naive(engine, now)
    return {"seconds": round(seconds, 2), "cases_loaded": count, "new_notices_found": new}


def sweeps(engine: Engine) -> dict[str, Any]:
    """Catch-up, re-run, one working hour later; the naive baseline beside the first and last."""
    later = NOW + timedelta(hours=1)
    out = {"naive_catch_up": _naive(engine, NOW), "catch_up": timed_sweep(engine, NOW)}
    out["re_run"] = timed_sweep(engine, NOW)
    out["naive_one_hour_later"] = _naive(engine, later)
    out["steady_one_hour_later"] = timed_sweep(engine, later)
    with session_factory(engine)() as session:
        out["single_worker_check"] = exactly_once(session)
    return out


def two_workers(url: str, engine: Engine, single_issued: int) -> dict[str, Any]:
    """The catch-up again from a reset, by two processes at once, and the exactly-once check."""
    with session_factory(engine)() as session:
        reset_supervision(session)
        session.commit()
    began = time.perf_counter()
    workers = race(url, NOW)
    out: dict[str, Any] = {
        "seconds": round(time.perf_counter() - began, 2),
        "workers": workers,
        "issued_total": sum(w["issued"] for w in workers),
        "single_worker_issued": single_issued,
    }
    with session_factory(engine)() as session:
        out["check"] = exactly_once(session)
    return out


def main() -> None:
    from benchmarks.common import emit, machine

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--open-every", type=int, default=100, help="one case in N is open")
    parser.add_argument("--pg", help="PostgreSQL URL of a scratch database (dropped and recreated)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_sqlite:
            results.append(run("sqlite", args, Path(tmp)))
        if args.pg:
            results.append(run("postgresql", args, Path(tmp)))
    emit(
        {
            "benchmark": "supervision_sweep",
            "machine": machine(),
            "now": NOW.isoformat(),
            "results": results,
        },
        args.out,
    )


if __name__ == "__main__":
    main()
