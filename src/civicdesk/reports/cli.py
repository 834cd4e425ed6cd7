"""Command-line commands of this domain (registered in civicdesk.cli as ``civicdesk report``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from civicdesk.assessment.report_cli import pdf_command, workbook_command
from civicdesk.clock import SystemClock, to_local
from civicdesk.errors import DomainError
from civicdesk.reports.csv_export import write_summary_csv
from civicdesk.reports.narrative import narrative
from civicdesk.reports.periods import Period, parse_date, year_to_date
from civicdesk.reports.summary import Comparison, SummaryReport, summary

app = typer.Typer(no_args_is_help=True)

# Usage errors (bad dates, unknown area) exit with 2, as Click does for bad options.
USAGE_ERROR = 2


@app.callback()
def report() -> None:
    """Reports: complaint figures against the same period last year."""


# The assessment report files (issue 6): Excel workbook and PDF.
app.command("workbook")(workbook_command)
app.command("pdf")(pdf_command)


@app.command("summary")
def summary_command(
    date_from: str | None = typer.Option(
        None, "--from", help="First local date, YYYY-MM-DD (default: 1 January this year)."
    ),
    date_to: str | None = typer.Option(
        None, "--to", help="Last local date, included (default: yesterday)."
    ),
    area: str | None = typer.Option(
        None, "--area", help="Area name (上城区), short name (上城) or code; default: the city."
    ),
    csv_file: Path | None = typer.Option(None, "--csv", help="Also write the report as CSV."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """投诉情况汇总: totals, areas, categories and hot spots, with the same period last year."""
    from civicdesk.db import unit_of_work

    err = Console(stderr=True)
    try:
        period = _period(date_from, date_to)
        with unit_of_work() as session:
            result = summary(session, start=period.start, end=period.end, area_code=area)
    except DomainError as exc:
        err.print(f"[red]错误：[/red]{exc.message}", highlight=False)
        raise typer.Exit(USAGE_ERROR) from exc

    text = narrative(result)
    if csv_file is not None:
        write_summary_csv(result, csv_file)
    if as_json:
        typer.echo(json.dumps(result.to_dict() | {"narrative": text}, ensure_ascii=False, indent=2))
        return
    _print_report(Console(), result, text)
    if csv_file is not None:
        Console().print(f"已写入 CSV：{csv_file}", highlight=False)


def _period(date_from: str | None, date_to: str | None) -> Period:
    default = year_to_date(to_local(SystemClock().now()).date())
    start = default.start if date_from is None else parse_date(date_from, field="from")
    end = default.end if date_to is None else parse_date(date_to, field="to")
    return Period(start, end)


def _print_report(console: Console, result: SummaryReport, text: str) -> None:
    console.print(
        f"[bold]{result.area.name} {result.period.label()}投诉情况[/bold]"
        f"（同比：{result.baseline.label()}）",
        highlight=False,
    )
    overview = _table("指标")
    overview.add_row("投诉总量", *_cells(result.total))
    overview.add_row(f"{len(result.hotspot_categories)}类热点问题", *_cells(result.hotspot))
    overview.add_row("重复投诉量", *_cells(result.repeats))
    console.print(overview)
    if result.areas:
        by_area = _table("区域", title="分区域")
        for row in result.areas:
            by_area.add_row(row.name, *_cells(row.complaints))
        by_area.add_row("合计", *_cells(result.total), style="bold")
        console.print(by_area)
    by_category = _table("类别", title="分类别（★ 热点问题）")
    by_category.add_column("大类")
    for cat in result.categories:
        name = f"★ {cat.name}" if cat.hotspot else cat.name
        by_category.add_row(name, *_cells(cat.complaints), cat.group_name)
    by_category.add_row("合计", *_cells(result.total), "", style="bold")
    console.print(by_category)
    console.print(text, highlight=False)


def _table(first: str, *, title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(first)
    for name in ("本期", "去年同期", "增减量", "增减幅"):
        table.add_column(name, justify="right")
    return table


def _cells(value: Comparison) -> list[str]:
    percent = value.percent
    return [
        str(value.current),
        str(value.previous),
        f"{value.change:+d}" if value.change else "0",
        "—" if percent is None else f"{percent:+.2f}%",
    ]
