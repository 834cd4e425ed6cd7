"""Commands: ``civicdesk report workbook|pdf`` (registered in reports.cli) and
``civicdesk hotspots scan|alerts`` (registered in civicdesk.cli)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from civicdesk.errors import DomainError
from civicdesk.reports.periods import default_period, parse_date, parse_period

USAGE_ERROR = 2
PERIOD_HELP = (
    "Period: 2026-01..2026-07 (months), 2026-Q2 (a quarter), 2026-03 (a month), 2026 (a year), "
    "2026-01-01..2026-07-31 (dates). Default: January to the last whole month."
)


def _write(kind: str, period: str | None, area: str | None, out: Path) -> None:
    from civicdesk.assessment.pdf import write_pdf
    from civicdesk.assessment.report_builder import build_report
    from civicdesk.assessment.workbook import write_workbook
    from civicdesk.clock import SystemClock, to_local
    from civicdesk.db import unit_of_work

    err = Console(stderr=True)
    now = SystemClock().now()
    try:
        chosen = parse_period(period) if period else default_period(to_local(now).date())
        with unit_of_work() as session:
            report = build_report(
                session, start=chosen.start, end=chosen.end, area_code=area, now=now
            )
    except DomainError as exc:
        err.print(f"[red]错误：[/red]{exc.message}", highlight=False)
        raise typer.Exit(USAGE_ERROR) from exc
    (write_workbook if kind == "workbook" else write_pdf)(report, out)
    Console().print(
        f"已写入{'Excel 报表' if kind == 'workbook' else 'PDF 报告'}：{out}", highlight=False
    )
    for paragraph in report.narrative[:1]:
        Console().print(paragraph, highlight=False)


PERIOD = typer.Option(None, "--period", help=PERIOD_HELP)
AREA = typer.Option(None, "--area", help="Area name, short name or code; default: the root area.")
OUT = typer.Option(..., "--out", help="File to write.", dir_okay=False)


def workbook_command(period: str | None = PERIOD, area: str | None = AREA, out: Path = OUT) -> None:
    """Excel 报表: summary and narrative, areas, streets, categories, repeats, rates, ranking."""
    _write("workbook", period, area, out)


def pdf_command(period: str | None = PERIOD, area: str | None = AREA, out: Path = OUT) -> None:
    """PDF 报告: the narrative, charts and tables, printable A4."""
    _write("pdf", period, area, out)


hotspots_app = typer.Typer(no_args_is_help=True)


@hotspots_app.callback()
def hotspots() -> None:
    """Hot spots: emerging spikes of a category or a place, alerts to the centre."""


@hotspots_app.command("scan")
def scan_command(
    at: str | None = typer.Option(
        None, "--at", help="Scan as of this local date (YYYY-MM-DD, end of day); default now."
    ),
) -> None:
    """Look for spikes in the last complete week and this week so far; alert the centre once."""
    from datetime import datetime, time, timedelta

    from civicdesk.assessment.hotspot_alerts import run_scan
    from civicdesk.clock import SHANGHAI, SystemClock
    from civicdesk.db import get_engine, session_factory

    now = SystemClock().now()
    if at:
        day = parse_date(at, field="at")
        now = datetime.combine(day + timedelta(days=1), time.min, tzinfo=SHANGHAI) - timedelta(
            seconds=1
        )
    try:
        stats = run_scan(session_factory(get_engine()), now=now)
    except DomainError as exc:
        Console(stderr=True).print(f"[red]错误：[/red]{exc.message}", highlight=False)
        raise typer.Exit(USAGE_ERROR) from exc
    assert stats is not None
    Console().print(
        f"发现激增 {stats.spikes} 处：新预警 {stats.raised} 条，延续 {stats.continued} 条，"
        f"通知 {stats.messages} 条",
        highlight=False,
    )


@hotspots_app.command("alerts")
def alerts_command(
    status: str | None = typer.Option(None, help="open or acknowledged; default all."),
) -> None:
    """List hot-spot alerts, newest first."""
    from rich.table import Table

    from civicdesk.assessment.hotspot_alerts import list_alerts
    from civicdesk.assessment.hotspot_models import (
        KIND_LABELS,
        STATUS_LABELS,
        AlertKind,
        AlertStatus,
    )
    from civicdesk.db import unit_of_work

    table = Table("编号", "类型", "对象", "首次周", "最近周", "投诉/周", "常态", "p", "状态")
    with unit_of_work() as session:
        for a in list_alerts(session, status=status):
            table.add_row(
                str(a.id),
                KIND_LABELS[AlertKind(a.kind)],
                a.subject_name,
                a.week_start.isoformat(),
                a.last_week_start.isoformat(),
                str(a.observed),
                f"{a.expected:.1f}",
                f"{a.p_value:.2g}",
                STATUS_LABELS[AlertStatus(a.status)],
            )
    Console().print(table)
