"""``civicdesk users``: manage staff accounts."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from civicdesk.accounts.models import Role, User
from civicdesk.accounts.service import create_user
from civicdesk.clock import SystemClock
from civicdesk.db import unit_of_work
from civicdesk.errors import DomainError
from civicdesk.org.models import Unit

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("create")
def create(
    username: str,
    role: Role = typer.Option(..., help="operator | dispatcher | unit_staff | leader | admin"),
    name: str = typer.Option("", help="Display name (defaults to the username)."),
    unit: str | None = typer.Option(None, help="Unit code (required for unit_staff)."),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create a staff account."""
    try:
        with unit_of_work() as session:
            unit_row = None
            if unit:
                unit_row = session.scalar(select(Unit).where(Unit.code == unit))
                if unit_row is None:
                    raise DomainError(f"未知单位代码：{unit}")
            create_user(
                session,
                username=username,
                password=password,
                display_name=name or username,
                role=role.value,
                unit=unit_row,
                now=SystemClock().now(),
            )
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]已创建用户 {username}（{role.value}）[/green]")


@app.command("list")
def list_users() -> None:
    """List staff accounts."""
    with unit_of_work() as session:
        table = Table("username", "name", "role", "unit", "active")
        for user in session.scalars(select(User).order_by(User.username)):
            unit_row = session.get(Unit, user.unit_id) if user.unit_id else None
            table.add_row(
                user.username,
                user.display_name,
                user.role,
                unit_row.name if unit_row else "",
                "yes" if user.active else "no",
            )
    console.print(table)
