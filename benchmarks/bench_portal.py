"""Public submission over real HTTP at 32 concurrent clients, and the inbox drain behind it.

For each database (SQLite, and PostgreSQL with --pg): one fresh database with the Hangzhou
configuration; ``uvicorn civicdesk.asgi:app`` (uvloop, httptools, no access log) in a
subprocess on loopback; load from ``wrk`` (C, epoll; 2 threads, 32 connections, a Lua script
that makes every body distinct: phone, text, street) so that the load generator takes as little
of the 2 cores as possible. Rows, each ``--seconds`` long after a 2 s warm-up:

- bare FastAPI endpoint parsing the same form and inserting one row (benchmarks/bare_insert.py)
- portal submission into the inbox: the door's checks on (CSRF, validation, point/category/area,
  the duplicate window with its query); and with the duplicate check off
- Open311 POST /requests.json into the inbox (form-encoded, API key looked up per request)
- the drain: intake of the backlog those rows left, triage and repeat check on (then the
  repeat check off), in this process as ``civicdesk worker`` runs it; rows per second
- both at once: submissions at full load while one drain runs: the submission rate, the drain
  rate, and how the backlog moved (does the drain keep up?)
- two drains at once over a backlog, checking that every row became exactly one complaint

Rate limits are off (all load comes from one address). Needs ``wrk`` (Debian: apt-get install
wrk).

    python -m benchmarks.bench_portal [--seconds 15] [--pg URL] [--workers 1,2] [--rows door]
        [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.common import ROOT, emit, free_port, fresh_database, machine, prepared_engine
from civicdesk.db import make_engine, session_factory
from civicdesk.intake.models import Complaint
from civicdesk.open311.keys import create_key
from civicdesk.org.models import Area
from civicdesk.portal import inbox
from civicdesk.portal.models import InboxItem

CONNECTIONS = 32
# Rows per drain call (the worker drains everything in one call; 100 keeps stopping prompt).
# Until 2026-11-28 this was 5, which made every call re-read the session's look-ups.
DRAIN_CALL = 100
BOUNDARY = "----civicdeskbench7MA4YWxkTrZu0gW"
SECRET = "bench-secret-key-shared-by-workers"

# wrk's Lua: a distinct complaint per request (phone, text and street from a counter per
# thread), posted as a browser posts the portal form (multipart, with the empty file input) or
# as an Open311 client posts (form-encoded). Latency percentiles and statuses go to stdout.
LUA = r"""
local kind, path, csrf, key, offset = "%(kind)s", "%(path)s", "%(csrf)s", "%(key)s", %(offset)d
local streets = {%(streets)s}
local problems = {"门口有人占道摆摊", "夜间施工噪声很大", "有车辆乱停在人行道",
                  "有人乱倒建筑渣土", "饭店油烟直排", "店家出店经营占道", "楼下广场舞声音太大"}
local B = "%(boundary)s"
local threads = {}
counter, bad = 0, 0  -- globals of each thread's Lua state; tid is set by setup()
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
local function part(name, value)
  return "--" .. B .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n"
         .. value .. "\r\n"
