"""Drill-down over HTTP: ``GET /api/assessment/drill`` (JSON) and ``GET /assessment/drill`` (a
staff page listing the complaints behind a figure, linked to their case pages). Leaders,
dispatchers and administrators only: the list leads to cases and complainants."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from civicdesk.accounts.models import Role, User
from civicdesk.assessment.drill import DrillPage, drill
from civicdesk.errors import InvalidInput
from civicdesk.reports.periods import Period, parse_date, parse_period
from civicdesk.web.deps import NowDep, SessionDep, render, require_roles

router = APIRouter(tags=["assessment"])
DRILL_ROLES = (Role.leader, Role.dispatcher, Role.admin)
Reader = Annotated[User, Depends(require_roles(*DRILL_ROLES))]
_PASSED = (
    "measure",
    "by",
    "key",
    "part",
    "which",
    "area",
    "unit",
    "category",
    "channel",
    "variant",
    "appeals",
    "backend",
    "page_size",
)


def parse_key(text: str | None) -> tuple[Any, ...]:
    """``"12"``, ``"12,34"``, ``"none"`` (a null key) or a month ``"2026-03"``."""
    if not text:
        return ()
    parts: list[Any] = []
    for part in text.split(","):
        part = part.strip()
        if part.lower() in ("none", "null", ""):
            parts.append(None)
        elif part.isdigit():
            parts.append(int(part))
        elif len(part) == 7 and part[4] == "-":
            parts.append(part)
        else:
            raise InvalidInput(f"分组键无效：{part!r} / invalid key", field="key")
    return tuple(parts)


def _period(params: dict[str, str]) -> Period:
    if params.get("period"):
        return parse_period(params["period"])
    if not params.get("from") or not params.get("to"):
        raise InvalidInput("请给出考核期：from 与 to（YYYY-MM-DD）或 period", field="from")
    return Period(parse_date(params["from"], field="from"), parse_date(params["to"], field="to"))


def _drill(db: Any, params: dict[str, str], now: Any) -> DrillPage:
    variants = {}
    if params.get("variant"):
        key, _, value = params["variant"].partition("=")
        variants[key] = value
    return drill(
        db,
        measure=params.get("measure", ""),
        period=_period(params),
        by=params.get("by", "total"),
        key=parse_key(params.get("key")),
        part=params.get("part", "numerator"),  # type: ignore[arg-type]
        which=params.get("which", "current"),  # type: ignore[arg-type]
        area_code=params.get("area") or None,
        unit_code=params.get("unit") or None,
        category_code=params.get("category") or None,
        channel_code=params.get("channel") or None,
        variants=variants,
        appeals=params.get("appeals", "exclude"),  # type: ignore[arg-type]
        as_of=now,
        backend=params.get("backend", "sql"),  # type: ignore[arg-type]
        page=_int(params.get("page"), 1),
        page_size=_int(params.get("page_size"), 50),
    )


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        raise InvalidInput(f"应为整数：{value!r}", field="page") from None


@router.get("/api/assessment/drill")
def drill_json(request: Request, db: SessionDep, user: Reader, now: NowDep) -> dict[str, Any]:
    """The complaints behind one figure of the assessment engine (same arguments)."""
    return _drill(db, dict(request.query_params), now).to_dict()


@router.get("/assessment/drill", include_in_schema=False)
def drill_page(request: Request, db: SessionDep, user: Reader, now: NowDep) -> Response:
    params = dict(request.query_params)
    result = _drill(db, params, now)
    kept = {k: v for k, v in params.items() if k in _PASSED or k in ("from", "to", "period")}

    def page_url(number: int) -> str:
        return "/assessment/drill?" + urlencode({**kept, "page": number})

    context = {
        "d": result,
        "page_url": page_url,
        "json_url": "/api/assessment/drill?" + urlencode({**kept, "page": result.page}),
    }
    return render(request, "assessment/drill.html", context)
