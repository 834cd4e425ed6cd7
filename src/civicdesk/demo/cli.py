"""``civicdesk demo``: generate the demo history and serve it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.clock import SystemClock, to_local
from civicdesk.demo.generator import DEMO_PASSWORD, HistoryStats, PeriodFigures, generate_history
from civicdesk.demo.logins import BUREAU_LOGIN, NAMED

app = typer.Typer(no_args_is_help=True)
console = Console()

SEED = typer.Option(2011, help="Random seed: the same seed, year and date give the same data.")
YEAR = typer.Option(
    None,
    help="The year compared with the year before (default: the current "
    "year from 1 August on, else the previous one).",
)
TODAY = typer.Option(
    None,
    help="The history ends the day before this date, YYYY-MM-DD "
    "(default: today; for a past --year, 1 January after it, so that the "
    "whole of 31 December is included).",
)
# The unit code of 西溪中队 in the Hangzhou configuration (any squadron's code works the same).
UNIT_LOGIN_EXAMPLE = "sq-330106004"
SCALE = typer.Option(1.0, min=0.001, max=1.0, help="Fraction of the full volumes (for trials).")
# The worker beside the demo server: its command, where it logs, how long it may take to stop.
WORKER_COMMAND = (sys.executable, "-m", "civicdesk.cli", "worker")
WORKER_LOG = Path("civicdesk-worker.log")
WORKER_STOP_SECONDS = 30.0


def default_year(today: date) -> int:
    """The current year once January–July is complete, else the previous year."""
    return today.year if today >= date(today.year, 8, 1) else today.year - 1


def resolve_dates(year: int | None, today: str | None) -> tuple[int, date]:
    local_today = to_local(SystemClock().now()).date()
    chosen_year = year or default_year(local_today)
    if today:
        try:
            end = date.fromisoformat(today)
        except ValueError:
            raise typer.BadParameter(f"{today!r} is not a date (YYYY-MM-DD)") from None
    else:
        end = min(local_today, date(chosen_year + 1, 1, 1))
    if end <= date(chosen_year, 1, 1):
        raise typer.BadParameter(f"--today ({end}) must be after 1 January {chosen_year}")
    return chosen_year, end


@app.command("generate")
def generate(
    seed: int = SEED,
    year: int | None = YEAR,
    today: str | None = TODAY,
    scale: float = SCALE,
) -> None:
    """Create the demo history: two years of complaints and cases, and the demo logins."""
    chosen_year, end = resolve_dates(year, today)
    stats = _generate_if_empty(seed, chosen_year, end, scale)
    if stats is None:
        console.print(
            "[yellow]演示数据已存在，未做任何更改 / demo data already present, "
            "nothing done[/yellow]"
        )
        raise typer.Exit(1)


@app.command("run")
def run(
    port: int | None = typer.Option(None, help="Port (CIVICDESK_PORT, default 8000)."),
    seed: int = SEED,
    year: int | None = YEAR,
    today: str | None = TODAY,
    scale: float = SCALE,
    worker: bool = typer.Option(
        True, help="Run the background worker (sweep and outbox) beside the server."
    ),
    worker_log: Path = typer.Option(WORKER_LOG, help="Where the worker writes its log."),
) -> None:
    """Generate the demo history if the database has none, then serve the web application
    with the background worker (``civicdesk worker``) beside it, on the same database."""
    import uvicorn

    from civicdesk.app import create_app
    from civicdesk.settings import get_settings

    chosen_year, end = resolve_dates(year, today)
    if _generate_if_empty(seed, chosen_year, end, scale) is None:
        console.print("演示数据已存在，直接启动 / demo data already present, starting the server")
    settings = get_settings()
    chosen_port = port or settings.port
    console.print(f"\n[bold]打开 / open[/bold]  http://127.0.0.1:{chosen_port}/")
    _print_logins([*(name for name, _, _ in NAMED), "xixi", BUREAU_LOGIN])
    _print_open311_key()

    def serve() -> None:
        uvicorn.run(create_app(), host=settings.host, port=chosen_port)

    serve_with_worker(serve, settings.database_url, worker_log, worker=worker)


def _print_open311_key() -> None:
    """A fresh Open311 API key named "demo" (the previous demo key is replaced: only its hash
    is stored, so it cannot be shown again), for trying POST /open311/v2/requests.json."""
    from sqlalchemy.exc import DBAPIError

    from civicdesk.db import get_engine, unit_of_work
    from civicdesk.open311.keys import create_demo_key

    try:
        with unit_of_work(get_engine()) as session:
            key = create_demo_key(session, now=SystemClock().now())
    except DBAPIError as exc:  # e.g. a database not migrated: the server will say so
        console.print(f"[yellow]未能创建 Open311 演示密钥 / no Open311 key: {exc.orig}[/yellow]")
        return
    console.print(f"Open311 API 密钥 / key: [bold]{key}[/bold]  (/open311/v2/discovery.json)")


class ServerStopped(Exception):
    """SIGINT (Ctrl-C) or SIGTERM reached the demo process."""


def _stopped(signum: int, _frame: object) -> None:
    raise ServerStopped(signum)


def serve_with_worker(
    serve: Callable[[], None],
    database_url: str,
    log_path: Path,
    *,
    worker: bool = True,
    command: tuple[str, ...] | None = None,
) -> None:
    """Run ``serve`` (the web server) with the worker beside it; when the server stops — by
    itself, on Ctrl-C or on SIGTERM — the worker is sent SIGTERM and waited for. uvicorn shuts
    down gracefully on either signal and then raises it again against the handlers it found,
    so these handlers turn it into ``ServerStopped`` and the worker is stopped (a default
    SIGTERM handler would end the process and leave the worker running)."""
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, _stopped) for sig in handled}
    try:
        with worker_beside(database_url, log_path, command) if worker else _nothing():
            try:
                serve()
            except ServerStopped:
                console.print("服务已停止 / server stopped")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def start_worker(
    database_url: str, log_path: Path, command: tuple[str, ...] | None = None
) -> subprocess.Popen[bytes]:
    """The worker as a child process on ``database_url``, its output appended to ``log_path``.
    In a session of its own, so that Ctrl-C in the terminal reaches the server only: the
    server stops first, then the worker is sent SIGTERM (``stop_worker``)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command or WORKER_COMMAND,
            env={**os.environ, "CIVICDESK_DATABASE_URL": database_url},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_worker(process: subprocess.Popen[bytes], timeout: float = WORKER_STOP_SECONDS) -> int:
    """SIGTERM (the worker finishes its pass and exits 0); killed if it has not stopped within
    ``timeout`` seconds. Its exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@contextmanager
def worker_beside(
    database_url: str, log_path: Path, command: tuple[str, ...] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """The worker runs while the block runs, and is stopped however the block ends."""
    process = start_worker(database_url, log_path, command)
    console.print(
        f"后台任务已启动（进程 {process.pid}），日志写入 {log_path.resolve()} / "
        f"worker started (pid {process.pid}), logging to {log_path.resolve()}"
    )
    try:
        yield process
    finally:
        status = stop_worker(process)
        console.print(f"后台任务已停止 / worker stopped (exit status {status})")


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def _generate_if_empty(seed: int, year: int, today: date, scale: float) -> HistoryStats | None:
    from civicdesk.db import get_engine, unit_of_work
    from civicdesk.intake.models import Complaint
    from civicdesk.migrate import upgrade

    engine = get_engine()
    upgrade(engine)
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        if session.scalar(select(func.count()).select_from(Complaint)):
            return None
        _ensure_configuration(session)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("生成演示数据", total=None)

            def progress(advance: int, total: int, description: str) -> None:
                bar.update(task, advance=advance, total=total, description=description)

            stats = generate_history(
                session, seed=seed, year=year, today=today, scale=scale, progress=progress
            )
    _print_summary(stats, time.perf_counter() - started)
    return stats


def _ensure_configuration(session: Session) -> None:
    from civicdesk.config.loader import load_config
    from civicdesk.taxonomy.models import Category

    if not session.scalar(select(func.count()).select_from(Category)):
        console.print("载入杭州配置 / loading the Hangzhou configuration")
        load_config(session, "hangzhou")
        session.flush()


def change_sentence(this: int, last: int) -> str:
    """The source's wording: "比去年同期减少16295件，下降49.42%"."""
    if last == 0:
        return "—"
    diff = this - last
    word, trend = ("增加", "上升") if diff > 0 else ("减少", "下降")
    return f"{word}{abs(diff)}件，{trend}{abs(diff) / last:.2%}"


