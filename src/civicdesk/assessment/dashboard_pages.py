"""Staff pages: the dashboard (charts), the printable assessment report with its Excel and PDF
downloads, and plotly.js served from the installed package (no CDN: the pages work offline and
send nothing to a third party)."""

from __future__ import annotations

import gzip
import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.assessment import charts
from civicdesk.assessment import dashboard as q
from civicdesk.assessment.report_data import Report, Series, format_value
from civicdesk.clock import to_local
from civicdesk.errors import ConfigurationError, InvalidInput, NotFound
from civicdesk.reports.pages import _area_choices
from civicdesk.reports.periods import Period, default_period, parse_date
from civicdesk.reports.summary import resolve_area, root_area, summary
from civicdesk.web.deps import NowDep, SessionDep, render, require_roles

router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(require_roles(Role.leader, Role.dispatcher, Role.admin))]
DateFrom = Annotated[str, Query(alias="from")]
DateTo = Annotated[str, Query(alias="to")]
# Scripts only from this server; plotly sets inline styles on its SVG.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
    "frame-ancestors 'self'"
)


# ---- plotly.js ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def plotly_bundle() -> tuple[bytes, bytes, str, str]:
    """The bundled plotly.min.js (raw and gzipped), its ETag and version, read once."""
    import plotly
    from plotly.offline import get_plotlyjs

    raw = get_plotlyjs().encode("utf-8")
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return raw, gzip.compress(raw, 6), f'"{digest}"', plotly.__version__


def plotly_url() -> str:
    return f"/dashboard/plotly.min.js?v={plotly_bundle()[2].strip(chr(34))}"


@router.api_route("/dashboard/plotly.min.js", methods=["GET", "HEAD"])
def plotly_js(request: Request) -> Response:
    """No login: a public library. Versioned URL, cached for a year; gzip when accepted."""
    raw, packed, etag, _ = plotly_bundle()
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "ETag": etag,
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="text/javascript", headers=headers)
    return Response(raw, media_type="text/javascript", headers=headers)


# ---- period and area ------------------------------------------------------------------------


def chosen_period(now: datetime, date_from: str, date_to: str) -> Period:
    default = default_period(to_local(now).date())
    start = parse_date(date_from, field="from") if date_from else default.start
    end = parse_date(date_to, field="to") if date_to else default.end
    return Period(start, end)


def _base_context(db: Session, period: Period | None, area: str) -> dict[str, Any]:
    params = {
        "from": period.start.isoformat() if period else "",
        "to": period.end.isoformat() if period else "",
        "area": area,
    }
    return {
        "params": params,
        "root": root_area(db),
        "areas": _area_choices(db),
        "plotly_url": plotly_url(),
        "query": urlencode(params),
    }


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    response = render(request, template, context, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    return response


# ---- the dashboard --------------------------------------------------------------------------


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    db: SessionDep,
    user: Viewer,
    now: NowDep,
    date_from: DateFrom = "",
    date_to: DateTo = "",
    area: str = "",
) -> Response:
    try:
        period = chosen_period(now, date_from, date_to)
        chosen = resolve_area(db, area or None)
    except (InvalidInput, NotFound) as exc:
        context = _base_context(db, None, area) | {"error": exc.message}
        return _page(request, "assessment/dashboard.html", context, 422)
    context = _base_context(db, period, area) | dashboard_figures(db, period, chosen, request)
    return _page(request, "assessment/dashboard.html", context)


def live_counts(db: Session, period: Period, area: Any) -> tuple:
    """The dashboard's counts from the live tables: report, trend, child rows, street rows."""
    base = summary(db, start=period.start, end=period.end, area_code=area.code)
    ctx = q.context(db)
    trend = q.monthly_trend(db, year=period.end.year, until=period.end, area=area, ctx=ctx)[None]
    level = q.child_level(area)
    children = q.place_rows(db, period=period, area=area, level=level, ctx=ctx) if level else []
    street_level = "street" if area.level in ("city", "district") else level
    streets = (
        q.place_rows(db, period=period, area=area, level=street_level, ctx=ctx)
        if street_level
        else []
    )
    return base, trend, children, streets


def dashboard_counts(
    db: Session, period: Period, area: Any, copy: Path | None
) -> tuple[tuple, str | None]:
    """From the DuckDB copy when one is configured (``CIVICDESK_ANALYTICS_DUCKDB``) and it can
    answer (a city or district dashboard), else live; with the note on freshness shown."""
    from civicdesk.assessment import dashboard_fast

    if copy is None or not dashboard_fast.supported(area):
        return live_counts(db, period, area), None
    try:
        fast = dashboard_fast.dashboard_counts(db, period=period, area=area, path=copy)
    except ConfigurationError:
        # No copy at the configured path yet: the live figures, and say so.
        return live_counts(db, period, area), "分析库尚未生成，以下为实时数据。"
    when = f"{to_local(fast.refreshed_at):%Y-%m-%d %H:%M}" if fast.refreshed_at else "未知"
    counts = (fast.report, fast.trend, fast.children, fast.streets)
    return counts, f"数据截至 {when}（分析库）"


