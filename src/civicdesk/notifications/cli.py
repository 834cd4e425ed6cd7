"""``civicdesk outbox …``: deliver pending messages now, show the outbox by status."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("deliver")
def deliver_command(
    limit: int = typer.Option(10_000, min=1, help="At most this many messages."),
) -> None:
    """Send what is due now through the configured channels (CIVICDESK_NOTIFY_CHANNELS)."""
    from civicdesk.clock import SystemClock
    from civicdesk.db import get_engine, session_factory
    from civicdesk.notifications.delivery import deliver_pending

    stats = deliver_pending(session_factory(get_engine()), now=SystemClock().now, limit=limit)
    console.print(
        f"已发送 sent {stats.sent}, 待重试 retrying {stats.retried}, 失败 failed {stats.failed}",
        highlight=False,
    )
    for error in stats.errors[:20]:
        console.print(f"[yellow]{error}[/yellow]", highlight=False)


@app.command("status")
def status_command() -> None:
    """Messages by channel and status."""
    from sqlalchemy import func, select

    from civicdesk.db import unit_of_work
    from civicdesk.notifications.models import OutboxMessage as Box

    with unit_of_work() as session:
        rows = session.execute(
            select(Box.channel, Box.status, func.count()).group_by(Box.channel, Box.status)
        ).all()
    table = Table(title="发件箱 outbox")
    for column in ("channel", "status", "count"):
        table.add_column(column)
    for channel, status, count in sorted(rows):
        table.add_row(channel, status, str(count))
    console.print(table)
