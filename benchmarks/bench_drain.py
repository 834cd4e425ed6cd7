"""The inbox drain on its own: set-wise intake of a batch (``intake.batch``) against the
row-by-row path (``record_complaint`` per row), side by side on the same database.

For each database (SQLite, and PostgreSQL with --pg): a fresh database with the Hangzhou
configuration; ``--history`` portal submissions drained first (not timed) so that the repeat
check meets a neighbourhood; then rounds, alternating, of ``--round`` rows each drained by the
row-by-row path and by the set-wise path, with the drain's settings as ``civicdesk worker``
runs it (batch size and hold time by database). The submissions are those of
``bench_portal``'s load (street, 某小区 N 号, one of seven problems, a distinct phone); every
fifth repeats an earlier one, so the repeat check links a share of them. Triage and the repeat
check are on (``--no-repeat-check``: off).

Figures per path: rows per second (wall) and CPU milliseconds per row of this process
(PostgreSQL's own backends not counted), the median over rounds; the links made.

    python -m benchmarks.bench_drain [--rows 3000] [--round 500] [--history 5000] [--pg URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.common import emit, fresh_database, machine, prepared_engine
from civicdesk.db import session_factory
from civicdesk.org.models import Area
from civicdesk.portal import inbox
from civicdesk.portal.schemas import PortalComplaint
from civicdesk.portal.service import PortalConfig
from civicdesk.portal.uploads import MediaStore
from civicdesk.repeats.models import RepeatLink

PROBLEMS = (
    "门口有人占道摆摊", "夜间施工噪声很大", "有车辆乱停在人行道", "有人乱倒建筑渣土",
    "饭店油烟直排", "店家出店经营占道", "楼下广场舞声音太大",
)  # fmt: skip


def fill(engine, media: Path, start: int, n: int, at: datetime) -> None:  # type: ignore[no-untyped-def]
    """``n`` portal submissions into the inbox, as bench_portal's load posts them."""
    sessions = session_factory(engine)
    config = PortalConfig(channel="web", source="portal", duplicate_seconds=0)
    with sessions() as session:
        streets = sorted(session.scalars(select(Area.name).where(Area.level == "street")).all())
        ref = inbox.Reference.load(session)
        store = MediaStore(media)
        for i in range(start, start + n):
            # Every fifth submission is the problem of the one 37 before it again, from
            # another phone (a repeat; often in the same drain batch).
            j = i - 37 if i % 5 == 0 and i >= 37 else i
            street = streets[j % len(streets)]
            complaint = PortalComplaint(
                text=f"{street}某小区{j % 300}号{PROBLEMS[j % len(PROBLEMS)]}",
                phone=f"139{i % 100_000_000:08d}",
                address=f"{street}文{j % 9 + 1}路{j % 500}号",
            )
            stamp = at + timedelta(milliseconds=i)
            inbox.accept(session, complaint, [], store=store, config=config, ref=ref, now=stamp)
        session.commit()


def drain_round(engine, n: int, *, bulk: bool, repeat_check: bool) -> dict[str, float]:  # type: ignore[no-untyped-def]
    config = inbox.DrainConfig(bulk=bulk, repeat_check=repeat_check)
    sessions = session_factory(engine)
    cpu, wall = time.process_time(), time.perf_counter()
    stats = inbox.drain(sessions, now=lambda: datetime.now(UTC), config=config, limit=n)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert stats.done == n and stats.failed == 0, stats
    return {"rows_per_s": n / wall, "cpu_ms_per_row": cpu / n * 1000, "batches": stats.batches}


def run(kind: str, url: str, args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    engine = prepared_engine(url)
    at = datetime.now(UTC) - timedelta(hours=2)
    media = workdir / "media"
    if args.history:
        fill(engine, media, 0, args.history, at)
        drain_round(engine, args.history, bulk=True, repeat_check=args.repeat_check)
    rounds = max(1, args.rows // (2 * args.round))
    fill(engine, media, args.history, rounds * 2 * args.round, at + timedelta(hours=1))
    figures: dict[str, list[dict[str, float]]] = {"row-by-row": [], "set-wise": []}
    with Session(engine) as session:
        links_before = session.scalar(select(func.count()).select_from(RepeatLink)) or 0
    for _ in range(rounds):
        for name, bulk in (("row-by-row", False), ("set-wise", True)):
            figures[name].append(
                drain_round(engine, args.round, bulk=bulk, repeat_check=args.repeat_check)
            )
    with Session(engine) as session:
        links = (session.scalar(select(func.count()).select_from(RepeatLink)) or 0) - links_before
    engine.dispose()
    result: dict[str, object] = {
        "database": kind,
        "history": args.history,
        "rows_per_path": rounds * args.round,
        "links_made": links,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    for name, rows in figures.items():
        result[name] = {
            "rows_per_s": round(statistics.median(r["rows_per_s"] for r in rows), 1),
            "cpu_ms_per_row": round(statistics.median(r["cpu_ms_per_row"] for r in rows), 3),
            "rounds": [round(r["rows_per_s"], 1) for r in rows],
        }
    print(result, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000, help="rows per path, about")
    parser.add_argument("--round", type=int, default=500, help="rows per round and path")
    parser.add_argument("--history", type=int, default=5000)
    parser.add_argument("--pg", help="PostgreSQL URL of a scratch database (dropped and recreated)")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--repeat-check", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        kinds = (["sqlite"] if args.sqlite else []) + (["postgresql"] if args.pg else [])
        for kind in kinds:
            url = fresh_database(kind, workdir, args.pg)
            results.append(run(kind, url, args, workdir))
    emit({"benchmark": "inbox_drain", "machine": machine(), "results": results}, args.out)


if __name__ == "__main__":
    main()
