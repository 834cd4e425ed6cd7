"""Public submission through the citizen portal over real HTTP, at 32 concurrent clients.

For each database (SQLite, and PostgreSQL with --pg): a fresh database with the Hangzhou
configuration; ``uvicorn civicdesk.asgi:app`` in a subprocess on loopback; an async httpx load
generator with 32 clients (each its own connection and cookie jar: it fetches the form for its
CSRF token once, then posts complaints with distinct phones, texts and streets, as multipart
like a browser). Bounded by --requests per configuration and --seconds. Configurations:

- portal, repeat check on (1 worker, then 2 workers)
- portal, repeat check off (CIVICDESK_PORTAL_REPEAT_CHECK=false; 1 and 2 workers)
- bare FastAPI endpoint parsing the same form and inserting one row (benchmarks/bare_insert.py)

Rate limits are switched off (the load comes from one address); the triage hook is the
address locator only (issue 3 is not built).

    python -m benchmarks.bench_portal [--requests 3000] [--seconds 60] [--pg URL] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.common import (
    ROOT,
    emit,
    free_port,
    fresh_database,
    machine,
    percentiles,
    prepared_engine,
)
from civicdesk.org.models import Area

CONCURRENCY = 32
PROBLEMS = ["门口有人占道摆摊", "夜间施工噪声很大", "有车辆乱停在人行道", "有人乱倒建筑渣土",
            "饭店油烟直排", "店家出店经营占道", "楼下广场舞声音太大"]  # fmt: skip


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
    app: str, url: str, workdir: Path, *, workers: int, repeat_check: bool
) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        "CIVICDESK_DATABASE_URL": url,
        # Every worker must sign CSRF tokens with the same key (docs/portal.md).
        "CIVICDESK_SECRET_KEY": "bench-secret-key-shared-by-workers",
        "CIVICDESK_MEDIA_DIR": str(workdir / "media"),
        "CIVICDESK_PORTAL_LIMIT_PER_ADDRESS": "0",
        "CIVICDESK_PORTAL_LIMIT_PER_PHONE": "0",
        "CIVICDESK_PORTAL_REPEAT_CHECK": "true" if repeat_check else "false",
    }
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning", "--no-access-log"]  # fmt: skip
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


BOUNDARY = "----civicdeskbench7MA4YWxkTrZu0gW"


def multipart(fields: dict[str, str]) -> bytes:
    """The body a browser sends for the form (fields and an empty file input), encoded by
    hand: httpx's own multipart encoder costs the load generator more CPU than the server."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename=""\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n\r\n--{BOUNDARY}--\r\n"
    )
    return "".join(parts).encode()


class Load:
    def __init__(self, base: str, streets: list[str], total: int, seconds: float) -> None:
        self.base, self.streets, self.total, self.seconds = base, streets, total, seconds
        self.issued = 0
        self.samples: list[float] = []
        self.errors: dict[str, int] = {}
        self.rng = random.Random(7)

    def next_form(self) -> dict[str, str] | None:
        if self.issued >= self.total or time.perf_counter() > self.deadline:
            return None
        self.issued += 1
        i = self.issued
        street, problem = self.rng.choice(self.streets), self.rng.choice(PROBLEMS)
        return {
            "text": f"{street}某小区{self.rng.randint(1, 300)}号{problem}（第{i}次）",
            "phone": f"139{i:08d}",
            "address": f"{street}文{self.rng.randint(1, 9)}路{self.rng.randint(1, 500)}号",
        }

    async def client(self) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=30) as client:
            found = re.search(r'name="csrf" value="([^"]+)"', (await client.get("/portal")).text)
            csrf = found.group(1) if found else ""
            while (form := self.next_form()) is not None:
                start = time.perf_counter()
                try:
                    response = await client.post(
                        "/portal/submit",
                        content=multipart({**form, "csrf": csrf}),
                        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
                    )
                    status = str(response.status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                self.samples.append((time.perf_counter() - start) * 1000)
                if status != "303":
                    self.errors[status] = self.errors.get(status, 0) + 1

    async def run(self) -> dict[str, object]:
        self.deadline = time.perf_counter() + self.seconds
        start = time.perf_counter()
        await asyncio.gather(*(self.client() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - start
        return {
            "requests": len(self.samples),
            "seconds": round(elapsed, 2),
            "requests_per_s": round(len(self.samples) / elapsed, 1),
            **percentiles(self.samples),
            "errors": self.errors,
        }


def streets_of(url: str) -> list[str]:
    engine = prepared_engine(url)
    with Session(engine) as session:
        names = list(session.scalars(select(Area.name).where(Area.level == "street")))
    engine.dispose()
    return names


CONFIGS = [
    ("portal, repeat check on", "civicdesk.asgi:app", 1, True),
    ("portal, repeat check off", "civicdesk.asgi:app", 1, False),
    ("bare FastAPI, one insert", "benchmarks.bare_insert:app", 1, True),
    ("portal, repeat check on", "civicdesk.asgi:app", 2, True),
    ("portal, repeat check off", "civicdesk.asgi:app", 2, False),
    ("bare FastAPI, one insert", "benchmarks.bare_insert:app", 2, True),
]


def run(kind: str, args: argparse.Namespace, workdir: Path) -> list[dict[str, object]]:
    results = []
    for name, app, workers, repeat_check in CONFIGS:
        url = fresh_database(kind, workdir, args.pg)
        streets = streets_of(url)
        with server(app, url, workdir, workers=workers, repeat_check=repeat_check) as (base, pid):
            cpu0, own0 = cpu_seconds(pid), time.process_time()
            figures = asyncio.run(Load(base, streets, args.requests, args.seconds).run())
            cpu = cpu_seconds(pid) - cpu0
            own = time.process_time() - own0
        served = max(1, int(figures["requests"]))  # type: ignore[call-overload]
        row = {
            "database": kind,
            "endpoint": name,
            "workers": workers,
            **figures,
            # CPU the server spent per request (its processes only; PostgreSQL's own is apart):
            # what the request costs, whatever else the machine was doing.
            "server_cpu_ms_per_request": round(cpu / served * 1000, 2),
            "load_generator_cpu_ms_per_request": round(own / served * 1000, 2),
            "load_average_1min": round(os.getloadavg()[0], 1),
        }
        print(row, file=sys.stderr, flush=True)
        results.append(row)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pg", help="PostgreSQL URL of a scratch database (dropped and recreated)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = run("sqlite", args, Path(tmp))
        if args.pg:
            results += run("postgresql", args, Path(tmp))
    emit(
        {"benchmark": "portal_submission", "concurrency": CONCURRENCY, "machine": machine(),
         "results": results},
        args.out,
    )  # fmt: skip


if __name__ == "__main__":
    main()
