"""Shared helpers for the benchmarks: fresh databases, a live server, percentiles, machine facts."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from civicdesk.config.loader import load_config
from civicdesk.db import make_engine
from civicdesk.migrate import upgrade
from civicdesk.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": platform.platform(),
        "date": time.strftime("%Y-%m-%d"),
    }


def fresh_database(kind: str, workdir: Path, pg_url: str | None) -> str:
    """A new empty database: a SQLite file, or a PostgreSQL database dropped and recreated."""
    if kind == "sqlite":
        path = workdir / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    assert pg_url, "PostgreSQL benchmark needs --pg URL"
    url = make_url(Settings(database_url=pg_url).database_url)
    admin = url.set(database="postgres", drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{url.database}" with (force)')
        conn.execute(f'create database "{url.database}"')
    return url.render_as_string(False)


def prepared_engine(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.commit()
    return engine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(url: str, *, workers: int = 1) -> Iterator[str]:
    """``civicdesk serve`` in a subprocess: real HTTP over loopback."""
    port = free_port()
    env = {**os.environ, "CIVICDESK_DATABASE_URL": url, "CIVICDESK_PORT": str(port)}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "civicdesk.asgi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(q[49], 2),
        "p90_ms": round(q[89], 2),
        "p99_ms": round(q[98], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
        "n": len(ordered),
    }


def emit(result: dict[str, object], out: Path | None) -> None:
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
