"""Staff pages of street-order inspections (街面保序检查): the list, the form, the CSV import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.assessment import inspections as service
from civicdesk.errors import InvalidInput
from civicdesk.web.deps import NowDep, SessionDep, check_csrf, render, require_roles
from civicdesk.web.forms import field_errors

router = APIRouter(include_in_schema=False)
# Inspections are recorded by the centre's supervisors and the assessors.
Recorder = Annotated[User, Depends(require_roles(Role.dispatcher, Role.leader, Role.admin))]
MAX_CSV_BYTES = 2 * 1024 * 1024


def _context(db: Session, **extra: Any) -> dict[str, Any]:
    return {
        "rows": service.list_inspections(db),
        "form": {},
        "errors": {},
        "columns": ",".join((*service.CSV_COLUMNS, "note")),
    } | extra


@router.get("/assessment/inspections")
def inspections_page(request: Request, db: SessionDep, user: Recorder, done: str = "") -> Response:
    return render(request, "assessment/inspection_list.html", _context(db, flash=done))


@router.post("/assessment/inspections")
async def record_page(request: Request, db: SessionDep, user: Recorder, now: NowDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    try:
        data = service.InspectionCreate.model_validate({k: (v or None) for k, v in values.items()})
        service.record_inspection(db, data, actor=user, now=now)
    except ValidationError as exc:
        context = _context(db, form=values, errors=field_errors(exc))
        return render(request, "assessment/inspection_list.html", context, status_code=422)
    except InvalidInput as exc:
        errors = {exc.field or "__all__": exc.message}
        context = _context(db, form=values, errors=errors)
        return render(request, "assessment/inspection_list.html", context, status_code=422)
    return RedirectResponse("/assessment/inspections?done=recorded", status_code=303)


@router.post("/assessment/inspections/import")
async def import_page(request: Request, db: SessionDep, user: Recorder, now: NowDep) -> Response:
    async with request.form(max_files=1, max_fields=10) as form:
        check_csrf(request, str(form.get("csrf", "")))
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise InvalidInput("请选择 CSV 文件", field="file")
        raw, filename = await upload.read(MAX_CSV_BYTES + 1), upload.filename
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidInput("CSV 文件超过 2 MB，请分批导入", field="file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "CSV 文件应为 UTF-8 编码（Excel：另存为“CSV UTF-8”）", field="file"
        ) from None
    result = service.import_csv(db, text, filename=filename, actor=user, now=now)
    if result.errors:
        context = _context(db, import_errors=result.errors)
        return render(request, "assessment/inspection_list.html", context, status_code=422)
    return RedirectResponse(
        f"/assessment/inspections?done=imported-{result.imported}-{result.already_present}",
        status_code=303,
    )
