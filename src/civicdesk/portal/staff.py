"""Staff's view of the photos citizens uploaded with a case's complaints (same access as the
case page: unit staff only for their own unit's cases)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select

from civicdesk.cases.service import ensure_can_see, get_case
from civicdesk.errors import NotFound
from civicdesk.intake.models import Complaint
from civicdesk.portal.models import Attachment
from civicdesk.portal.uploads import MediaStore
from civicdesk.web.deps import CurrentUser, SessionDep, render

router = APIRouter(include_in_schema=False)


def _photos(db: SessionDep, number: str, user: CurrentUser) -> list[Attachment]:
    case = get_case(db, number)
    ensure_can_see(case, user)
    return list(
        db.scalars(
            select(Attachment)
            .join(Complaint, Complaint.id == Attachment.complaint_id)
            .where(Complaint.case_id == case.id)
            .order_by(Attachment.id)
        )
    )


@router.get("/cases/{number}/photos")
def case_photos(request: Request, number: str, db: SessionDep, user: CurrentUser) -> Response:
    photos = _photos(db, number, user)
    return render(request, "cases/photos.html", {"number": number, "photos": photos})


@router.get("/cases/{number}/photos/{photo_id}")
def case_photo(
    request: Request, number: str, photo_id: int, db: SessionDep, user: CurrentUser
) -> Response:
    photo = next((p for p in _photos(db, number, user) if p.id == photo_id), None)
    if photo is None:
        raise NotFound("照片不存在")
    path = MediaStore(request.app.state.settings.media_dir).path(photo.stored_name)
    response = FileResponse(path, media_type=photo.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
