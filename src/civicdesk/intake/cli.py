"""Command-line commands of this domain (registered in civicdesk.cli): ``civicdesk import``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from civicdesk.clock import SystemClock, to_local
from civicdesk.db import unit_of_work
from civicdesk.errors import DomainError
from civicdesk.intake.importing import (
    ImportReport,
    UnreadableFile,
    import_file,
    write_error_report,
)
from civicdesk.intake.importing.mapping import ColumnMap

app = typer.Typer(no_args_is_help=True)
SHOWN_ERRORS = 20
EXIT_INVALID_ROWS = 1
EXIT_UNREADABLE = 2
PHASES = {"read": "读取并校验", "write": "写入数据库"}
ENCODINGS = {"utf-8-sig": "UTF-8", "gb18030": "GBK/GB18030", "utf-16": "UTF-16"}


def import_command(
    file: Annotated[
        Path, typer.Argument(help="CSV（UTF-8 或 GBK）或 .xlsx 文件", show_default=False)
    ],
    channel: Annotated[
        str | None,
        typer.Option("--channel", help="文件没有“渠道”列时所有行的渠道（代码或名称，如 12345）"),
    ] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="只导入有效行，失败行写入报告文件（默认：有一行失败就全部不导入）",
        ),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="失败行报告（CSV，默认 <文件>.errors.csv）", show_default=False
        ),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Excel 工作表名称（默认第一个）")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只读取和校验，不写入数据库")] = False,
    max_mb: Annotated[
        int,
        typer.Option(
            "--max-mb", min=1, envvar="CIVICDESK_IMPORT_MAX_MB", help="拒绝大于此大小的文件（MB）"
        ),
    ] = 1024,
    column_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="列映射 字段=列名，可用+合并多列，如 text=title+detail（可重复）"
        ),
    ] = None,
    map_file: Annotated[
        Path | None, typer.Option("--map-file", help="列映射文件（YAML：columns、time_format）")
    ] = None,
    time_format: Annotated[
        str | None, typer.Option("--time-format", help="时间格式，如 %m/%d/%Y %I:%M:%S %p")
    ] = None,
) -> None:
    """Import complaints forwarded by hotlines (CSV/Excel): all or nothing, idempotent."""
    console = Console(highlight=False)
    try:
        mapping = ColumnMap.parse(column_map or [], file=map_file, time_format=time_format)
        with unit_of_work() as session, _progress(console) as progress:
            result = import_file(
                session,
                file,
                now=SystemClock().now(),
                channel=channel,
                sheet=sheet,
                skip_invalid=skip_invalid,
                dry_run=dry_run,
                max_bytes=max_mb * 1024 * 1024,
                progress=progress,
                mapping=mapping,
            )
    except UnreadableFile as exc:
        console.print(f"[red]无法导入 {escape(str(file))}：{escape(exc.message)}[/red]")
        raise typer.Exit(EXIT_UNREADABLE) from None
    except DomainError as exc:
        console.print(f"[red]导入失败，未写入任何数据：{escape(exc.message)}[/red]")
        raise typer.Exit(EXIT_INVALID_ROWS) from None
    _print_summary(console, result)
    if result.failed_rows:
        target = report or file.with_name(file.name + ".errors.csv")
        try:
            write_error_report(result, target)
            console.print(
                f"失败行及原因已写入 [bold]{escape(str(target))}[/bold]"
                "（UTF-8，可用 Excel 打开，修正后可直接再次导入）"
            )
        except OSError as exc:
            console.print(f"[yellow]无法写入报告文件 {escape(str(target))}：{exc}[/yellow]")
    if result.errors and not skip_invalid:  # all or nothing: nothing was written
        raise typer.Exit(EXIT_INVALID_ROWS)


@contextmanager
def _progress(console: Console) -> Iterator[ProgressCallback]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        yield ProgressCallback(bar)


class ProgressCallback:
    """Feeds the importer's (phase, done, total) reports to a rich progress bar."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if phase not in self.tasks:
            self.tasks[phase] = self.bar.add_task(PHASES.get(phase, phase), total=total)
        self.bar.update(self.tasks[phase], completed=done, total=total)


def _print_summary(console: Console, result: ImportReport) -> None:
    table = Table(title=f"导入 {escape(result.filename)}", show_header=False, title_justify="left")
    table.add_column("项目")
    table.add_column("数值", justify="right")
    encoding = ENCODINGS.get(result.encoding or "", result.encoding)
    source = f"Excel 工作表“{result.sheet}”" if result.sheet else f"CSV（{encoding}）"
    table.add_row("格式", escape(source))
    table.add_row("读取行数", str(result.rows_read))
    table.add_row(
        "新导入",
        f"[green]{result.imported}[/green]"
        if result.written
        else ("（试运行）" if result.dry_run else "0"),
    )
    table.add_row("已存在，跳过", str(result.already_present))
    table.add_row("失败行", f"[red]{result.failed}[/red]" if result.failed else "0")
    table.add_row("速度", f"{result.rate:,.0f} 行/秒")
    if result.batch_id is not None:
        table.add_row("导入批次", f"#{result.batch_id}")
    if result.repeat_links is not None:
        table.add_row("重复投诉关联", str(result.repeat_links))
    console.print(table)
    if result.ignored_columns:
        console.print(
            "[yellow]未识别的列（已忽略）："
            + escape("、".join(result.ignored_columns))
            + "[/yellow]"
        )
    for error in result.errors[:SHOWN_ERRORS]:
        console.print(f"  [red]•[/red] {escape(str(error))}")
    if len(result.errors) > SHOWN_ERRORS:
        console.print(f"  ……另有 {len(result.errors) - SHOWN_ERRORS} 个问题，见报告文件")
    console.print(_verdict(result))
    if result.previous_import is not None:
        batch_id, at = result.previous_import
        console.print(
            f"提示：同一文件（内容相同）已于 {to_local(at):%Y-%m-%d %H:%M} 导入过"
            f"（批次 #{batch_id}）"
        )


def _verdict(result: ImportReport) -> str:
    new = result.rows_read - result.failed - result.already_present
    if result.dry_run:
        failing = f"，{result.failed} 行未通过校验" if result.failed else ""
        return f"[cyan]试运行，未写入数据库：将导入 {new} 行{failing}[/cyan]"
    if result.errors and not result.written:
        return (
            f"[red]有 {result.failed} 行未通过校验，整个文件未导入（全部或全不）。"
            "请修正后重新导入，或用 --skip-invalid 只导入有效行。[/red]"
        )
    if result.imported == 0:
        failed = f"，{result.failed} 行失败" if result.failed else ""
        return (
            f"[yellow]没有新投诉：已存在 {result.already_present} 行{failed}"
            "（同一渠道、同一工单号不会重复导入）[/yellow]"
        )
    skipped = f"，跳过已存在 {result.already_present} 行" if result.already_present else ""
    failed = f"，{result.failed} 行失败未导入" if result.failed else ""
    return f"[green]已导入 {result.imported} 条投诉{skipped}{failed}[/green]"
