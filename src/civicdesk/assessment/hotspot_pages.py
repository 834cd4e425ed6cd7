"""Staff pages on hot spots: the nine categories' trends, the top places, and the spike alerts
with their acknowledgement (the centre's dispatchers and leaders)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from civicdesk.accounts.models import Role, User
from civicdesk.assessment import charts
from civicdesk.assessment.dashboard_pages import (
    DateFrom,
    DateTo,
    _base_context,
    _page,
    chosen_period,
)
from civicdesk.assessment.hotspot_alerts import acknowledge, list_alerts
from civicdesk.assessment.hotspot_models import KIND_LABELS, STATUS_LABELS, AlertKind, AlertStatus
from civicdesk.assessment.hotspot_places import hotspot_trends, top_addresses, top_places
from civicdesk.assessment.hotspots import spike_settings
from civicdesk.errors import InvalidInput, NotFound
from civicdesk.reports.summary import resolve_area
from civicdesk.web.deps import NowDep, SessionDep, check_csrf, require_roles

router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(require_roles(Role.leader, Role.dispatcher, Role.admin))]


@router.get("/hotspots")
def hotspots_page(
    request: Request,
    db: SessionDep,
    user: Viewer,
    now: NowDep,
    date_from: DateFrom = "",
    date_to: DateTo = "",
    area: str = "",
    status: str = "",
) -> Response:
    try:
        period = chosen_period(now, date_from, date_to)
        chosen = resolve_area(db, area or None)
    except (InvalidInput, NotFound) as exc:
        context = _base_context(db, None, area) | {"error": exc.message}
        return _page(request, "assessment/hotspots.html", context, 422)
    trends = hotspot_trends(db, year=period.end.year, until=period.end, area=chosen)
    figure = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": t.name,
                "x": list(t.trend.labels),
                "y": list(t.trend.this_year),
            }
            for t in trends
        ],
        "layout": charts.trend([], [], [], title="")["layout"]
        | {"title": {"text": f"9类热点问题月度趋势（{period.end.year}年）", "x": 0.01}},
    }
    street_level = "street" if chosen.level in ("city", "district") else "community"
    context = _base_context(db, period, area) | {
        "period": period,
        "area": chosen,
        "trends": trends,
        "figure": figure,
        "streets": top_places(db, period=period, area=chosen, level=street_level),
        "communities": top_places(db, period=period, area=chosen, level="community"),
        "addresses": top_addresses(db, period=period, area=chosen),
        "alerts": list_alerts(db, status=status or None),
        "status": status,
        "settings": spike_settings(db),
        "kind_labels": {k.value: v for k, v in KIND_LABELS.items()},
        "status_labels": {k.value: v for k, v in STATUS_LABELS.items()},
        "open": AlertStatus.open.value,
        "kinds": AlertKind,
    }
    return _page(request, "assessment/hotspots.html", context)


@router.post("/hotspots/alerts/{alert_id}/acknowledge")
async def acknowledge_alert(
    request: Request, alert_id: int, db: SessionDep, user: Viewer, now: NowDep
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    acknowledge(db, alert_id, user_id=user.id, now=now, note=str(form.get("note", "")))
    return RedirectResponse(f"/hotspots#alert-{alert_id}", status_code=303)
