"""Command-line commands of this domain (registered in civicdesk.cli)."""

import typer

app = typer.Typer(no_args_is_help=True)
