"""The in-memory form parser of the public POSTs (portal.forms.parse_form) against Starlette's:
wherever the fast path answers, it answers exactly what Starlette's parser gives."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

from civicdesk.portal.forms import _multipart, _urlencoded

B = "----civicdeskTest7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={B}"
URLENCODED = "application/x-www-form-urlencoded"


def _shown(form: FormData) -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = value.file.read()
            value.file.seek(0)
            shown = (value.filename, value.size, data, value.headers.raw, value.file.tell())
            items.append((name, shown))
            value.file.close()
        else:
            items.append((name, value))
    return items


def _run(coroutine: Any) -> Any:
    """Run Starlette's parser on an event loop of its own thread (a browser test before this
    one may have left Playwright's loop running in the main thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _starlette(content_type: str, body: bytes, max_files: int, max_fields: int) -> Any:
    async def stream() -> Any:
        yield body
        yield b""

    headers = Headers({"content-type": content_type})
    try:
        if content_type == URLENCODED:
            form = _run(FormParser(headers, stream(), max_fields=max_fields).parse())
        else:
            parser = MultiPartParser(headers, stream(), max_files=max_files, max_fields=max_fields)
            form = _run(parser.parse())
    except MultiPartException as exc:
        return ("error", exc.message)
    return _shown(form)


def _agrees(content_type: str, body: bytes, max_files: int = 5, max_fields: int = 50) -> bool:
    """True when the fast path answers as Starlette does; False when it leaves it to Starlette."""
    if content_type == URLENCODED:
        fast = _urlencoded(body, max_fields=max_fields)
    else:
        params = {b"boundary": B.encode()}
        fast = _multipart(body, params, max_files=max_files, max_fields=max_fields)
    if fast is None:
        return False
    assert _shown(fast) == _starlette(content_type, body, max_files, max_fields), body
    return True


def part(name: str, value: str, extra: str = "") -> str:
    return f'--{B}\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n\r\n{value}\r\n'


def browser_form(**fields: str) -> bytes:
    body = "".join(part(k, v) for k, v in fields.items())
    empty_file = (
        f'--{B}\r\nContent-Disposition: form-data; name="photos"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
    )
    return (body + empty_file + f"--{B}--\r\n").encode()


def test_the_browser_form_is_read_as_starlette_reads_it():
    body = browser_form(text="门口有人占道摆摊\r\n第二行", phone="13900000001", csrf="x" * 64)
    assert _agrees(MULTIPART, body)


def test_photos_and_odd_but_valid_shapes():
    photo = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    with_photo = (
        part("text", "有照片").encode()
        + f'--{B}\r\nContent-Disposition: form-data; name="photos"; filename="a.png"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode()
        + photo
        + f"\r\n--{B}--".encode()
    )
    assert _agrees(MULTIPART, with_photo)
    # Quoted-pair escapes and parameters in another order go through Starlette's header reader.
    escaped = part('te\\"xt', "v", extra='; filename="C:\\\\dir\\\\b.jpg"') + f"--{B}--\r\n"
    assert _agrees(MULTIPART, escaped.encode())
    assert _agrees(MULTIPART, (part("a", "") + f"--{B}--").encode())
    assert _agrees(MULTIPART, (part("bad", "\xff") + f"--{B}--").encode("latin-1"))


def test_what_the_fast_path_leaves_to_starlette():
    too_many = "".join(part("photos", "", extra=f'; filename="{i}.png"') for i in range(6))
    assert not _agrees(MULTIPART, (too_many + f"--{B}--\r\n").encode())
    assert not _agrees(MULTIPART, (part("a", "1") + f"--{B}").encode())  # unfinished
    assert not _agrees(MULTIPART, (part("a", "1") + f"--{B}--\r\nepilogue").encode())
    no_name = f"--{B}\r\nContent-Disposition: form-data\r\n\r\nv\r\n--{B}--\r\n"
    assert not _agrees(MULTIPART, no_name.encode())
    assert not _agrees(URLENCODED, b"a=1&&b=2")
    assert not _agrees(URLENCODED, b"flag&a=1")


def test_urlencoded_as_starlette_reads_it():
    body = (
        "api_key=o311_x&service_code=street_vendor&lat=30.27&long=120.15&description=%E9%97%A8+a=b"
    )
    assert _agrees(URLENCODED, body.encode())
    assert _agrees(URLENCODED, "description=门口&phone=".encode())
    assert not _agrees(URLENCODED, b"a=1&b=2&c=3", max_fields=2)


_pieces = st.sampled_from(
    [f"--{B}", "\r\n", "\r\n\r\n", "--", "Content-Disposition: form-data; ", 'name="a"', "name=b",
     '; filename="f.png"', "Content-Type: image/png", "X-Y:z", " ", ":", ";", '"', "\\", "值",
     "&", "=", "a", "%E9", "+", "\n", "\r"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_pieces, max_size=24), st.integers(0, 3), st.integers(1, 4))
def test_any_body_either_agrees_or_goes_to_starlette(pieces, max_files, max_fields):
    body = "".join(pieces).encode()
    _agrees(MULTIPART, body, max_files, max_fields)
    _agrees(MULTIPART, browser_form(a="".join(pieces)), max_files, max_fields)
    _agrees(URLENCODED, body, max_files, max_fields)
