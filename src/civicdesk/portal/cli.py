"""``civicdesk inbox …``: the citizen inbox's backlog and failed rows; send failed rows back
to the drain (the same as 重新受理 on the staff page /portal/inbox)."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("status")
def status_command() -> None:
    """The backlog, today's and the last 7 days' rows by state, the failed rows."""
    from civicdesk.clock import SystemClock
    from civicdesk.db import unit_of_work
    from civicdesk.portal import review

    now = SystemClock().now()
    with unit_of_work() as session:
        seen = review.overview(session, now=now)
        failed = review.failed_page(session, page=1, personal=False)
    oldest = (
        f"，最早 oldest {seen.oldest_pending:%Y-%m-%d %H:%M} UTC" if seen.oldest_pending else ""
    )
    console.print(f"待受理 pending {seen.pending}{oldest}", highlight=False)
    for label, counts in (("今日 today", seen.today), ("近7日 7 days", seen.week)):
        console.print(f"{label}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    console.print(f"受理失败 failed {failed.total}", highlight=False)
    for row in failed.rows[:20]:
        console.print(f"  {row.id}\t{row.number}\t{row.error or ''}", highlight=False)


@app.command("retry")
def retry_command(
    ids: list[int] = typer.Argument(None, help="Inbox ids (see `civicdesk inbox status`)."),
    all_failed: bool = typer.Option(False, "--all-failed", help="Every failed row."),
) -> None:
    """Send failed rows back to the drain (state pending, error cleared)."""
    from sqlalchemy import select

    from civicdesk.clock import SystemClock
    from civicdesk.db import unit_of_work
    from civicdesk.errors import DomainError
    from civicdesk.portal import review
    from civicdesk.portal.inbox import FAILED
    from civicdesk.portal.models import InboxItem

    if not ids and not all_failed:
        raise typer.BadParameter("give inbox ids, or --all-failed")
    now = SystemClock().now()
    try:
        with unit_of_work() as session:
            chosen = ids or list(
                session.scalars(select(InboxItem.id).where(InboxItem.state == FAILED))
            )
            numbers = [review.retry(session, item_id, actor=None, now=now) for item_id in chosen]
    except DomainError as exc:  # all or nothing: one wrong id and none is sent back
        console.print(f"[red]{exc.message}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"已重新受理 sent back {len(numbers)}: {' '.join(numbers)}", highlight=False)
