"""The FastAPI application: staff pages and the HTTP API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from civicdesk import __version__
from civicdesk.clock import Clock, SystemClock
from civicdesk.db import get_engine, session_factory
from civicdesk.settings import Settings, get_settings
from civicdesk.web import errors


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or get_engine(settings.database_url)
    app = FastAPI(
        title="civicdesk",
        version=__version__,
        description="城管信访投诉平台 HTTP API. Authenticate with POST /api/auth/token, then send "
        "`Authorization: Bearer <token>`.",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = session_factory(engine)
    app.state.clock = clock or SystemClock()
    errors.install(app)
    app.mount(
        "/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static"
    )
    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    from civicdesk.accounts import api as accounts_api
    from civicdesk.accounts import pages as accounts_pages
    from civicdesk.cases import api as cases_api
    from civicdesk.cases import pages as cases_pages
    from civicdesk.intake import api as intake_api
    from civicdesk.intake import import_pages as intake_import_pages
    from civicdesk.intake import pages as intake_pages

    for module in (
        accounts_api,
        accounts_pages,
        intake_api,
        intake_pages,
        intake_import_pages,
        cases_api,
        cases_pages,
    ):
        app.include_router(module.router)
    try:
        from civicdesk.reports import pages as report_pages
    except ImportError:  # pragma: no cover - reports pages arrive with the reports module
        return
    app.include_router(report_pages.router)
