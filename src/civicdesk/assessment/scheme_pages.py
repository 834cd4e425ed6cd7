"""Staff pages of the assessment schemes: the scheme list, a period's scores, publishing, and the
published versions with what changed between them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.assessment import publication as pub
from civicdesk.assessment.measures import MEASURES
from civicdesk.assessment.schemes import Scheme, get_scheme, list_schemes
from civicdesk.assessment.scorecard import Scorecard, assessed_units, score
from civicdesk.assessment.scoring import STATUS_LABELS
from civicdesk.clock import to_local
from civicdesk.errors import DomainError
from civicdesk.reports.periods import Period, parse_date
from civicdesk.web.deps import NowDep, SessionDep, check_csrf, render, require_roles

router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(require_roles(Role.leader, Role.dispatcher, Role.admin))]
Publisher = Annotated[User, Depends(require_roles(Role.leader, Role.admin))]
DateFrom = Annotated[str, Query(alias="from")]
DateTo = Annotated[str, Query(alias="to")]


def default_period(now: Any) -> Period:
    """1 January to the end of last month (a month not yet over is not assessed by default)."""
    today = to_local(now).date()
    first = date(today.year, today.month, 1)
    if today.month == 1:
        return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    end = date.fromordinal(first.toordinal() - 1)
    return Period(date(today.year, 1, 1), end)


def chosen_period(now: Any, date_from: str, date_to: str) -> Period:
    default = default_period(now)
    start = parse_date(date_from, field="from") if date_from else default.start
    end = parse_date(date_to, field="to") if date_to else default.end
    return Period(start, end)


@router.get("/assessment/schemes")
def schemes_page(request: Request, db: SessionDep, user: Viewer) -> Response:
    rows = []
    for row in list_schemes(db):
        scheme = Scheme.model_validate(row.document)
        rows.append({"row": row, "scheme": scheme})
    names = {key: m.name for key, m in MEASURES.items()}
    return render(request, "assessment/scheme_list.html", {"schemes": rows, "names": names})


def drill_url(
    card: Scorecard, measure: str | None, key: int | None, part: str = "numerator"
) -> str:
    """H1's drill-down behind a figure (the complaints it counts)."""
    if not measure or key is None:
        return ""
    params = {
        "measure": measure,
        "from": card.period.start.isoformat(),
        "to": card.period.end.isoformat(),
        "by": card.scheme.assess.by,
        "key": str(key),
        "part": part,
    }
    return f"/assessment/drill?{urlencode(params)}"


def scores_context(db: Session, card: Scorecard) -> dict[str, Any]:
    ids = {u.code: u.id for u in assessed_units(db, card.scheme)}
    measures = {i.code: i.measure for i in card.scheme.indicators}
    links = {
        (r.code, i.code): drill_url(card, measures.get(i.code), ids.get(r.code))
        for r in card.results
        for i in r.indicators
    }
    return {"card": card, "links": links, "status_labels": STATUS_LABELS}


@router.get("/assessment/scores")
def scores_page(
    request: Request,
    db: SessionDep,
    user: Viewer,
    now: NowDep,
    scheme: str = "",
    date_from: DateFrom = "",
    date_to: DateTo = "",
    done: str = "",
) -> Response:
    schemes = list_schemes(db)
    code = scheme or (schemes[0].code if schemes else "")
    context: dict[str, Any] = {
        # list_schemes gives each code's newest version first: keep that one per code.
        "schemes": list({row.code: row for row in reversed(schemes)}.values())[::-1],
        "params": {"scheme": code, "from": date_from, "to": date_to},
        "flash": done,
        "can_publish": user.role in (Role.leader, Role.admin),
    }
    try:
        period = chosen_period(now, date_from, date_to)
        context["params"] |= {"from": period.start.isoformat(), "to": period.end.isoformat()}
        found, _ = get_scheme(db, code)
        card = score(db, found, period, as_of=now)
    except DomainError as exc:
        # A bad date, an unknown scheme, a period without data: said beside the form.
        return render(
            request, "assessment/scheme_scores.html", context | {"error": exc.message}, 422
        )
    latest = pub.latest(db, code, period)
    context |= scores_context(db, card) | {"published": latest}
    return render(request, "assessment/scheme_scores.html", context)


@router.post("/assessment/publish")
async def publish_page(request: Request, db: SessionDep, user: Publisher, now: NowDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    code = str(form.get("scheme", ""))
    period = Period(
        parse_date(str(form.get("from", "")), field="from"),
        parse_date(str(form.get("to", "")), field="to"),
    )
    publication = pub.publish(
        db,
        scheme_code=code,
        period=period,
        actor=user,
        now=now,
        note=str(form.get("note", "")) or None,
    )
    return RedirectResponse(f"/assessment/publications/{publication.id}", status_code=303)


@router.get("/assessment/publications")
def publications_page(request: Request, db: SessionDep, user: Viewer) -> Response:
    return render(
        request, "assessment/publication_list.html", {"publications": pub.list_publications(db)}
    )


@router.get("/assessment/publications/{publication_id}")
def publication_page(
    request: Request, publication_id: int, db: SessionDep, user: Viewer
) -> Response:
    publication = pub.get_publication(db, publication_id)
    return render(
        request,
        "assessment/publication_detail.html",
        {"p": publication, "doc": publication.document, "status_labels": STATUS_LABELS},
    )
