"""``civicdesk config …`` and ``civicdesk calendar …`` (registered in ``civicdesk.cli``).

Each command is one transaction (``unit_of_work``): it commits at the end or rolls back.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import typer
from rich.console import Console
from rich.table import Table

from civicdesk.config.loader import KINDS, LoadSummary, read_config
from civicdesk.errors import ConfigurationError

app = typer.Typer(no_args_is_help=True)

calendar_app = typer.Typer(no_args_is_help=True)

console = Console()
errors = Console(stderr=True)

KIND_LABELS = {
    "settings": "设置 settings",
    "areas": "地区 areas",
    "units": "单位 units",
    "categories": "类别 categories",
    "channels": "渠道 channels",
    "calendar": "日历 calendar",
    "policies": "规则 rules",
    "schemes": "考核方案 schemes",
}
WEEKDAYS = "一二三四五六日"


def _fail(message: str) -> typer.Exit:
    errors.print(message, markup=False, highlight=False)
    return typer.Exit(1)


@app.command("load")
def load_command(
    source: str = typer.Argument("hangzhou", help="A built-in name (hangzhou) or a directory."),
) -> None:
    """Load a configuration (areas, units, categories, channels, settings) into the database.
    Re-loading is safe: rows are updated by code, none is deleted."""
    from civicdesk.config.loader import load_config
    from civicdesk.db import unit_of_work

    try:
        with unit_of_work() as session:
            summary = load_config(session, source)
    except ConfigurationError as exc:
        raise _fail(exc.message) from None
    _print_summary(summary)


@app.command("check")
def check_command(
    source: str = typer.Argument(..., help="A configuration directory or a built-in name."),
) -> None:
    """Validate a configuration directory without writing anything."""
    try:
        config = read_config(source)
    except ConfigurationError as exc:
        raise _fail(exc.message) from None
    for warning in config.warnings:
        console.print(f"[yellow]注意[/yellow] {warning}", highlight=False)
    counts = ", ".join(f"{KIND_LABELS[kind]} {n}" for kind, n in config.counts().items())
    console.print(
        f"[green]配置有效 / valid[/green]: {config.directory} ({counts})", highlight=False
    )


def _print_summary(summary: LoadSummary) -> None:
    table = Table(title=f"配置已加载 / configuration loaded: {summary.source}")
    for column in ("kind", "新增 created", "更新 updated", "未变 unchanged", "保留 kept"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind in KINDS:
        s = summary[kind]
        table.add_row(
            KIND_LABELS[kind], str(s.created), str(s.updated), str(s.unchanged), str(len(s.kept))
        )
    console.print(table)
    for kind in KINDS:
        kept = summary[kind].kept
        if kept:
            shown = ", ".join(kept[:10]) + (f" … (+{len(kept) - 10})" if len(kept) > 10 else "")
            console.print(
                f"{KIND_LABELS[kind]}: kept, not in configuration: {shown}", highlight=False
            )
    for warning in summary.warnings:
        console.print(f"[yellow]注意[/yellow] {warning}", highlight=False)


# ---- calendar -----------------------------------------------------------------------------


@calendar_app.command("load")
def calendar_load_command(
    file: Path = typer.Argument(..., help="CSV (date,workday,note) or YAML (holidays/workdays)."),
) -> None:
    """Load a year's holidays and adjusted working days (调休) the calendar package lacks."""
    from civicdesk.config.service import load_calendar_overrides
    from civicdesk.db import unit_of_work

    try:
        with unit_of_work() as session:
            count = load_calendar_overrides(session, file)
    except ConfigurationError as exc:
        raise _fail(exc.message) from None
    console.print(
        f"[green]已加载 {count} 天[/green] / loaded {count} days from {file.name}", highlight=False
    )


@calendar_app.command("show")
def calendar_show_command(
    year: int = typer.Argument(..., min=1900, max=2200),
    all_days: bool = typer.Option(False, "--all", help="List every day, not only exceptions."),
    assume_weekdays: bool = typer.Option(
        False, "--assume-weekdays", help="For a year without an official notice, Mon–Fri."
    ),
) -> None:
    """Working days and holidays of a year, and where each comes from."""
    from civicdesk.config.service import calendar_overrides, notified_years, work_calendar
    from civicdesk.db import unit_of_work

    with unit_of_work() as session:
        calendar = work_calendar(session, assume_weekdays_for_unknown=assume_weekdays)
        notes = {row.day: row.note or "override" for row in calendar_overrides(session)}
    notified = year in notified_years(set(notes))
    days = _year_days(year)
    try:
        rows = [(d, calendar.is_workday(d), _source(d, notes, notified)) for d in days]
    except ValueError as exc:  # CalendarUnknownYear
        raise _fail(str(exc)) from None
    table = Table(title=f"{year}年 工作日历 / working calendar")
    for column in ("日期 date", "星期", "工作日?", "来源 source"):
        table.add_column(column)
    for d, workday, source in rows:
        ordinary = workday == (d.weekday() < 5) and d not in notes
        if all_days or not ordinary:
            table.add_row(
                d.isoformat(),
                WEEKDAYS[d.weekday()],
                "上班 workday" if workday else "休息 rest",
                source,
            )
    console.print(table)
    working = sum(1 for _, workday, _ in rows if workday)
    console.print(
        f"{year}: 工作日 {working} 天 working days, 休息日 {len(rows) - working} 天 rest "
        f"days; 调整/覆盖 {sum(1 for d in days if d in notes)} 天 from overrides",
        highlight=False,
    )


def _year_days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def _source(d: date, notes: dict[date, str], notified: bool) -> str:
    if d in notes:
        return f"本地覆盖 override: {notes[d]}"
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        if notified:
            return "周一至周五 Mon–Fri (loaded notice lists no exception)"
        return "假定周一至周五 assumed Mon–Fri (no notice for this year)"
    if name is not None:
        chinese = chinese_calendar.Holiday(name).chinese
        kind = "放假 holiday" if on_holiday else "调休上班 adjusted workday"
        return f"国务院通知 official: {chinese} {kind}"
    return "周末 weekend" if d.weekday() >= 5 else "工作日 weekday"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(app())
