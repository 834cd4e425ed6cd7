"""The staff page of the citizen inbox (网上投诉受理队列): the backlog, and the submissions
intake set aside, with what staff can do about them (``portal.review``).

Centre roles see it; leaders read only; unit staff are refused like on the other centre
pages. Acting (retry, manual entry) is for the roles that record complaints.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from civicdesk.accounts.models import Role, User
from civicdesk.accounts.policy import sees_personal_data
from civicdesk.portal import review
from civicdesk.web.deps import NowDep, SessionDep, check_csrf, render, require_roles

router = APIRouter(include_in_schema=False)
Viewer = Annotated[
    User, Depends(require_roles(Role.operator, Role.dispatcher, Role.leader, Role.admin))
]
Actor = Annotated[User, Depends(require_roles(Role.operator, Role.dispatcher, Role.admin))]
ACTORS = (Role.operator, Role.dispatcher, Role.admin)
FLASHES = {
    "retried": "已重新受理：该条已退回受理队列，将由后台自动受理",
    "entered": "已标记为人工录入",
}


@router.get("/portal/inbox")
def inbox_page(
    request: Request,
    db: SessionDep,
    user: Viewer,
    now: NowDep,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    overview = review.overview(db, now=now)
    context = {
        "overview": overview,
        "age": _age(now - overview.oldest_pending) if overview.oldest_pending else "",
        "found": review.failed_page(db, page=page, personal=sees_personal_data(user)),
        "can_act": user.role in ACTORS,
        "flash": FLASHES.get(request.query_params.get("done", "")),
        "flash_number": request.query_params.get("number", ""),
    }
    return render(request, "portal/staff_inbox.html", context)


def _age(waited: timedelta) -> str:
    minutes = max(0, int(waited.total_seconds() // 60))
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} 天 {hours} 小时"
    return f"{hours} 小时 {minutes} 分钟" if hours else f"{minutes} 分钟"


@router.post("/portal/inbox/{item_id}/retry")
async def retry(
    request: Request, item_id: int, db: SessionDep, user: Actor, now: NowDep
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    number = review.retry(db, item_id, actor=user, now=now)
    return RedirectResponse(f"/portal/inbox?done=retried&number={number}", status_code=303)


@router.get("/portal/inbox/{item_id}/manual")
def manual_form(request: Request, item_id: int, db: SessionDep, user: Actor) -> Response:
    """The ordinary intake form, filled in from the failed row; it posts to /intake."""
    from civicdesk.intake.pages import _choices

    values = review.prefill(db, item_id)
    notice = (
        f"转人工录入：网上投诉 {values['upstream_ref']}。请核对后提交；提交后回到"
        "“网上投诉受理队列”点击“标记为已人工录入”。"
    )
    context = {"values": values, "errors": {}, "notice": notice, **_choices(db)}
    return render(request, "intake/form.html", context)


@router.post("/portal/inbox/{item_id}/entered")
async def mark_entered(
    request: Request, item_id: int, db: SessionDep, user: Actor, now: NowDep
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    case_number = str(form.get("case_number", "")).strip() or None
    case = review.mark_entered(db, item_id, case_number=case_number, actor=user, now=now)
    return RedirectResponse(f"/portal/inbox?done=entered&number={case.number}", status_code=303)
