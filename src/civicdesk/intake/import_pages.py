"""The operator's bulk-import page: upload a hotline export (CSV/.xlsx) and see what it did.

The import is the same as ``civicdesk import`` (``intake.importing.import_file``): all or
nothing unless the operator ticks "跳过有误的行", idempotent on the upstream reference, in
the request's one transaction.
"""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from civicdesk.accounts.models import Role, User
from civicdesk.intake.importing import UnreadableFile, import_file
from civicdesk.intake.models import Channel
from civicdesk.web.deps import NowDep, SessionDep, check_csrf, render, require_roles

router = APIRouter(include_in_schema=False)
Importer = Annotated[User, Depends(require_roles(Role.operator, Role.dispatcher, Role.admin))]
TEMPLATE = "intake/import.html"
# By name, not by the part's content type: browsers on Windows send CSV as
# application/vnd.ms-excel. The importer then decides by content (zip → .xlsx, else text).
SUFFIXES = (".csv", ".xlsx")
MB = 1024 * 1024  # as the CLI's --max-mb counts
# Multipart framing and the small fields beside the file: a request declaring more than the
# file limit plus this is refused before its body is read.
FORM_OVERHEAD = 64 * 1024
WRONG_TYPE = "只能导入 CSV 或 Excel（.xlsx）文件；旧版 .xls 请先在 Excel 或 WPS 中另存为 .xlsx"
SHOWN_ERRORS = 200  # a 50,000-row file with a wrong column would otherwise render for minutes


@router.get("/intake/import")
def import_form(request: Request, db: SessionDep, user: Importer) -> Response:
    return _page(request, db, {})


@router.post("/intake/import")
async def import_upload(request: Request, db: SessionDep, user: Importer, now: NowDep) -> Response:
    limit = request.app.state.settings.max_upload_mb * MB
    if _declared_length(request) > limit + FORM_OVERHEAD:
        return _page(request, db, {"error": _too_large(request)}, 413)
    # As a context manager, so that the spooled upload is closed (and its temporary file gone).
    async with request.form(max_files=1, max_fields=10) as form:
        check_csrf(request, str(form.get("csrf", "")))
        channel = str(form.get("channel") or "").strip() or None
        skip_invalid = form.get("skip_invalid") == "1"
        values = {"channel": channel or "", "skip_invalid": skip_invalid}
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _page(request, db, {"values": values, "error": "请选择要导入的文件"}, 422)
        if Path(upload.filename).suffix.lower() not in SUFFIXES:
            return _page(request, db, {"values": values, "error": WRONG_TYPE}, 415)
        with TemporaryDirectory(prefix="civicdesk-import-") as tmp:
            path = Path(tmp) / "upload"
            if not await _save(upload, path, limit):
                return _page(request, db, {"values": values, "error": _too_large(request)}, 413)
            try:
                # A large file takes seconds to validate and write: off the event loop.
                report = await run_in_threadpool(
                    import_file,
                    db,
                    path,
                    now=now,
                    actor=user,
                    channel=channel,
                    skip_invalid=skip_invalid,
                    max_bytes=limit,
                    filename=upload.filename,
                )
            except UnreadableFile as exc:
                context = {"values": values, "error": _for_the_page(exc.message)}
                return _page(request, db, context, 422)
    context = {"values": values, "report": report, "shown_errors": report.errors[:SHOWN_ERRORS]}
    return _page(request, db, context, 422 if report.errors and not report.written else 200)


def _page(
    request: Request, db: SessionDep, context: dict[str, Any], status_code: int = 200
) -> Response:
    channels = list(db.scalars(select(Channel).order_by(Channel.sort_order, Channel.code)))
    base = {
        "channels": channels,
        "values": {"channel": "", "skip_invalid": False},
        "limit_mb": request.app.state.settings.max_upload_mb,
        "report": None,
        "error": None,
    }
    return render(request, TEMPLATE, {**base, **context}, status_code=status_code)


def _declared_length(request: Request) -> int:
    try:
        return int(request.headers.get("content-length", "0"))
    except ValueError:
        return 0


async def _save(upload: UploadFile, path: Path, limit: int) -> bool:
    """Copy the upload to a file the importer can open; False when it exceeds the limit (a
    chunked request declares no length, so the size is only known while reading)."""
    if upload.size is not None and upload.size > limit:
        return False
    written = 0
    with path.open("wb") as target:
        while chunk := await upload.read(MB):
            written += len(chunk)
            if written > limit:
                return False
            target.write(chunk)
    return True


def _too_large(request: Request) -> str:
    limit_mb = request.app.state.settings.max_upload_mb
    return f"文件过大：上传文件不能超过 {limit_mb} MB。请拆分成几个文件分别导入"


def _for_the_page(message: str) -> str:
    # The importer's messages name the CLI option; on this page it is the channel select.
    return message.replace("请用 --channel 指定渠道", "请在“渠道”中选择").replace(
        "（--channel）", ""
    )
