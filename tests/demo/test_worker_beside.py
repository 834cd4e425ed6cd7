"""``civicdesk demo run`` starts the worker beside the server and stops it with SIGTERM when the
server stops — by itself, on Ctrl-C (SIGINT) or on SIGTERM. The worker here is a short Python
script standing in for ``civicdesk worker`` (which tests/supervision/test_worker.py runs for
real): it logs the database URL it was given and how it was stopped."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicdesk.demo import cli as demo_cli

URL = "sqlite:////tmp/demo-worker-test.db"
FAKE_WORKER = """
import os, signal, sys, time
def stop(signum, frame):
    print("stopped by signal", signum, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("worker on", os.environ["CIVICDESK_DATABASE_URL"], flush=True)
while True:
    time.sleep(0.05)
"""
COMMAND = (sys.executable, "-c", FAKE_WORKER)


def wait_for(path: Path, text: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = path.read_text() if path.exists() else ""
        if text in found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


def serving(log: Path, then: int | None = None):  # type: ignore[no-untyped-def]
    """A stand-in for uvicorn.run: checks the worker is up, then returns (the server stopped
    by itself) or sends this process ``then`` (Ctrl-C, SIGTERM)."""
    seen: dict[str, object] = {}

    def serve() -> None:
        seen["log"] = wait_for(log, "worker on")
        if then is not None:
            os.kill(os.getpid(), then)
            time.sleep(5)  # the signal arrives first
            seen["not interrupted"] = True

    return serve, seen


@pytest.mark.parametrize("then", [None, signal.SIGINT, signal.SIGTERM])
def test_the_worker_runs_beside_the_server_and_stops_with_it(tmp_path: Path, then) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "logs" / "worker.log"
    serve, seen = serving(log, then)
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    demo_cli.serve_with_worker(serve, URL, log, command=COMMAND)
    assert f"worker on {URL}" in str(seen["log"])  # the same database as the server
    assert "not interrupted" not in seen
    assert f"stopped by signal {int(signal.SIGTERM)}" in log.read_text()
    assert {sig: signal.getsignal(sig) for sig in before} == before  # handlers given back


def test_the_worker_is_stopped_when_the_server_fails(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    started = []

    def serve() -> None:
        wait_for(log, "worker on")
        started.append(True)
        raise RuntimeError("port in use")

    with pytest.raises(RuntimeError):
        demo_cli.serve_with_worker(serve, URL, log, command=COMMAND)
    assert started and "stopped by signal" in log.read_text()


def test_a_worker_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    stubborn = FAKE_WORKER.replace(
        "signal.signal(signal.SIGTERM, stop)", "signal.signal(signal.SIGTERM, signal.SIG_IGN)"
    )
    log = tmp_path / "worker.log"
    process = demo_cli.start_worker(URL, log, (sys.executable, "-c", stubborn))
    wait_for(log, "worker on")
    assert demo_cli.stop_worker(process, timeout=0.5) == -signal.SIGKILL


def test_demo_run_starts_the_worker_with_the_servers_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    database = f"sqlite:///{tmp_path / 'demo.db'}"
    log = tmp_path / "worker.log"
    calls: list[str] = []
    expect_worker = [True]

    def fake_uvicorn_run(app: object, **kwargs: object) -> None:
        calls.append(wait_for(log, "worker on") if expect_worker[0] else "")

    monkeypatch.setenv("CIVICDESK_DATABASE_URL", database)
    monkeypatch.setattr(demo_cli, "WORKER_COMMAND", COMMAND)
    monkeypatch.setattr(demo_cli, "_generate_if_empty", lambda *args: None)
    monkeypatch.setattr(uvicorn, "run", fake_uvicorn_run)
    monkeypatch.setattr("civicdesk.app.create_app", lambda: object())
    from civicdesk.settings import get_settings

    get_settings.cache_clear()  # type: ignore[attr-defined]
    try:
        result = CliRunner().invoke(demo_cli.app, ["run", "--worker-log", str(log)])
    finally:
        get_settings.cache_clear()  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output
    assert calls and f"worker on {database}" in calls[0]
    assert "stopped by signal" in log.read_text()
    assert "后台任务已启动" in result.output and str(log) in result.output.replace("\n", "")
    assert "bureau" in result.output

    log.unlink()
    expect_worker[0] = False
    result = CliRunner().invoke(demo_cli.app, ["run", "--no-worker", "--worker-log", str(log)])
    assert result.exit_code == 0 and not log.exists()
