"""Reading the public forms: body size before parsing, the multipart parts, the photos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException

from civicdesk.errors import InvalidInput
from civicdesk.portal.uploads import Photo, check_photo
from civicdesk.settings import Settings

FIELD_ROOM = 256 * 1024  # the text fields of a form, generously
MB = 1024 * 1024


class BodyTooLarge(InvalidInput):
    """The request body is larger than a whole form may be (HTTP 413 in the portal)."""


@dataclass(frozen=True)
class UploadLimits:
    max_photos: int
    max_photo_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> UploadLimits:
        return cls(settings.portal_max_photos, int(settings.portal_max_photo_mb * MB))

    @property
    def max_body(self) -> int:
        return self.max_photos * self.max_photo_bytes + FIELD_ROOM


def check_body_size(request: Request, limits: UploadLimits) -> None:
    """Refuse an oversized body from its Content-Length, before a byte of it is read."""
    declared = request.headers.get("content-length")
    if declared is None:
        raise BodyTooLarge("请求缺少长度信息，请使用网页表单提交", field="photos")
    if not declared.isdigit() or int(declared) > limits.max_body:
        raise BodyTooLarge(
            f"提交的内容过大：照片最多 {limits.max_photos} 张，每张不超过 "
            f"{limits.max_photo_bytes / MB:g} MB",
            field="photos",
        )


async def read_form(request: Request, limits: UploadLimits) -> FormData:
    check_body_size(request, limits)
    try:
        return await request.form(max_files=limits.max_photos + 1, max_fields=50)
    except MultiPartException:
        raise InvalidInput(
            f"表单内容有误或照片过多（最多 {limits.max_photos} 张），请检查后重新提交",
            field="photos",
        ) from None


async def photos_of(form: FormData, limits: UploadLimits) -> list[Photo]:
    """The non-empty photo parts, each checked by its bytes; too many is an error."""
    uploads = [
        part
        for part in form.getlist("photos")
        if isinstance(part, UploadFile) and (part.filename or part.size)
    ]
    if len(uploads) > limits.max_photos:
        raise InvalidInput(f"照片最多 {limits.max_photos} 张", field="photos")
    photos = []
    for index, upload in enumerate(uploads, start=1):
        data = await upload.read(limits.max_photo_bytes + 1)
        photos.append(
            check_photo(data, upload.filename, max_bytes=limits.max_photo_bytes, index=index)
        )
    return photos


def text_fields(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    """The named text fields (a file sent in a text field's place counts as empty)."""
    values = {}
    for name in names:
        value = form.get(name)
        values[name] = value.strip() if isinstance(value, str) else ""
    return values


# ---- the body is read before the database session opens ------------------------------------
# Dependencies resolve in the order of the endpoint's parameters: declared before SessionDep,
# these read (and check) the whole body first, so a slow upload never holds a transaction (on
# SQLite: the write lock) open, and the endpoint itself can be a plain function run in the
# thread pool instead of blocking the event loop with database calls.


@dataclass
class PostedForm:
    fields: dict[str, str]
    photos: list[Photo]
    error: InvalidInput | None = None  # the body could not be read: shown on the form


async def _posted(request: Request, limits: UploadLimits, names: tuple[str, ...]) -> PostedForm:
    try:
        form = await read_form(request, limits)
    except InvalidInput as exc:
        return PostedForm({}, [], exc)
    try:
        fields = text_fields(form, (*names, "csrf"))
        try:
            photos = await photos_of(form, limits) if limits.max_photos else []
        except InvalidInput as exc:
            return PostedForm(fields, [], exc)
        return PostedForm(fields, photos)
    finally:
        await form.close()


SUBMIT_FIELDS = ("text", "phone", "name", "address", "area", "longitude", "latitude", "category")
SMALL_FIELDS = ("number", "phone", "satisfaction", "solved", "comment")


async def submission_form(request: Request) -> PostedForm:
    return await _posted(request, UploadLimits.of(request.app.state.settings), SUBMIT_FIELDS)


async def small_form(request: Request) -> PostedForm:
    return await _posted(request, UploadLimits(0, 0), SMALL_FIELDS)


SubmissionForm = Annotated[PostedForm, Depends(submission_form)]
SmallForm = Annotated[PostedForm, Depends(small_form)]
