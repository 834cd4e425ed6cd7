"""``civicdesk open311 key create|revoke|list``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from civicdesk.clock import SystemClock, to_local
from civicdesk.db import unit_of_work
from civicdesk.errors import DomainError
from civicdesk.open311 import keys

app = typer.Typer(no_args_is_help=True, help="Open311 GeoReport v2 (docs/open311.md).")
key_app = typer.Typer(no_args_is_help=True, help="API keys of Open311 clients.")
app.add_typer(key_app, name="key")
console = Console()


def _fail(exc: DomainError) -> None:
    console.print(f"[red]{exc.message}[/red]")
    raise typer.Exit(1)


@key_app.command("create")
def create(name: str = typer.Argument(..., help="Who the key is for, e.g. a partner app.")) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    try:
        with unit_of_work() as session:
            key = keys.create_key(session, name, now=SystemClock().now())
    except DomainError as exc:
        _fail(exc)
    console.print(f"Open311 API key for [bold]{name}[/bold] (shown once, keep it safe):")
    print(key)


@key_app.command("revoke")
def revoke(name: str) -> None:
    """Revoke a key: POSTs with it are refused from now on."""
    try:
        with unit_of_work() as session:
            keys.revoke_key(session, name, now=SystemClock().now())
    except DomainError as exc:
        _fail(exc)
    console.print(f"[green]已吊销[/green] {name}")


@key_app.command("list")
def list_() -> None:
    """List keys (names, prefixes, dates; never the keys)."""
    with unit_of_work() as session:
        table = Table("name", "prefix", "created", "revoked")
        for row in keys.list_keys(session):
            revoked = f"{to_local(row.revoked_at):%Y-%m-%d %H:%M}" if row.revoked_at else ""
            table.add_row(
                row.name, row.prefix + "…", f"{to_local(row.created_at):%Y-%m-%d}", revoked
            )
    console.print(table)
