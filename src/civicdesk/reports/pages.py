"""Staff pages: the complaint summary (投诉情况汇总) and its CSV download."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.clock import to_local
from civicdesk.errors import InvalidInput, NotFound
from civicdesk.org.models import Area, AreaLevel
from civicdesk.reports.csv_export import summary_csv_text
from civicdesk.reports.narrative import narrative
from civicdesk.reports.periods import Period, parse_date, year_to_date
from civicdesk.reports.summary import SummaryReport, root_area, summary
from civicdesk.web.deps import NowDep, SessionDep, render, require_roles

router = APIRouter(include_in_schema=False)
ReportViewer = Annotated[User, Depends(require_roles(Role.leader, Role.dispatcher, Role.admin))]
DateFrom = Annotated[str, Query(alias="from")]
DateTo = Annotated[str, Query(alias="to")]


def _report(db: Session, now: NowDep, date_from: str, date_to: str, area: str) -> SummaryReport:
    default = year_to_date(to_local(now).date())
    start = parse_date(date_from, field="from") if date_from else default.start
    end = parse_date(date_to, field="to") if date_to else default.end
    period = Period(start, end)
    return summary(db, start=period.start, end=period.end, area_code=area or None)


@router.get("/reports/summary")
def summary_page(
    request: Request,
    db: SessionDep,
    user: ReportViewer,
    now: NowDep,
    date_from: DateFrom = "",
    date_to: DateTo = "",
    area: str = "",
) -> Response:
    params = {"from": date_from, "to": date_to, "area": area}
    context: dict[str, object] = {
        "params": params,
        "root": root_area(db),
        "areas": _area_choices(db),
    }
    try:
        report = _report(db, now, date_from, date_to, area)
    except (InvalidInput, NotFound) as exc:
        # A bad date or area is shown beside the form, which keeps what was typed.
        return render(
            request, "reports/summary.html", context | {"error": exc.message}, status_code=422
        )
    filled = {
        "from": report.period.start.isoformat(),
        "to": report.period.end.isoformat(),
        "area": area,
    }
    context |= {
        "params": filled,
        "report": report,
        "narrative": narrative(report),
        "csv_url": f"/reports/summary.csv?{urlencode(filled)}",
    }
    return render(request, "reports/summary.html", context)


@router.get("/reports/summary.csv")
def summary_csv(
    db: SessionDep,
    user: ReportViewer,
    now: NowDep,
    date_from: DateFrom = "",
    date_to: DateTo = "",
    area: str = "",
) -> Response:
    report = _report(db, now, date_from, date_to, area)
    name = f"summary_{report.area.code}_{report.period.start:%Y%m%d}-{report.period.end:%Y%m%d}.csv"
    return Response(
        content=summary_csv_text(report).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _area_choices(db: Session) -> list[tuple[Area, list[Area]]]:
    """Each district with its streets, for the area select (the root is the empty choice)."""
    root = root_area(db)
    districts = db.scalars(
        select(Area).where(Area.parent_id == root.id).order_by(Area.sort_order, Area.id)
    ).all()
    streets = db.scalars(
        select(Area)
        .where(Area.level == AreaLevel.street, Area.parent_id.in_([d.id for d in districts]))
        .order_by(Area.sort_order, Area.id)
    ).all()
    return [(d, [s for s in streets if s.parent_id == d.id]) for d in districts]
