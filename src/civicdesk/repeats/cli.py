"""``civicdesk repeats``: rebuild the links, score them against the demo truth, export them."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from civicdesk.clock import SHANGHAI, SystemClock, to_local
from civicdesk.intake.models import Channel, Complaint
from civicdesk.repeats.models import RepeatLink
from civicdesk.repeats.scoring import KIND_LABELS

app = typer.Typer(no_args_is_help=True)
console = Console(highlight=False)
USAGE_ERROR = 2


@app.callback()
def repeats() -> None:
    """Repeat complaints (重复投诉) and duplicate intake (重复受理)."""


def _day(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None
    return datetime.combine(day, time(), SHANGHAI)


@app.command("rebuild")
def rebuild_command(
    date_from: str | None = typer.Option(None, "--from", help="First local date, YYYY-MM-DD."),
    date_to: str | None = typer.Option(None, "--to", help="Last local date, included."),
    window_days: int | None = typer.Option(
        None, "--window-days", min=1, max=3650, help="Look-back window for every category."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    workers: int = typer.Option(
        2, "--workers", min=1, max=8, help="Processes detecting in parallel (by category group)."
    ),
) -> None:
    """Recompute the links over the history (or a period): idempotent, as the intake check."""
    from civicdesk.db import unit_of_work
    from civicdesk.repeats.batch import rebuild

    start = _day(date_from, "--from")
    end = _day(date_to, "--to")
    end = end + timedelta(days=1) if end else None
    with unit_of_work() as session:
        report = rebuild(
            session,
            start=start,
            end=end,
            now=SystemClock().now(),
            window_days=window_days,
            progress=None if as_json else lambda step: console.print(f"… {step}"),
            workers=workers,
        )
    if as_json:
        payload = {k: v for k, v in vars(report).items() if k not in ("start", "end")}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    table = Table(title="重复投诉重新识别 / rebuild", title_justify="left", show_header=False)
    table.add_row("比对的投诉", f"{report.complaints:,}")
    table.add_row("关联", f"{report.links:,}（自动确认 {report.confirmed:,}）")
    for kind, count in sorted(report.by_kind.items()):
        table.add_row(f"  {KIND_LABELS.get(kind, kind)}", f"{count:,}")
    table.add_row("人工已决定（保留）", f"{report.kept_decided:,}")
    table.add_row("无地点、仅按投诉人比对", f"{report.without_place:,}")
    table.add_row("无任何可比信息（未关联）", f"{report.unplaced:,}")
    seconds = " + ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
    table.add_row("用时", seconds)
    console.print(table)


@app.command("score")
def score_command(
    include_suggested: bool = typer.Option(
        False, "--all", help="Score every link, not only the confirmed (counted) ones."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Precision and recall per kind against the demo's planted repeats."""
    from civicdesk.db import unit_of_work
    from civicdesk.repeats.evaluation import evaluate_demo

    with unit_of_work() as session:
        result = evaluate_demo(session, counted_only=not include_suggested)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    if not result.planted:
        console.print("[yellow]没有演示真值（demo_planted_repeats 为空）[/yellow]")
        raise typer.Exit(USAGE_ERROR)
    table = Table(title=f"对照演示真值（{result.to_dict()['links']}）", title_justify="left")
    for column in ("类型", "正确", "误报", "漏报", "精确率", "召回率"):
        table.add_column(column, justify="left" if column == "类型" else "right")
    for k in result.kinds.values():
        table.add_row(
            KIND_LABELS.get(k.kind, k.kind),
            str(k.true_positive),
            str(k.false_positive),
            str(k.false_negative),
            "—" if k.precision is None else f"{k.precision:.4f}",
            "—" if k.recall is None else f"{k.recall:.4f}",
        )
    console.print(table)


@app.command("export")
def export_command(
    file: Path = typer.Argument(..., help="CSV file to write (UTF-8 with BOM)."),
    include_rejected: bool = typer.Option(False, "--rejected", help="Also rejected links."),
) -> None:
    """Every link as CSV: both complaints' upstream references, kind, score, explanation."""
    from civicdesk.db import unit_of_work

    with unit_of_work() as session:
        count = write_links_csv(session, file, include_rejected=include_rejected)
    console.print(f"已导出 {count:,} 条关联：{file}")


@app.command("pairs")
def pairs_command(
    source: Path = typer.Argument(
        ...,
        help="CSV of pairs: title_a, detail_a (or text_a), user_a, time_a, and the same with _b.",
    ),
    target: Path = typer.Argument(..., help="CSV to write: the pairs with same_issue, score, why."),
) -> None:
    """Judge pairs of complaints given as text (no database rows needed): same issue or not."""
    from civicdesk.db import unit_of_work
    from civicdesk.repeats.context import load_context
    from civicdesk.repeats.pairs import judge_file

    with unit_of_work() as session:
        total, same = judge_file(source, target, load_context(session))
    console.print(f"{total} 对，判为同一问题 {same} 对：{target}")


EXPORT_COLUMNS = (
    "complaint_id",
    "complaint_channel",
    "complaint_upstream_ref",
    "complaint_received_at",
    "earlier_id",
    "earlier_channel",
    "earlier_upstream_ref",
    "earlier_received_at",
    "kind",
    "kind_zh",
    "status",
    "score",
    "place",
    "why",
    "issue_upstream_ref",
    "explanation",
)


def write_links_csv(session: Session, path: Path, *, include_rejected: bool = False) -> int:
    later, earlier = aliased(Complaint), aliased(Complaint)
    ch_later, ch_earlier = aliased(Channel), aliased(Channel)
    query = (
        select(RepeatLink, later, earlier, ch_later.code, ch_earlier.code)
        .join(later, later.id == RepeatLink.complaint_id)
        .join(earlier, earlier.id == RepeatLink.earlier_id)
        .join(ch_later, ch_later.id == later.channel_id)
        .join(ch_earlier, ch_earlier.id == earlier.channel_id)
        .order_by(later.received_at, RepeatLink.id)
    )
    if not include_rejected:
        query = query.where(RepeatLink.status != "rejected")
    roots = _issue_roots(session)
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        for link, a, b, a_channel, b_channel in session.execute(query):
            signals = (link.explanation or {}).get("signals", {})
            why = "；".join(s.get("why", "") for s in signals.values())
            writer.writerow(
                [
                    a.id,
                    a_channel,
                    a.upstream_ref or "",
                    f"{to_local(a.received_at):%Y-%m-%d %H:%M:%S}",
                    b.id,
                    b_channel,
                    b.upstream_ref or "",
                    f"{to_local(b.received_at):%Y-%m-%d %H:%M:%S}",
                    link.kind,
                    KIND_LABELS.get(link.kind, link.kind),
                    link.status,
                    f"{link.score:.3f}",
                    link.place or "",
                    why,
                    roots.get(link.complaint_id, ""),
                    json.dumps(link.explanation, ensure_ascii=False),
                ]
            )
            count += 1
    return count


def _issue_roots(session: Session) -> dict[int, str]:
    """Each linked complaint's first complaint of the issue (following links back), by its
    upstream reference: two complaints with the same root are about the same issue."""
    earlier = dict(
        session.execute(
            select(RepeatLink.complaint_id, RepeatLink.earlier_id).where(
                RepeatLink.status != "rejected"
            )
        ).all()
    )
    refs = dict(session.execute(select(Complaint.id, Complaint.upstream_ref)).all())
    roots: dict[int, str] = {}
    for cid in earlier:
        node, seen = cid, 0
        while node in earlier and seen < 1000:
            node, seen = earlier[node], seen + 1
        roots[cid] = refs.get(node) or str(node)
    return roots
