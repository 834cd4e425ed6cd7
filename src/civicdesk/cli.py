"""The ``civicdesk`` command: set-up, import, reports, maintenance, serving."""

from __future__ import annotations

import typer
from rich.console import Console

from civicdesk.accounts.cli import app as users_app
from civicdesk.assessment.cli import app as assessment_app
from civicdesk.assessment.report_cli import hotspots_app
from civicdesk.config.cli import app as config_app
from civicdesk.config.cli import calendar_app
from civicdesk.demo.cli import app as demo_app
from civicdesk.intake.cli import import_command
from civicdesk.notifications.cli import app as outbox_app
from civicdesk.open311.cli import app as open311_app
from civicdesk.portal.cli import app as inbox_app
from civicdesk.repeats.cli import app as repeats_app
from civicdesk.reports.cli import app as report_app
from civicdesk.supervision.cli import app as supervision_app
from civicdesk.triage.cli import app as triage_app
from civicdesk.worker import worker_command

app = typer.Typer(
    no_args_is_help=True,
    help="civicdesk — 城管信访投诉统一受理、交办、督办、反馈与考核平台",
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")
app.add_typer(
    config_app, name="config", help="Reference data (areas, units, categories, channels)."
)
app.add_typer(calendar_app, name="calendar", help="Working-day calendar overrides.")
app.add_typer(users_app, name="users", help="Staff accounts.")
app.add_typer(report_app, name="report", help="Reports.")
app.add_typer(demo_app, name="demo", help="Demo data and the demo server.")
app.add_typer(open311_app, name="open311", help="Open311 GeoReport v2: API keys.")
app.add_typer(inbox_app, name="inbox", help="Citizen submissions waiting for intake or failed.")
app.add_typer(repeats_app, name="repeats", help="Repeat complaints and duplicate intake.")
app.add_typer(supervision_app, name="supervision", help="Deadlines, urging, graded supervision.")
app.add_typer(outbox_app, name="outbox", help="Notifications waiting to be sent.")
app.add_typer(triage_app, name="triage", help="Classification, location and routing.")
app.add_typer(hotspots_app, name="hotspots", help="Hot spots: spikes and alerts to the centre.")
app.add_typer(assessment_app, name="assessment", help="Assessment measures (考核指标).")
app.command("import")(import_command)
app.command("worker")(worker_command)
console = Console()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    from civicdesk.db import get_engine
    from civicdesk.migrate import upgrade

    engine = get_engine()
    upgrade(engine)
    console.print(f"[green]数据库已是最新结构[/green] ({engine.url.render_as_string()})")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Address to bind (CIVICDESK_HOST)."),
    port: int | None = typer.Option(None, help="Port (CIVICDESK_PORT, default 8000)."),
) -> None:
    """Serve the staff web and the HTTP API."""
    import uvicorn

    from civicdesk.app import create_app
    from civicdesk.settings import get_settings

    settings = get_settings()
    uvicorn.run(create_app(), host=host or settings.host, port=port or settings.port)


if __name__ == "__main__":  # pragma: no cover
    app()