end
request = function()
  counter = counter + 1
  local i = offset + tid * 10000000 + counter
  local street = streets[(i %% #streets) + 1]
  local text = street .. "某小区" .. (i %% 300) .. "号" .. problems[(i %% #problems) + 1]
               .. "（第" .. i .. "次）"
  local phone = string.format("139%%08d", i %% 100000000)
  if kind == "open311" then
    local body = "api_key=" .. key .. "&service_code=street_vendor&lat=30.2741&long=120.1551"
                 .. "&description=" .. text .. "&phone=" .. phone
    return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
  end
  local body = part("text", text) .. part("phone", phone)
               .. part("address", street .. "文" .. (i %% 9 + 1) .. "路" .. (i %% 500) .. "号")
               .. part("csrf", csrf)
               .. "--" .. B .. "\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"\""
               .. "\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--" .. B .. "--\r\n"
  return wrk.format("POST", path, {["Content-Type"] = "multipart/form-data; boundary=" .. B,
                                   ["Cookie"] = "civicdesk_portal=" .. "%(cookie)s"}, body)
end
response = function(status, headers, body)
  if status ~= %(expect)d and status ~= 200 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  local unexpected = 0
  for _, t in ipairs(threads) do unexpected = unexpected + t:get("bad") end
  io.write(string.format(
    "RESULT {\"requests\": %%d, \"seconds\": %%.3f, \"p50_ms\": %%.2f, \"p90_ms\": %%.2f, "
    .. "\"p99_ms\": %%.2f, \"max_ms\": %%.2f, \"unexpected_status\": %%d, "
    .. "\"socket_errors\": %%d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    unexpected, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout))
end
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (uvicorn's workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        if current in stats:
            total += (int(stats[current][11]) + int(stats[current][12])) / ticks
        todo.extend(children.get(current, []))
    return total


@contextmanager
def server(
    app: str, url: str, workdir: Path, *, workers: int, duplicates: bool = True
) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        "CIVICDESK_DATABASE_URL": url,
        "CIVICDESK_SECRET_KEY": SECRET,  # every worker signs CSRF tokens alike (docs/portal.md)
        "CIVICDESK_MEDIA_DIR": str(workdir / "media"),
        "CIVICDESK_PORTAL_LIMIT_PER_ADDRESS": "0",
        "CIVICDESK_PORTAL_LIMIT_PER_PHONE": "0",
        "CIVICDESK_PORTAL_DUPLICATE_SECONDS": "60" if duplicates else "0",
        "CIVICDESK_PORTAL_DRAIN_SECONDS": "0",  # the drain is measured on its own
    }
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--loop", "uvloop", "--http", "httptools",
           "--log-level", "warning", "--no-access-log"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/portal", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wrk(base: str, script: Path, seconds: float) -> dict[str, object]:
    done = subprocess.run(
        ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds:g}s", "--timeout", "30s",
         "-s", str(script), base],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["requests_per_s"] = round(result["requests"] / result["seconds"], 1)
    return result


def script(
    workdir: Path, base: str, *, kind: str, streets: list[str], offset: int, key: str = ""
) -> Path:
    cookie, csrf = "", ""
    if kind == "portal":
        with httpx.Client(base_url=base) as client:
            page = client.get("/portal")
            cookie = client.cookies.get("civicdesk_portal") or ""
            found = re.search(r'name="csrf" value="([^"]+)"', page.text)
            csrf = found.group(1) if found else ""
    path = "/open311/v2/requests.json" if kind == "open311" else "/portal/submit"
    text = LUA % {
        "kind": kind, "path": path, "csrf": csrf, "key": key, "offset": offset,
        "cookie": cookie, "boundary": BOUNDARY, "expect": 201 if kind == "open311" else 303,
        "streets": ", ".join(f'"{s}"' for s in streets),
    }  # fmt: skip
    target = workdir / f"load-{kind}-{offset}.lua"
    target.write_text(text, encoding="utf-8")
    return target


def load_row(
    name: str, app: str, url: str, workdir: Path, args: argparse.Namespace, *, kind: str,
    workers: int, streets: list[str], offset: int, key: str = "", duplicates: bool = True,
    drain_alongside: bool = False,
) -> dict[str, object]:  # fmt: skip
    with server(app, url, workdir, workers=workers, duplicates=duplicates) as (base, pid):
        lua = script(workdir, base, kind=kind, streets=streets, offset=offset, key=key)
        wrk(base, lua, 2)  # warm-up (imports, caches, connection pools)
        lua = script(workdir, base, kind=kind, streets=streets, offset=offset + 5_000_000, key=key)
        before = backlog(url)
        drainer = Drainer(url) if drain_alongside else None
        cpu0 = cpu_seconds(pid)
        if drainer:
            drainer.start()
        figures = wrk(base, lua, args.seconds)
        drained = drainer.stop() if drainer else None
        cpu = cpu_seconds(pid) - cpu0
    served = max(1, int(figures["requests"]))  # type: ignore[call-overload]
    row: dict[str, object] = {
        "endpoint": name, "workers": workers, **figures,
        "server_cpu_ms_per_request": round(cpu / served * 1000, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }  # fmt: skip
    if drained is not None:
        after = backlog(url)
        row["drain_rows_per_s"] = round(drained.done / drained.seconds, 1)
        row["backlog_before"], row["backlog_after"] = before, after
        row["backlog_growth_per_s"] = round((after - before) / float(figures["seconds"]), 1)  # type: ignore[arg-type]
    return row


def backlog(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        pending = inbox.backlog(session)
    engine.dispose()
    return pending


class Drainer:
    """One drain loop (as ``civicdesk worker`` runs it) in a thread of this process."""

    def __init__(self, url: str, *, repeat_check: bool = True) -> None:
        self.engine = make_engine(url)
        self.config = inbox.DrainConfig(repeat_check=repeat_check)
        self.halt = threading.Event()
        self.total = inbox.DrainStats()
        self.thread = threading.Thread(target=self._run)

    def start(self) -> None:
        self.started = time.perf_counter()
        self.thread.start()

    def _run(self) -> None:
        sessions = session_factory(self.engine)
        while not self.halt.is_set():
            stats = inbox.drain(sessions, now=lambda: datetime.now(UTC), config=self.config,
                                limit=DRAIN_CALL)  # fmt: skip
            self.total.done += stats.done
            self.total.failed += stats.failed
            if not stats.taken:
                self.halt.wait(0.05)

    def stop(self) -> inbox.DrainStats:
        self.halt.set()
        self.thread.join()
        self.total.seconds = time.perf_counter() - self.started
        self.engine.dispose()
        return self.total


def drain_row(name: str, url: str, seconds: float, *, repeat_check: bool) -> dict[str, object]:
    """The drain alone over the backlog for ``seconds``: rows through intake per second."""
    before = backlog(url)
    cpu0 = time.process_time()
    drainer = Drainer(url, repeat_check=repeat_check)
    drainer.start()
    time.sleep(seconds)
    stats = drainer.stop()
    cpu = time.process_time() - cpu0
    return {
        "endpoint": name, "backlog_before": before, "rows": stats.done, "failed": stats.failed,
        "seconds": round(stats.seconds, 2),
        "rows_per_s": round(stats.done / stats.seconds, 1),
        "cpu_ms_per_row": round(cpu / max(1, stats.done) * 1000, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }  # fmt: skip


def two_drains_row(url: str, seconds: float) -> dict[str, object]:
    """Two drain processes at once (two ``civicdesk worker``s); then exactly-once is checked:
    every inbox row done has one complaint carrying its number, and no number twice."""
    before = backlog(url)
    child = [sys.executable, "-m", "benchmarks.bench_portal", "--drain-child", url, str(seconds)]
    procs = [subprocess.Popen(child, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in "ab"]
    outputs = [p.communicate()[0].split() for p in procs]
    done = [int(out[0]) for out in outputs]
    elapsed = max(float(out[1]) for out in outputs)  # draining time, without the start-up
    engine = make_engine(url)
    with Session(engine) as session:
        refs = session.scalar(
            select(func.count(Complaint.upstream_ref)).where(Complaint.upstream_ref.like("%W%"))
        )
        distinct = session.scalar(
            select(func.count(func.distinct(Complaint.upstream_ref))).where(
                Complaint.upstream_ref.like("%W%")
            )
        )
        finished = session.scalar(
            select(func.count()).select_from(InboxItem).where(InboxItem.state == "done")
        )
    engine.dispose()
    return {
        "endpoint": "two drains at once (processes)", "backlog_before": before,
        "rows": sum(done), "per_process": done, "seconds": round(elapsed, 2),
        "rows_per_s": round(sum(done) / elapsed, 1),
        "exactly_once": refs == distinct == finished,
        "complaints_from_inbox": refs, "inbox_done": finished,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }  # fmt: skip


def drain_child(url: str, seconds: float) -> None:
    """One of the two drain processes of two_drains_row: drains for ``seconds``, prints rows."""
    sessions = session_factory(make_engine(url))
    start = time.monotonic()
    end, done = start + seconds, 0
    while time.monotonic() < end:
        stats = inbox.drain(sessions, now=lambda: datetime.now(UTC), limit=DRAIN_CALL)
        done += stats.done
        if not stats.taken:
            time.sleep(0.05)
    print(done, time.monotonic() - start)


def prepare(kind: str, workdir: Path, pg: str | None) -> tuple[str, list[str], str]:
    url = fresh_database(kind, workdir, pg)
    engine = prepared_engine(url)
    with Session(engine) as session:
        streets = list(session.scalars(select(Area.name).where(Area.level == "street")))
        key = create_key(session, "bench", now=datetime.now(UTC))
        session.commit()
    engine.dispose()
    return url, streets, key


def run(kind: str, args: argparse.Namespace, workdir: Path) -> list[dict[str, object]]:
    url, streets, key = prepare(kind, workdir, args.pg)
    results: list[dict[str, object]] = []

    def keep(row: dict[str, object]) -> None:
        row = {"database": kind, **row}
        print(json.dumps(row, ensure_ascii=False), file=sys.stderr, flush=True)
        results.append(row)

    portal, bare = "civicdesk.asgi:app", "benchmarks.bare_insert:app"
    rows = [
        ("bare FastAPI, one insert", bare, "portal", {}),
        ("portal → inbox, duplicate check off", portal, "portal", {"duplicates": False}),
        ("portal → inbox, all door checks", portal, "portal", {}),
        ("Open311 POST → inbox", portal, "open311", {"key": key}),
    ]
    for n, workers in enumerate(args.workers):
        for m, (name, app, load, extra) in enumerate(rows):
            offset = 10_000_000 * (n + 1) + 1_000_000 * m
            keep(load_row(name, app, url, workdir, args, kind=load, workers=workers,
                          streets=streets, offset=offset, **extra))  # type: ignore[arg-type]  # fmt: skip
    if args.rows == "door":
        return results
    keep(drain_row("drain: triage + repeat check", url, args.seconds, repeat_check=True))
    keep(drain_row("drain: triage, repeat check off", url, args.seconds, repeat_check=False))
    keep(two_drains_row(url, args.seconds))
    keep(load_row("portal → inbox with one drain running", portal, url, workdir, args,
                  kind="portal", workers=args.workers[0], streets=streets, offset=90_000_000,
                  drain_alongside=True))  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--pg", help="PostgreSQL URL of a scratch database (dropped and recreated)")
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts to try")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--rows", choices=("all", "door"), default="all",
        help="door: only the submission rows (no drain rows)",
    )  # fmt: skip
    parser.add_argument(
        "--drain-child", nargs=2, metavar=("URL", "SECONDS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.drain_child:
        drain_child(args.drain_child[0], float(args.drain_child[1]))
        return
    args.workers = [int(w) for w in args.workers.split(",")]
    with open("/proc/loadavg") as handle:
        load_before = handle.read().strip()
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as tmp:
        results = run("sqlite", args, Path(tmp)) if args.sqlite else []
        if args.pg:
            results += run("postgresql", args, Path(tmp))
    emit(
        {"benchmark": "portal_submission", "connections": CONNECTIONS, "load_generator": "wrk",
         "machine": machine(), "loadavg_before": load_before, "results": results},
        args.out,
    )  # fmt: skip


if __name__ == "__main__":
    main()
