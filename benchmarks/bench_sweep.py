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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, text, update
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
from civicdesk.supervision.models import Notice
from civicdesk.supervision.sweep import clock_of
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


def seed_cases(
    session: Session, n: int, *, now: datetime = NOW, open_every: int = 100, seed: int = 7
) -> int:
    """N cases with explicit ids after any already there; returns how many are open."""
    rng = random.Random(seed)
    units = list(session.scalars(select(Unit.id).where(Unit.kind == "squadron")))
    categories = list(session.scalars(select(Category.id).where(Category.hotspot)))
    statuses = [s.value for s, weight in OPEN_MIX for _ in range(weight)]
    first = (session.scalar(select(func.max(Case.id))) or 0) + 1
    rows: list[dict[str, Any]] = []
    opened = 0
    for i in range(first, first + n):
        row = _case(i, rng, now, units, categories)
        if i % open_every == 0:
            opened += 1
            _open(row, rng.choice(statuses), rng, now)
        rows.append(row)
        if len(rows) == CHUNK:
            session.execute(insert(Case), rows)
            rows = []
    if rows:
        session.execute(insert(Case), rows)
    sync_id_sequences(session, "cases")
    return opened


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
    session.execute(
        update(Case)
        .where(Case.status.in_([s.value for s, _ in OPEN_MIX]))
        .values(
            warned_due_at=None,
            overdue_due_at=None,
            next_check_at=None,
            complaints_seen=0,
            escalation_level=0,
            urge_count=0,
            supervise_count=0,
        )
    )


def naive(engine: Engine, now: datetime) -> tuple[float, int, Counter[str]]:
    """Load every open case, run the rules over each in Python; (seconds, cases, notices due)."""
    started = time.perf_counter()
    with session_factory(engine)() as session:
        calendar = work_calendar(session)
        policy = supervision_policy(session)
        bounds = rules.warning_bounds(policy, calendar, now)
        opened = [s.value for s, _ in OPEN_MIX]
        due: Counter[str] = Counter()
        count = 0
        for case in session.scalars(select(Case).where(Case.status.in_(opened))):
            count += 1
            result = rules.evaluate(
                clock_of(case), now=now, policy=policy, calendar=calendar, bounds=bounds
            )
            due.update(n.kind.value for n in result.notices)
    return time.perf_counter() - started, count, due


def timed_sweep(engine: Engine, now: datetime) -> dict[str, Any]:
    started = time.perf_counter()
    stats = run_sweep(session_factory(engine), now=now)
    return {
        "seconds": round(time.perf_counter() - started, 2),
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
    seed_seconds = time.perf_counter() - started
    if kind == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("analyze"))
    result: dict[str, Any] = {
        "database": kind,
        "cases": args.cases,
        "open_cases": opened,
        "seed_seconds": round(seed_seconds, 1),
        "catch_up": timed_sweep(engine, NOW),
        "re_run": timed_sweep(engine, NOW),
    }
    later = NOW + timedelta(hours=1)
    seconds, count, due = naive(engine, later)
    result["steady_one_hour_later"] = timed_sweep(engine, later)
    result["naive_one_hour_later"] = {
        "seconds": round(seconds, 2),
        "cases_loaded": count,
        "notices_due_incl_already_issued": sum(due.values()),
    }
    with session_factory(engine)() as session:
        single = exactly_once(session)
        result["single_worker_check"] = single
    if kind == "postgresql":
        with session_factory(engine)() as session:
            reset_supervision(session)
            session.commit()
        began = time.perf_counter()
        workers = race(url, NOW)
        result["two_workers"] = {
            "seconds": round(time.perf_counter() - began, 2),
            "workers": workers,
            "issued_total": sum(w["issued"] for w in workers),
            "single_worker_issued": result["catch_up"]["issued"],
        }
        with session_factory(engine)() as session:
            result["two_workers"]["check"] = exactly_once(session)
    engine.dispose()
    return result


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
