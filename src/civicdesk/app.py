"""The FastAPI application: staff pages and the HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
        lifespan=_lifespan,
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


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Refuse to start on a broken rule configuration (supervision.yaml, feedback.yaml): the
    error is shown now, at start-up, not by a sweep at 3 a.m."""
    from sqlalchemy.exc import DBAPIError

    from civicdesk.config.policies import check_active

    try:
        with app.state.sessionmaker() as session:
            check_active(session)
    except DBAPIError:  # not migrated yet: requests will say so; nothing to check
        pass
    from civicdesk.portal.inbox import start_server_drain

    drain = start_server_drain(app)  # CIVICDESK_PORTAL_DRAIN_SECONDS > 0 (docs/portal.md)
    try:
        yield
    finally:
        if drain is not None:
            drain.close()


def _include_routers(app: FastAPI) -> None:
    from civicdesk.accounts import api as accounts_api
    from civicdesk.accounts import pages as accounts_pages
    from civicdesk.cases import api as cases_api
    from civicdesk.cases import pages as cases_pages
    from civicdesk.feedback import api as feedback_api
    from civicdesk.intake import api as intake_api
    from civicdesk.intake import import_pages as intake_import_pages
    from civicdesk.intake import pages as intake_pages
    from civicdesk.repeats import api as repeats_api
    from civicdesk.repeats import pages as repeats_pages
    from civicdesk.supervision import api as supervision_api
    from civicdesk.supervision import pages as supervision_pages
    from civicdesk.triage import api as triage_api
    from civicdesk.triage import pages as triage_pages

    # The citizen side first: its public POSTs are the hot paths, and routes are matched in
    # order (no path of theirs overlaps another router's).
    _include_citizen_side(app)
    for module in (
        accounts_api,
        accounts_pages,
        intake_api,
        intake_pages,
        intake_import_pages,
        repeats_api,
        repeats_pages,
        cases_api,
        cases_pages,
        feedback_api,
        supervision_api,
        supervision_pages,
        triage_api,
        triage_pages,
    ):
        app.include_router(module.router)
    try:
        from civicdesk.reports import pages as report_pages
    except ImportError:  # pragma: no cover - reports pages arrive with the reports module
        return
    app.include_router(report_pages.router)
    _include_assessment_reports(app)
    _include_assessment_schemes(app)
    _include_assessment_engine(app)


def _include_assessment_engine(app: FastAPI) -> None:
    """The measures engine's drill-down: the complaints behind any figure (issue 6)."""
    from civicdesk.assessment import drill_web

    app.include_router(drill_web.router)


def _include_assessment_schemes(app: FastAPI) -> None:
    """Schemes and scores, publication, appeals (申诉/核减), street-order inspections (issue 6)."""
    from civicdesk.assessment import api_schemes, appeal_pages, inspection_pages, scheme_pages

    for module in (api_schemes, scheme_pages, appeal_pages, inspection_pages):
        app.include_router(module.router)


def _include_assessment_reports(app: FastAPI) -> None:
    """The dashboard, the assessment report (HTML, Excel, PDF) and hot spots (issue 6)."""
    from civicdesk.assessment import dashboard_pages, hotspot_pages

    for module in (dashboard_pages, hotspot_pages):
        app.include_router(module.router)


def _include_citizen_side(app: FastAPI) -> None:
    """The citizen portal, service cards and Open311 (issue 7)."""
    from civicdesk.open311 import api as open311_api
    from civicdesk.org.cards import pages as card_pages
    from civicdesk.portal import inbox_pages as portal_inbox
    from civicdesk.portal import pages as portal_pages
    from civicdesk.portal import staff as portal_staff

    # The two public doors first (POST /portal/submit, POST /open311/v2/requests): each route
    # before a path costs its matching, twice per request.
    for module in (portal_pages, open311_api, portal_staff, portal_inbox, card_pages):
        app.include_router(module.router)
