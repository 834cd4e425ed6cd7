"""Public submission end to end: the door under full load while ``civicdesk worker`` takes
every submission through intake (triage and the repeat check) at the same time.

``bench_portal`` measures the door and the drain each on its own; this asks the question of
issue 7's figure: are ≥ 1,000 submissions a second *sustained* — answered at p99 ≤ 50 ms at 32
concurrent clients, and taken through intake as fast as they come, so that the backlog does not
grow? For each database: a fresh database with the Hangzhou configuration; ``uvicorn
civicdesk.asgi:app`` with ``--workers`` processes (the drain thread of the server off) and one
``civicdesk worker`` process beside it (its drain as shipped: set-wise batches, triage and the
repeat check on; ``--no-repeat-check`` for the row with the repeat check off); ``wrk`` with 32
connections posting the portal form (bench_portal's Lua: every complaint distinct, many repeats
of a place). After a warm-up, ``--seconds`` of load; then the worker is left to empty the
backlog.

Figures per row: submissions answered per second, p50/p99 (wrk); complaints recorded per
second over the same window (the drain), the backlog at the start and end of the window and its
growth per second; the seconds the worker then needed to empty it; CPU milliseconds per
submission of the server processes and of the worker (from /proc; PostgreSQL's own backends not
counted); ``sustained``: the drain kept up (backlog growth ≤ 2 % of the rate).

    python -m benchmarks.bench_portal_e2e [--seconds 20] [--workers 2] [--nice N] [--pg URL]
        [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.bench_portal import (
    CONNECTIONS,
    SECRET,
    backlog,
    cpu_seconds,
    prepare,
    script,
    server,
    wrk,
)
from benchmarks.common import ROOT, emit, machine
from civicdesk.db import make_engine
from civicdesk.intake.models import Complaint


def recorded(url: str) -> int:
    """Complaints recorded from the inbox (they carry an acknowledgement number)."""
    engine = make_engine(url)
    with Session(engine) as session:
        count = session.scalar(
            select(func.count()).select_from(Complaint).where(Complaint.upstream_ref.like("%W%"))
        )
    engine.dispose()
    return int(count or 0)


@contextmanager
def worker(
    url: str, workdir: Path, *, repeat_check: bool, nice: int, hold_ms: int = 0
) -> Iterator[int]:
    """``civicdesk worker`` on the database (its drain as shipped), stopped with SIGTERM."""
    env = {
        **os.environ,
        "CIVICDESK_DATABASE_URL": url,
        "CIVICDESK_SECRET_KEY": SECRET,
        "CIVICDESK_MEDIA_DIR": str(workdir / "media"),
        "CIVICDESK_PORTAL_REPEAT_CHECK": "true" if repeat_check else "false",
        "CIVICDESK_WORKER_INTERVAL_SECONDS": "60",
        **({"CIVICDESK_PORTAL_DRAIN_HOLD_MS": str(hold_ms)} if hold_ms else {}),
    }
    cmd = [sys.executable, "-m", "civicdesk.cli", "worker", "--nice", str(nice)]
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def row(
    name: str, url: str, workdir: Path, args: argparse.Namespace, *, streets: list[str],
    offset: int, repeat_check: bool,
) -> dict[str, object]:  # fmt: skip
    with server("civicdesk.asgi:app", url, workdir, workers=args.workers) as (base, pid):
        lua = script(workdir, base, kind="portal", streets=streets, offset=offset)
        wrk(base, lua, 3)  # warm-up of the door (imports, caches, connection pools)
        with worker(
            url, workdir, repeat_check=repeat_check, nice=args.nice, hold_ms=args.hold_ms
        ) as worker_pid:
            time.sleep(3)  # the worker's start-up (its first pass) over the warm-up's rows
            lua = script(workdir, base, kind="portal", streets=streets, offset=offset + 5_000_000)
            pending0, recorded0 = backlog(url), recorded(url)
            server_cpu0, worker_cpu0 = cpu_seconds(pid), cpu_seconds(worker_pid)
            figures = wrk(base, lua, args.seconds)
            pending1, recorded1 = backlog(url), recorded(url)
            server_cpu = cpu_seconds(pid) - server_cpu0
            worker_cpu = cpu_seconds(worker_pid) - worker_cpu0
            load = os.getloadavg()[0]
            start = time.monotonic()
            while backlog(url) > 0 and time.monotonic() - start < 600:
                time.sleep(0.5)
            catch_up = time.monotonic() - start
    seconds = float(figures["seconds"])  # type: ignore[arg-type]
    served = max(1, int(figures["requests"]))  # type: ignore[call-overload]
    rate = served / seconds
    drained = recorded1 - recorded0
    growth = (pending1 - pending0) / seconds
    return {
        "endpoint": name, "workers": args.workers, "worker_nice": args.nice,
        "drain_hold_ms": args.hold_ms, **figures,
        "requests_per_s": round(rate, 1),
        "drain_rows_per_s": round(drained / seconds, 1),
        "backlog_start": pending0, "backlog_end": pending1,
        "backlog_growth_per_s": round(growth, 1),
        "catch_up_seconds": round(catch_up, 1),
        "sustained": growth <= 0.02 * rate,
        "server_cpu_ms_per_request": round(server_cpu / served * 1000, 2),
        "worker_cpu_ms_per_row": round(worker_cpu / max(1, drained) * 1000, 2),
        "load_average_1min": round(load, 2),
    }  # fmt: skip


def run(kind: str, args: argparse.Namespace, workdir: Path) -> list[dict[str, object]]:
    url, streets, _key = prepare(kind, workdir, args.pg)
    results = []
    rows = [("portal + worker: triage and repeat check", True)]
    if args.repeat_off:
        rows.append(("portal + worker: triage, repeat check off", False))
    for n, (name, repeat_check) in enumerate(rows):
        result = {"database": kind, **row(name, url, workdir, args, streets=streets,
                                         offset=70_000_000 + 1_000_000 * n,
                                         repeat_check=repeat_check)}  # fmt: skip
        print(json.dumps(result, ensure_ascii=False), file=sys.stderr, flush=True)
        results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--nice", type=int, default=0, help="civicdesk worker --nice N")
    parser.add_argument("--hold-ms", type=int, default=0, help="the drain's hold (0: default)")
    parser.add_argument("--pg", help="PostgreSQL URL of a scratch database (dropped and recreated)")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--repeat-off", action=argparse.BooleanOptionalAction, default=True,
                        help="also the row with the worker's repeat check off")  # fmt: skip
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with open("/proc/loadavg") as handle:
        load_before = handle.read().strip()
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        results = run("sqlite", args, Path(tmp)) if args.sqlite else []
        if args.pg:
            results += run("postgresql", args, Path(tmp))
    emit(
        {"benchmark": "portal_end_to_end", "connections": CONNECTIONS, "load_generator": "wrk",
         "machine": machine(), "loadavg_before": load_before, "results": results},
        args.out,
    )  # fmt: skip


if __name__ == "__main__":
    main()