def dashboard_figures(db: Session, period: Period, area: Any, request: Request) -> dict[str, Any]:
    copy = request.app.state.settings.analytics_duckdb
    (base, trend, children, streets), data_note = dashboard_counts(db, period, area, copy)
    level = q.child_level(area)
    streets = [s for s in streets if s.code is not None]
    categories = sorted(
        (r for r in base.categories if r.code is not None), key=lambda r: -r.complaints.current
    )
    ranked = sorted(streets, key=lambda s: -s.complaints.current)[:15]
    figures = {
        "trend": charts.trend(
            trend.labels,
            trend.this_year,
            trend.last_year,
            title=f"月度投诉趋势（{trend.year}年与{trend.year - 1}年）",
            names=(f"{trend.year}年", f"{trend.year - 1}年"),
        ),
        "categories": charts.bars(
            [r.name for r in categories],
            [r.complaints.current for r in categories],
            [r.complaints.previous for r in categories],
            title="分类别投诉量（橙色为热点问题）",
            marked=[r.hotspot for r in categories],
        ),
        "areas": charts.bars(
            [r.name for r in children if r.code is not None],
            [r.complaints.current for r in children if r.code is not None],
            [r.complaints.previous for r in children if r.code is not None],
            title="分区域投诉量",
        ),
        "ranking": charts.ranking(
            [s.name for s in ranked],
            [s.complaints.current for s in ranked],
            title="投诉量最多的街道（前15）",
            value_title="投诉（件）",
        ),
    }
    map_figure, map_note = _map(request, streets, children)
    figures["map"] = map_figure
    return {
        "report": base,
        "figures": figures,
        "map_note": map_note,
        "children": children,
        "level": level,
        "data_note": data_note,
    }


def _map(request: Request, streets: list[q.PlaceRow], children: list[q.PlaceRow]) -> tuple:
    path: Path | None = request.app.state.settings.map_boundaries
    if path is not None:
        from civicdesk.portal.geo import load_boundaries

        values = {r.code: r.complaints.current for r in [*streets, *children] if r.code}
        figure = charts.choropleth(load_boundaries(Path(path)), values, title="投诉分布图")
        return figure, f"边界取自配置的 GeoJSON 文件（{Path(path).name}）。"
    tiles = [
        charts.Tile(s.parent_name, s.name, s.code or "", s.complaints.current, s.repeats.current)
        for s in streets
    ]
    note = (
        "示意图：未配置街道边界（map_boundaries），每个方块代表一个街道、每行一个区，"
        "颜色深浅表示投诉量，方块位置不代表实际地理位置。"
    )
    return charts.tile_map(tiles, title="街道投诉热力示意图"), note


# ---- the report -----------------------------------------------------------------------------


def _report(db: Session, now: datetime, date_from: str, date_to: str, area: str) -> Report:
    from civicdesk.assessment.report_builder import build_report

    period = chosen_period(now, date_from, date_to)
    return build_report(db, start=period.start, end=period.end, area_code=area or None, now=now)


def series_figure(series: Series) -> dict[str, Any]:
    if all(label.endswith("月") for label in series.labels):
        return charts.trend(
            series.labels,
            series.current,
            series.previous or (),
            title=series.title,
            names=series.names,
        )
    return charts.bars(
        series.labels,
        [v or 0 for v in series.current],
        [v or 0 for v in series.previous] if series.previous else None,
        title=series.title,
        marked=series.marked or None,
    )


@router.get("/reports/assessment")
def report_page(
    request: Request,
    db: SessionDep,
    user: Viewer,
    now: NowDep,
    date_from: DateFrom = "",
    date_to: DateTo = "",
    area: str = "",
) -> Response:
    try:
        report = _report(db, now, date_from, date_to, area)
    except (InvalidInput, NotFound) as exc:
        context = _base_context(db, None, area) | {"error": exc.message}
        return _page(request, "assessment/report.html", context, 422)
    period = Period(report.start, report.end)
    context = _base_context(db, period, area) | {
        "report": report,
        "figures": [series_figure(s) for s in report.charts],
        "fmt": format_value,
    }
    return _page(request, "assessment/report.html", context)


def _download(report: Report, data: bytes, suffix: str, media: str) -> Response:
    name = f"{report.title}.{suffix}"
    ascii_name = f"report_{report.start:%Y%m%d}-{report.end:%Y%m%d}.{suffix}"
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
            )
        },
    )


@router.get("/reports/assessment.xlsx")
def report_workbook(
    db: SessionDep,
    user: Viewer,
    now: NowDep,
    date_from: DateFrom = "",
    date_to: DateTo = "",
    area: str = "",
) -> Response:
    from civicdesk.assessment.workbook import workbook_bytes

    report = _report(db, now, date_from, date_to, area)
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(report, workbook_bytes(report), "xlsx", media)


@router.get("/reports/assessment.pdf")
def report_pdf(
    db: SessionDep,
    user: Viewer,
    now: NowDep,
    date_from: DateFrom = "",
    date_to: DateTo = "",
    area: str = "",
) -> Response:
    from civicdesk.assessment.pdf import pdf_bytes

    report = _report(db, now, date_from, date_to, area)
    return _download(report, pdf_bytes(report), "pdf", "application/pdf")
