"""``civicdesk assessment score|publish|schemes|publications``: the schemes on the command line.

The commands join the ``civicdesk assessment`` group of ``assessment.cli`` (which imports this
module at its end). Each command is one transaction (``unit_of_work``).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from civicdesk.accounts.models import User
from civicdesk.assessment.cli import USAGE_ERROR, app
from civicdesk.assessment.scorecard import Scorecard
from civicdesk.assessment.scoring import STATUS_LABELS
from civicdesk.errors import DomainError, NotFound
from civicdesk.reports.periods import parse_period

err = Console(stderr=True)


def _fail(exc: DomainError) -> typer.Exit:
    err.print(f"[red]错误：[/red]{exc.message}", highlight=False)
    return typer.Exit(USAGE_ERROR)


@app.command("schemes")
def schemes_command() -> None:
    """考核方案: every stored scheme version."""
    from civicdesk.assessment.schemes import list_schemes
    from civicdesk.db import unit_of_work

    table = Table("code", "版本", "名称", "考核对象", "指标（权重）")
    with unit_of_work() as session:
        for row in list_schemes(session):
            doc = row.document
            indicators = "、".join(f"{i['name']}({i['weight']:g})" for i in doc["indicators"])
            table.add_row(row.code, str(row.version), row.name, doc["assess"]["by"], indicators)
    Console().print(table)


@app.command("score")
def score_command(
    scheme: str = typer.Option(..., "--scheme", help="Scheme code (assessment.yaml)."),
    period: str = typer.Option(
        ..., "--period", help="2026-01..2026-07, 2026-Q2, 2026-03, 2026 or dates."
    ),
    version: int | None = typer.Option(None, "--version", help="Scheme version (default latest)."),
    backend: str = typer.Option("sql", "--backend", help="sql (live tables) or duckdb."),
    duckdb_path: Path | None = typer.Option(None, "--duckdb", help="The DuckDB copy."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (every figure and reason)."),
) -> None:
    """考核得分: each unit's indicator points, deductions, total, rank and grade."""
    from civicdesk.assessment.schemes import get_scheme
    from civicdesk.assessment.scorecard import score
    from civicdesk.db import unit_of_work

    try:
        chosen = parse_period(period)
        with unit_of_work() as session:
            found, _ = get_scheme(session, scheme, version)
            card = score(
                session, found, chosen, backend=backend, duckdb_path=duckdb_path,  # type: ignore[arg-type]
            )  # fmt: skip
    except DomainError as exc:
        raise _fail(exc) from exc
    if as_json:
        typer.echo(json.dumps(card.to_dict(), ensure_ascii=False, indent=2, default=str))
        return
    print_scorecard(Console(), card)


def print_scorecard(console: Console, card: Scorecard) -> None:
    scheme = card.scheme
    console.print(
        f"[bold]{scheme.name}[/bold]（{scheme.code} 第{scheme.version}版） "
        f"{card.period.label()}（{card.period.start} 至 {card.period.end}），后端 {card.backend}",
        highlight=False,
    )
    heads = [f"{i.name}({i.weight:g})" for i in scheme.indicators]
    table = Table("排名", "单位", "总分", "等级", *heads, "扣分", "核减", "说明")
    for r in card.results:
        cells = [f"{i.points:.2f}" if i.points is not None else "—" for i in r.indicators]
        table.add_row(
            str(r.rank or "—"),
            r.name,
            f"{r.total:.2f}" if r.total is not None else "—",
            r.grade or STATUS_LABELS[r.status],
            *cells,
            f"{sum(p.points for p in r.penalties):.2f}",
            str(r.appeals_approved),
            r.status_reason,
        )
    console.print(table)


@app.command("publish")
def publish_command(
    scheme: str = typer.Option(..., "--scheme", help="Scheme code."),
    period: str = typer.Option(
        ..., "--period", help="2026-01..2026-07, 2026-Q2, 2026-03, 2026 or dates."
    ),
    user: str = typer.Option(..., "--user", help="The publishing leader's or admin's username."),
    note: str | None = typer.Option(None, "--note", help="A note shown with the publication."),
    backend: str = typer.Option("sql", "--backend", help="sql (live tables) or duckdb."),
) -> None:
    """发布考核结果: freeze the period's scores as a new published version."""
    from civicdesk.assessment.publication import publish
    from civicdesk.clock import SystemClock
    from civicdesk.db import unit_of_work

    try:
        chosen = parse_period(period)
        with unit_of_work() as session:
            actor = session.scalars(select(User).where(User.username == user)).one_or_none()
            if actor is None:
                raise NotFound(f"用户 {user} 不存在")
            publication = publish(
                session, scheme_code=scheme, period=chosen, actor=actor,
                now=SystemClock().now(), backend=backend, note=note,
            )  # fmt: skip
            version, changes = publication.version, len(publication.changes)
            pid = publication.id
    except DomainError as exc:
        raise _fail(exc) from exc
    more = f"，与上一版相比 {changes} 项变化" if version > 1 else ""
    Console().print(f"已发布第{version}版（发布记录 #{pid}）{more}", highlight=False)


@app.command("publications")
def publications_command(
    scheme: str | None = typer.Option(None, "--scheme", help="Only this scheme."),
) -> None:
    """已发布的考核结果 and their versions."""
    from civicdesk.assessment.publication import list_publications
    from civicdesk.clock import to_local
    from civicdesk.db import unit_of_work

    table = Table("#", "方案", "考核期", "版本", "发布时间", "后端", "变更项")
    with unit_of_work() as session:
        for p in list_publications(session, scheme):
            table.add_row(
                str(p.id), f"{p.scheme_code} v{p.scheme_version}",
                f"{p.period_start}..{p.period_end}", str(p.version),
                f"{to_local(p.published_at):%Y-%m-%d %H:%M}", p.engine_backend,
                str(len(p.changes)),
            )  # fmt: skip
    Console().print(table)


@app.command("inspections-import")
def inspections_import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="UTF-8 CSV file."),
) -> None:
    """街面保序检查: import spot checks (date,area,inspector,items_checked,problems_found,
    deductions[,note]); all rows or none, a row already recorded is skipped."""
    from civicdesk.assessment.inspections import import_csv
    from civicdesk.clock import SystemClock
    from civicdesk.db import unit_of_work

    try:
        text = file.read_text(encoding="utf-8-sig")
        with unit_of_work() as session:
            result = import_csv(
                session, text, filename=file.name, actor=None, now=SystemClock().now()
            )
            if result.errors:
                session.rollback()
    except UnicodeDecodeError:
        err.print("[red]错误：[/red]CSV 文件应为 UTF-8 编码", highlight=False)
        raise typer.Exit(USAGE_ERROR) from None
    except DomainError as exc:
        raise _fail(exc) from exc
    if result.errors:
        err.print("导入未执行（未写入任何记录）：", highlight=False)
        for line in result.errors:
            err.print(f"  {line}", highlight=False, markup=False)
        raise typer.Exit(1)
    Console().print(
        f"已导入 {result.imported} 条，已存在而跳过 {result.already_present} 条", highlight=False
    )
