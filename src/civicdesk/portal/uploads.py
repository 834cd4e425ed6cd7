"""Photos from citizens: the type from the bytes (never the name or the browser's claim), size
and count limits, and storage under generated names inside the media directory."""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from civicdesk.clock import to_local
from civicdesk.errors import InvalidInput

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def sniff(head: bytes) -> str | None:
    """The photo type from its magic bytes: JPEG, PNG or WebP; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def clean_name(name: str | None) -> str | None:
    """The uploaded name for display: no directories, no control characters, bounded length.
    It is only ever shown (escaped); files are stored under generated names."""
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    return base[:120] or None


@dataclass(frozen=True)
class Photo:
    """A checked upload, not yet stored."""

    data: bytes
    content_type: str
    original_name: str | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def check_photo(data: bytes, name: str | None, *, max_bytes: int, index: int) -> Photo:
    label = f"第{index}张照片"
    if not data:
        raise InvalidInput(f"{label}是空文件", field="photos")
    if len(data) > max_bytes:
        raise InvalidInput(
            f"{label}超过 {max_bytes / 1024 / 1024:g} MB，请压缩后再上传", field="photos"
        )
    content_type = sniff(data[:16])
    if content_type is None:
        raise InvalidInput(f"{label}不是 JPEG、PNG 或 WebP 图片", field="photos")
    return Photo(data, content_type, clean_name(name))


@dataclass(frozen=True)
class Stored:
    photo: Photo
    stored_name: str  # relative to the media directory


class MediaStore:
    """Files under one directory, named ``YYYY/MM/<random>.<ext>``; written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def save(self, photo: Photo, *, now: datetime) -> Stored:
        local = to_local(now)
        relative = f"{local:%Y/%m}/{secrets.token_hex(16)}.{EXTENSIONS[photo.content_type]}"
        path = self.path(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".part")
        with open(temp, "wb") as handle:
            handle.write(photo.data)
        os.replace(temp, path)
        return Stored(photo, relative)

    def path(self, relative: str) -> Path:
        """The file of a stored name; refuses anything that would leave the media directory."""
        root = self.root.resolve()
        path = (root / relative).resolve()
        if root not in path.parents:
            raise InvalidInput("无效的文件路径")
        return path

    def discard(self, stored: list[Stored]) -> None:
        """Remove files written for a submission that was then refused or failed."""
        for item in stored:
            self.path(item.stored_name).unlink(missing_ok=True)