def _print_summary(stats: HistoryStats, seconds: float) -> None:
    table = Table(
        title="演示数据 / demo data",
        caption=f"{stats.first_day} – {stats.last_day}，种子 {stats.seed}，"
        f"比例 {stats.scale:g}，用时 {seconds:.1f} 秒",
    )
    table.add_column("项目")
    table.add_column("数量", justify="right")
    kinds = stats.repeats_by_kind
    for label, value in (
        ("投诉", stats.complaints),
        ("案件", stats.cases),
        ("办理记录", stats.events),
        ("植入的重复投诉", stats.planted_repeats),
        ("  同一投诉人再次投诉", kinds.get("same_complainant", 0)),
        ("  他人投诉同一问题", kinds.get("other_complainant", 0)),
        ("  结案后问题复发", kinds.get("recurrence", 0)),
        ("不予立案", stats.not_filed),
        ("在办案件", stats.open_cases),
        ("其中超期", stats.overdue_cases),
        ("街面保序检查", stats.inspections),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    last = stats.jan_jul.get(stats.year - 1, PeriodFigures(0, 0, 0))
    this = stats.jan_jul.get(stats.year, PeriodFigures(0, 0, 0))
    figures = Table(title="1–7月（主城区）")
    for column in ("指标", f"{stats.year - 1}年", f"{stats.year}年", "同比"):
        figures.add_column(column, justify="left" if column == "指标" else "right")
    for label, a, b in (
        ("投诉总量", last.complaints, this.complaints),
        ("9类热点问题", last.hotspot, this.hotspot),
        ("重复投诉量", last.repeats, this.repeats),
    ):
        figures.add_row(label, f"{a:,}", f"{b:,}", change_sentence(b, a))
    console.print(figures)
    _print_logins(stats.logins)


def _print_logins(logins: list[str]) -> None:
    console.print(
        f"演示账号 / demo logins: {', '.join(logins)}（密码 / password: {DEMO_PASSWORD}）"
    )
    console.print(
        f"每个中队和街道办事处另有以单位编码命名的值班账号，如 {UNIT_LOGIN_EXAMPLE}"
        f"（密码 {DEMO_PASSWORD}）/ every squadron (and street office) also has a login named "
        f"after its unit code, e.g. {UNIT_LOGIN_EXAMPLE}, password {DEMO_PASSWORD}"
    )
