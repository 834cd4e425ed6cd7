"""Command-line commands of this domain (registered in civicdesk.cli)."""

import typer

app = typer.Typer(no_args_is_help=True)


def import_command() -> None:
    """Import complaints forwarded by hotlines (CSV/Excel)."""
