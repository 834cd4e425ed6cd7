"""Reading the public forms: body size before parsing, the multipart parts, the photos."""

from __future__ import annotations

import re
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import Depends, Request
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser

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
        return await parse_form(request, max_files=limits.max_photos + 1, max_fields=50)
    except (MultiPartException, HTTPException):
        # Inside an application Starlette's ``request.form()`` turns its parser's error (too
        # many files or fields, a malformed body) into a bare 400; the citizen gets the form
        # back with a message instead.
        raise InvalidInput(
            f"表单内容有误或照片过多（最多 {limits.max_photos} 张），请检查后重新提交",
            field="photos",
        ) from None


# ---- parsing: Starlette's result, faster for the small well-formed bodies of the hot path --------
# Starlette's parsers (python-multipart) call back into Python for every header and piece of a
# part: a third of the door's CPU. A body up to FIELD_ROOM (a form without photos, any Open311
# POST; Starlette keeps such a body in memory too) is read at once and split with bytes
# methods when it has the plain shape browsers and clients send; anything else (a header or
# layout the fast path does not know, too many parts) goes to Starlette's parser, which gives
# the same items and the same errors as before. tests/portal/test_forms.py compares the two.

FAST_BODY = FIELD_ROOM
_TOKEN = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~"
_DISPOSITION = re.compile(rb'form-data; name="([^"\\]*)"(?:; filename="([^"\\]*)")?')
_MAX_PART = 1024 * 1024  # Starlette's max_part_size for a text field
_MAX_HEADERS = 8


async def parse_form(request: Request, *, max_files: int, max_fields: int) -> FormData:
    """``request.form(max_files=..., max_fields=...)``, parsed in memory when it may be."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) <= FAST_BODY:
        body = await request.body()
        kind, params = parse_options_header(request.headers.get("content-type"))
        form = None
        if kind == b"multipart/form-data":
            form = _multipart(body, params, max_files=max_files, max_fields=max_fields)
        elif kind == b"application/x-www-form-urlencoded":
            form = _urlencoded(body, max_fields=max_fields)
        if form is not None:
            return form
    # Starlette reads the body kept by request.body() above, or streams it.
    return await request.form(max_files=max_files, max_fields=max_fields)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # as Starlette does with undecodable bytes


def _urlencoded(body: bytes, *, max_fields: int) -> FormData | None:
    segments = body.split(b"&")
    if not body or len(segments) > max_fields:
        return None
    items: list[tuple[str, str | UploadFile]] = []
    for segment in segments:
        name, equals, value = segment.partition(b"=")
        if not equals or not name:  # "&&", "a&", "=x": Starlette's parser decides
            return None
        items.append((unquote_plus(name.decode("latin-1")), unquote_plus(value.decode("latin-1"))))
    return FormData(items)


def _multipart(
    body: bytes, params: dict[bytes, bytes], *, max_files: int, max_fields: int
) -> FormData | None:
    boundary = params.get(b"boundary")
    if not boundary or len(boundary) > 70 or b"charset" in params:
        return None
    if not body.startswith(b"--" + boundary + b"\r\n"):
        return None
    pieces = body[len(boundary) + 2 :].split(b"\r\n--" + boundary)
    if pieces[-1] not in (b"--", b"--\r\n") or len(pieces) < 2:
        return None
    parts = []
    for piece in pieces[:-1]:
        part = _part(piece)
        if part is None:
            return None
        parts.append(part)
    if sum(1 for p in parts if p[1] is not None) > max_files:
        return None
    if sum(1 for p in parts if p[1] is None) > max_fields:
        return None
    items: list[tuple[str, str | UploadFile]] = []
    for name, filename, headers, data in parts:
        if filename is None:
            items.append((name, _decode(data)))
            continue
        # Closed with the form (``FormData.close``), as Starlette's parser leaves it.
        file = SpooledTemporaryFile(max_size=MultiPartParser.spool_max_size)  # noqa: SIM115
        file.write(data)
        file.seek(0)
        upload = UploadFile(file, size=len(data), filename=filename, headers=Headers(raw=headers))
        items.append((name, upload))
    return FormData(items)


def _part(piece: bytes) -> tuple[str, str | None, list[tuple[bytes, bytes]], bytes] | None:
    """(name, filename or None, headers, data) of a part: CRLF, headers, a blank line, data."""
    end = piece.find(b"\r\n\r\n")
    if not piece.startswith(b"\r\n") or end <= 2 or end > 4096:
        return None
    lines = piece[2:end].split(b"\r\n")
    if len(lines) > _MAX_HEADERS:
        return None
    headers, disposition = [], None
    for line in lines:
        field, colon, value = line.partition(b":")
        if (
            not colon
            or not field
            or field.translate(None, _TOKEN)
            or b"\r" in line
            or b"\n" in line
        ):
            return None
        field, value = field.lower(), value.lstrip(b" ")
        if field == b"content-disposition":
            disposition = value
        headers.append((field, value))
    if disposition is None:
        return None
    found = _DISPOSITION.fullmatch(disposition)
    if found is not None:
        raw_name, raw_filename = found[1], found[2]
    else:
        options = parse_options_header(disposition)[1]
        if b"name" not in options:
            return None
        raw_name, raw_filename = options[b"name"], options.get(b"filename")
    data = piece[end + 4 :]
    if raw_filename is None and len(data) > _MAX_PART:
        return None
    filename = None if raw_filename is None else _decode(raw_filename)
    return _decode(raw_name), filename, headers, data


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
