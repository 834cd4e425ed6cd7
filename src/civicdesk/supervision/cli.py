"""``civicdesk supervision …``: run a sweep, show the board's counts. Each sweep batch is its
own transaction (see ``tasks.run_sweep``)."""

from __future__ import annotations

import time
from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from civicdesk.errors import ConfigurationError
from civicdesk.supervision.models import NOTICE_LABELS, NoticeKind

app = typer.Typer(no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

COUNT_LABELS = {
    "due_soon": "临期 due soon",
    "overdue": "超期 overdue",
    "escalated": "已升级 escalated",
    "review_due": "挂账到期 review due",
    "graded": "分级督办 graded",
}


def parse_now(value: str | None) -> datetime:
    """``--now`` as ISO time (Shanghai when no offset is given), else the system clock."""
    from civicdesk.clock import SystemClock, from_local

    if not value:
        return SystemClock().now()
    try:
        return from_local(datetime.fromisoformat(value))
    except ValueError:
        raise typer.BadParameter(f"not an ISO time: {value!r} (e.g. 2026-03-10T10:00)") from None


@app.command("sweep")
def sweep_command(
    now: str | None = typer.Option(None, help="Sweep as of this time (ISO; default: now)."),
    batch: int = typer.Option(500, min=1, max=10_000, help="Cases per transaction."),
) -> None:
    """Mark 临期/超期, issue due notices (催办/督办/escalations) once each, raise suspensions due
    for review. Safe to run twice, and by two workers at once."""
    from civicdesk.config.policies import check_active
    from civicdesk.db import get_engine, session_factory
    from civicdesk.settings import get_settings
    from civicdesk.supervision.tasks import run_sweep

    sessions = session_factory(get_engine())
    try:
        with sessions() as session:
            check_active(session)
        started = time.perf_counter()
        stats = run_sweep(
            sessions,
            now=parse_now(now),
            assume_weekdays=get_settings().assume_weekdays_for_unknown_years,
            batch=batch,
        )
    except ConfigurationError as exc:
        errors.print(exc.message, markup=False, highlight=False)
        raise typer.Exit(1) from None
    seconds = time.perf_counter() - started
    issued = ", ".join(
        f"{NOTICE_LABELS[NoticeKind(kind)]} {n}" for kind, n in sorted(stats.notices.items())
    )
    console.print(
        f"督办巡查完成 / sweep done in {seconds:.2f} s: {stats.candidates} candidates, "
        f"{stats.examined} examined, {stats.skipped_locked} held by another worker; "
        f"notices issued: {stats.issued}" + (f" ({issued})" if issued else ""),
        highlight=False,
    )


@app.command("status")
def status_command(
    now: str | None = typer.Option(None, help="As of this time (ISO; default: now)."),
) -> None:
    """The supervision board's counts, and the worst units."""
    from civicdesk.config.service import work_calendar
    from civicdesk.db import unit_of_work
    from civicdesk.org.models import Unit
    from civicdesk.supervision import repository, service

    at = parse_now(now)
    with unit_of_work() as session:
        board = service.board(
            session, repository.BoardFilter(), now=at, calendar=work_calendar(session)
        )
        names = {u.id: u.name for u in session.query(Unit)}
    console.print("  ".join(f"{COUNT_LABELS[k]} [bold]{v}[/bold]" for k, v in board.counts.items()))
    table = Table(title="按单位 by unit (worst first)")
    for column in ("单位 unit", "在办 open", "临期", "超期", "已升级"):
        table.add_column(column, justify="left" if column.startswith("单位") else "right")
    for row in board.by_unit[:15]:
        table.add_row(
            names.get(row["unit_id"], "?"),
            *(str(row[k]) for k in ("open", "due_soon", "overdue", "escalated")),
        )
    console.print(table)
