"""``civicdesk assessment``: the measures table and the analytical copy's refresh."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from civicdesk.assessment.engine import GROUPINGS, Assessment, Figure
from civicdesk.assessment.measures import MEASURE_LIST
from civicdesk.errors import DomainError, InvalidInput
from civicdesk.reports.periods import parse_period

app = typer.Typer(no_args_is_help=True)
USAGE_ERROR = 2


@app.callback()
def assessment() -> None:
    """Assessment measures (考核指标) and their analytical copy."""


@app.command("measures")
def measures_command(
    period: str = typer.Option(
        ..., "--period", help="2026-01..2026-07, 2026-Q2, 2026-03, 2026 or dates."
    ),
    by: str = typer.Option("total", "--by", help=f"Grouping: {', '.join(GROUPINGS)}."),
    measures: str | None = typer.Option(
        None, "--measures", help="Measure keys, comma-separated (default: all)."
    ),
    area: str | None = typer.Option(None, "--area", help="District or street (name or code)."),
    unit: str | None = typer.Option(None, "--unit", help="Unit code."),
    category: str | None = typer.Option(None, "--category", help="Category code or name."),
    variant: list[str] = typer.Option(
        [], "--variant", help="measure=variant, e.g. closure_rate=excl_suspended."
    ),
    backend: str = typer.Option("sql", "--backend", help="sql (live tables) or duckdb."),
    duckdb_path: Path | None = typer.Option(None, "--duckdb", help="The DuckDB copy."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """考核指标: every measure (or those chosen) by group, with 同比 and 环比."""
    from civicdesk.assessment.engine import evaluate
    from civicdesk.db import unit_of_work

    err = Console(stderr=True)
    try:
        chosen_period = parse_period(period)
        variants = {}
        for item in variant:
            key, _, value = item.partition("=")
            if not value:
                raise InvalidInput(f"口径格式应为 指标=口径：{item!r}", field="variant")
            variants[key.strip()] = value.strip()
        with unit_of_work() as session:
            result = evaluate(
                session,
                period=chosen_period,
                by=by,
                measures=measures,
                area_code=area,
                unit_code=unit,
                category_code=category,
                variants=variants,
                backend=backend,  # type: ignore[arg-type]
                duckdb_path=duckdb_path,
            )
    except DomainError as exc:
        err.print(f"[red]错误：[/red]{exc.message}", highlight=False)
        raise typer.Exit(USAGE_ERROR) from exc
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    print_assessment(Console(), result)


def print_assessment(console: Console, result: Assessment) -> None:
    source = "实时库" if result.backend == "sql" else "分析库"
    fresh = ""
    if result.refreshed_at is not None:
        from civicdesk.clock import to_local

        fresh = f"，数据截至 {to_local(result.refreshed_at):%Y-%m-%d %H:%M}"
    console.print(
        f"[bold]考核指标 {result.period.label()}[/bold]（同比：{result.last_year.label()}；"
        f"环比：{result.previous.label()}；{source}{fresh}）",
        highlight=False,
    )
    if result.empty:
        console.print("[yellow]本期没有任何投诉：各项计数为0，比率无法计算（显示“—”）。[/yellow]")
    rows = [*result.rows, result.total] if result.by != "total" else [result.total]
    for measure in result.measures:
        table = Table(title=f"{measure.name}（{measure.key}）", title_justify="left")
        table.add_column("分组")
        if measure.is_rate:
            table.add_column("分子", justify="right")
            table.add_column("分母", justify="right")
        for name in ("本期", "去年同期", "同比增减", "同比幅度", "上期", "环比幅度"):
            table.add_column(name, justify="right")
        for row in rows:
            fig = row.figures[measure.key]
            cells = [row.label]
            if measure.is_rate:
                cells += [str(fig.numerator), str(fig.denominator)]
            cells += _cells(fig, measure.is_rate)
            table.add_row(*cells, style="bold" if row is result.total else None)
        console.print(table)


def _cells(fig: Figure, is_rate: bool) -> list[str]:
    suffix = "%" if is_rate else ""

    def show(value: object) -> str:
        return "—" if value is None else f"{value}{suffix}"

    def signed(value: object, unit: str) -> str:
        if value is None:
            return "—"
        return f"{value:+}{unit}" if value else f"0{unit}"

    return [
        show(fig.value),
        show(fig.last_year.value),
        signed(fig.yoy_change, "个百分点" if is_rate else ""),
        signed(fig.yoy_percent, "%"),
        show(fig.previous.value),
        signed(fig.prev_percent, "%"),
    ]


@app.command("refresh")
def refresh_command(
    path: Path | None = typer.Option(
        None,
        "--path",
        help="The DuckDB file (default: CIVICDESK_ASSESSMENT_DUCKDB or beside "
        "the SQLite database).",
    ),
) -> None:
    """Copy the fact relation into the DuckDB file the fast path reads (刷新考核分析库)."""
    from civicdesk.assessment.analytical import refresh
    from civicdesk.db import unit_of_work

    with unit_of_work() as session:
        result = refresh(session, path)
    Console().print(
        f"[green]已刷新考核分析库[/green] {result.path}：{result.rows:,} 条投诉，"
        f"用时 {result.seconds:.1f} 秒（{result.refreshed_at:%Y-%m-%d %H:%M:%S} UTC）",
        highlight=False,
    )


@app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every measure with its definition (指标口径)."""
    if as_json:
        rows = [
            {
                "key": m.key,
                "name": m.name,
                "numerator": m.numerator.text(),
                "denominator": m.denominator.text() if m.denominator else None,
                "variants": {k: v.text() for k, v in m.variants.items()},
                "numerator_variants": {k: v.text() for k, v in m.numerator_variants.items()},
                "definition": m.definition,
            }
            for m in MEASURE_LIST
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title="考核指标口径", title_justify="left")
    for name in ("key", "指标", "分子", "分母", "口径变体", "定义"):
        table.add_column(name)
    for m in MEASURE_LIST:
        table.add_row(
            m.key,
            m.name,
            m.numerator.text(),
            m.denominator.text() if m.denominator else "",
            ", ".join(
                [f"{k}: {v.text()}" for k, v in m.variants.items()]
                + [f"{k}（分子）: {v.text()}" for k, v in m.numerator_variants.items()]
            ),
            m.definition,
        )
    Console().print(table)


# The schemes' commands (score, publish, schemes, publications) join this group.
from civicdesk.assessment import scheme_cli  # noqa: E402, F401
