"""Bulk import of complaints forwarded by hotlines (CSV/Excel): read, validate, then write.

Three phases, so that nothing is ever half-imported (docs/import.md):

1. **read** — the file's encoding is decided strictly (UTF-8, then GB18030, a detector only as a
   last resort, refusal rather than mojibake); rows are streamed, headers (English or the
   Chinese names hotline exports use) mapped to fields;
2. **validate** — every row is checked in memory with ``ComplaintCreate`` and the reference data
   (channel, category, area by code or Chinese name); rows already on record (same channel and
   upstream reference, in the database or earlier in the file) are skipped, not counted twice;
3. **write** — only if no row failed (or ``skip_invalid``): cases, complaints and their
   "receive" history events are bulk-inserted in the caller's transaction, with exactly the
   fields ``intake.service.record_complaint`` gives a complaint that opens a case.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import charset_normalizer
from psycopg import errors as pg_errors
from pydantic import ValidationError
from sqlalchemy import JSON, insert, select
from sqlalchemy import Table as SqlTable
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.cases.numbering import SEQ_DIGITS, day_prefix, next_case_number
from civicdesk.clock import require_aware
from civicdesk.core.workflow import CaseAction, CaseStatus
from civicdesk.db import UTCDateTime
from civicdesk.errors import InvalidInput
from civicdesk.intake.models import Channel, Complaint, ImportBatch
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.intake.service import TITLE_LENGTH, Lookups, _received_at, record_complaint
from civicdesk.org.models import Area, AreaLevel
from civicdesk.org.service import Placement

FIELDS = ("channel", "upstream_ref", "received_at", "complainant_name", "complainant_phone",
          "title", "text", "address", "longitude", "latitude", "category", "area")
LABELS = {"channel": "渠道", "upstream_ref": "工单号", "received_at": "来电时间",
          "complainant_name": "投诉人", "complainant_phone": "联系电话", "title": "标题",
          "text": "投诉内容", "address": "地址", "longitude": "经度", "latitude": "纬度",
          "category": "类别", "area": "区域"}
# Header names as hotline exports write them; matched after _normalise_header.
ALIASES: dict[str, tuple[str, ...]] = {
    "channel": ("渠道", "来源", "来源渠道", "投诉渠道", "渠道代码"),
    "upstream_ref": ("工单号", "来源工单号", "编号", "工单编号", "来源编号", "流水号", "受理编号",
                     "ref", "ticket"),
    "received_at": ("来电时间", "受理时间", "投诉时间", "登记时间", "来信时间", "反映时间",
                    "received", "time"),
    "complainant_name": ("投诉人", "姓名", "投诉人姓名", "来电人", "联系人", "name"),
    "complainant_phone": ("联系电话", "电话", "手机", "手机号", "来电号码", "投诉人电话", "phone"),
    "title": ("标题", "主题", "工单标题"),
    "text": ("投诉内容", "内容", "诉求内容", "问题描述", "来电内容", "详细内容", "content"),
    "address": ("地址", "事发地址", "事发地点", "发生地址", "问题地址"),
    "longitude": ("经度", "lng", "lon"),
    "latitude": ("纬度", "lat"),
    "category": ("类别", "问题类别", "投诉类别", "问题分类", "分类", "类别代码"),
    "area": ("区域", "街道", "区域代码", "街道代码", "所属街道", "所属区域"),
}
# Without a ticket number a re-run could not be recognised; without a time the complaint would
# be counted on the day of the import, which would distort every period's figures.
REQUIRED = ("upstream_ref", "received_at", "text")
HEADER_SCAN_ROWS = 10  # exports often put a title line or two above the header row
WRITE_CHUNK = 2000
WRITE_RETRIES = 3
GB_PLAUSIBLE = 0.9  # share of non-ASCII characters of a GB18030 reading that must be GB2312
# What the detector may decide, as a last resort: traditional-Chinese exports. (UTF-16 is
# recognised by its BOM; without one, a detector "finds" UTF-16 in any even-length byte soup.)
ACCEPTED_GUESSES = frozenset({"big5", "big5hkscs", "cp950"})
EXCEL_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+\d+$")
# 2025-03-04 09:12 · 2025/3/4 9:12:00 · 2025.3.4 · 2025年3月4日 9时12分(30秒) · 9点12分
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:[\sT]*(\d{1,2})\s*[:时点]\s*(\d{1,2})\s*(?:[:分]\s*(?:(\d{1,2})(?:\.\d+)?\s*秒?)?)?)?$"
)

Progress = Callable[[str, int, int | None], None]  # (phase "read"/"write", done, total or None)


class UnreadableFile(InvalidInput):
    """The file as a whole cannot be imported: format, encoding, missing columns (CLI exit 2)."""

    def __init__(self, message: str, *, columns_found: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.columns_found = list(columns_found)


@dataclass(frozen=True)
class RowError:
    row: int  # as the user sees it in the file: the header is row 1
    column: str | None  # the column's header as written in the file
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行 {self.column}：{self.message}" if self.column else \
            f"第{self.row}行：{self.message}"


@dataclass(frozen=True)
class Skipped:
    row: int
    upstream_ref: str
    reason: str  # "已存在，跳过" or "与第N行重复，跳过"


@dataclass
class ImportReport:
    filename: str
    sha256: str
    encoding: str | None = None  # None for Excel
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field → header in the file
    ignored_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    imported: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    failed_rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (row, cells as text)
    headers: list[str] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    batch_id: int | None = None
    previous_import: tuple[int, datetime] | None = None  # same sha256 imported before
    read_seconds: float = 0.0
    write_seconds: float = 0.0

    @property
    def already_present(self) -> int:
        return len(self.skipped)

    @property
    def failed(self) -> int:
        return len(self.failed_rows)

    @property
    def rate(self) -> float:
        """Rows per second over the whole import (read, validate and write)."""
        seconds = self.read_seconds + self.write_seconds
        return self.rows_read / seconds if seconds > 0 else 0.0


# ---- reading ---------------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    header_row: int
    columns: dict[str, int]  # field → index
    ignored: list[str]
    rows: Iterator[tuple[int, Sequence[Any]]]  # (row number in the file, cells)
    encoding: str | None
    sheet: str | None


def _normalise_header(text: object) -> str:
    value = str(text or "").strip().lstrip("\ufeff*＊").strip()
    value = re.sub(r"[（(][^）)]*[）)]$", "", value)  # 经度(GCJ-02), 街道（乡镇）
    return re.sub(r"[\s\-_:：]+", "", value.lower())  # "Upstream Ref", "upstream_ref", "来电 时间"


_HEADER_INDEX = {_normalise_header(name): f for f in FIELDS for name in (f, *ALIASES[f])}


def _map_headers(headers: Sequence[Any]) -> tuple[dict[str, int], list[str], dict[str, list[str]]]:
    columns: dict[str, int] = {}
    ignored: list[str] = []
    clashes: dict[str, list[str]] = {}
    for index, header in enumerate(headers):
        name = str(header or "").strip()
        target = _HEADER_INDEX.get(_normalise_header(header))
        if target is None:
            if name:
                ignored.append(name)
            continue
        if target in columns:
            clashes.setdefault(target, [str(headers[columns[target]])]).append(name)
            continue
        columns[target] = index
    return columns, ignored, clashes


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV file, decided strictly; refuses rather than guessing badly."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(path, "utf-8-sig"):
        return "utf-8-sig"
    if _decodes(path, "gb18030") and _plausible_gb(path):
        return "gb18030"
    guess = charset_normalizer.from_path(path).best()
    if guess is not None and guess.encoding in ACCEPTED_GUESSES and guess.percent_chaos < 5 \
            and _decodes(path, guess.encoding) and _mostly_chinese(path, guess.encoding):
        return guess.encoding
    raise UnreadableFile(
        "无法识别文件编码：既不是 UTF-8，也不是 GBK/GB18030。请在 Excel 或 WPS 中"
        "另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后再导入"
    )


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _plausible_gb(path: Path) -> bool:
    # Any byte soup of Big5 or Latin-1 also "decodes" as GB18030; real Chinese text is almost
    # entirely in the GB2312 set, mojibake is not.
    with path.open("rb") as handle:
        sample = handle.read(1 << 20).decode("gb18030", errors="ignore")
    wide = Counter(ch for ch in sample if ch > "\x7f")
    if not wide:
        return True
    good = sum(n for ch, n in wide.items() if _in_gb2312(ch))
    return good / wide.total() >= GB_PLAUSIBLE


def _mostly_chinese(path: Path, encoding: str) -> bool:
    with path.open("rb") as handle:
        sample = handle.read(1 << 20).decode(encoding, errors="ignore")
    wide = [ch for ch in sample if ch > "\x7f"]
    chinese = sum(1 for ch in wide if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
                  or "\uff00" <= ch <= "\uffef")
    return not wide or chinese / len(wide) >= GB_PLAUSIBLE


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@contextmanager
def open_table(path: Path, *, sheet: str | None = None) -> Iterator[Table]:
    """The rows of a CSV or .xlsx file, streamed, with the header row found and mapped."""
    if not path.is_file():
        raise UnreadableFile(f"文件不存在：{path}")
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再导入")
    if magic.startswith(b"PK\x03\x04"):
        with _xlsx_rows(path, sheet) as (name, rows):
            yield _table(rows, encoding=None, sheet=name)
    else:
        if sheet:
            raise UnreadableFile("--sheet 只适用于 Excel 文件")
        encoding = detect_encoding(path)
        with path.open(encoding=encoding, newline="", errors="strict") as handle:
            yield _table(_csv_rows(handle), encoding=encoding, sheet=None)


def _csv_rows(handle: Any) -> Iterator[tuple[int, Sequence[Any]]]:
    first = handle.readline()
    handle.seek(0)
    delimiter = max(",\t;", key=first.count) if first else ","
    reader = csv.reader(handle, delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as exc:
        raise UnreadableFile(f"第{number + 1}行CSV格式错误：{exc}") from None


@contextmanager
def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[tuple[str, Iterator[Any]]]:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # A file object, not the path: openpyxl refuses names not ending in .xlsx, but an upload
    # may be called anything; the content (a zip) decided that this is Excel.
    with path.open("rb") as handle:
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise UnreadableFile(
                f"无法读取Excel文件（{type(exc).__name__}）：不是有效的 .xlsx 文件") from None
        try:
            if sheet is not None and sheet not in book.sheetnames:
                names = "、".join(book.sheetnames)
                raise UnreadableFile(f"工作表“{sheet}”不存在；文件中的工作表：{names}")
            ws = book[sheet] if sheet is not None else book.worksheets[0]
            # Some generators write a wrong <dimension>; read-only mode would then cut rows.
            ws.reset_dimensions()  # type: ignore[union-attr]
            yield ws.title, enumerate(ws.iter_rows(values_only=True), start=1)
        finally:
            book.close()


def _table(rows: Iterator[tuple[int, Sequence[Any]]], *, encoding: str | None,
           sheet: str | None) -> Table:
    scanned: list[tuple[int, Sequence[Any]]] = []
    header: tuple[int, Sequence[Any]] | None = None
    for number, cells in rows:
        if _blank(cells):
            continue
        scanned.append((number, cells))
        if len(_map_headers(cells)[0]) >= 2:
            header = (number, cells)
            break
        if len(scanned) >= HEADER_SCAN_ROWS:
            break
    if not scanned:
        raise UnreadableFile("文件为空：没有表头，也没有数据行")
    header_row, cells = header or scanned[0]
    headers = [cell_text(h) or "" for h in cells]
    columns, ignored, clashes = _map_headers(headers)
    if clashes:
        detail = "；".join(f"{'、'.join(names)} 都对应“{LABELS[name]}”"
                          for name, names in clashes.items())
        raise UnreadableFile(f"列重复：{detail}。请删除或改名其中一列",
                             columns_found=[h for h in headers if h])
    pending = [(n, c) for n, c in scanned if n > header_row]
    data = _chain(pending, ((n, c) for n, c in rows if not _blank(c)))
    return Table(headers, header_row, columns, ignored, data, encoding, sheet)


def _chain(first: list[tuple[int, Sequence[Any]]], rest: Iterator[tuple[int, Sequence[Any]]]
           ) -> Iterator[tuple[int, Sequence[Any]]]:
    yield from first
    yield from rest


def _blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def check_columns(table: Table, *, default_channel: str | None) -> None:
    required = set(REQUIRED) | (set() if default_channel else {"channel"})
    missing = [f for f in FIELDS if f in required and f not in table.columns]
    if missing:
        names = "、".join(f"{LABELS[f]}（{f}）" for f in missing)
        hint = "；没有渠道列时请用 --channel 指定渠道" if "channel" in missing else ""
        found = [h for h in table.headers if h]
        raise UnreadableFile(f"缺少必需的列：{names}{hint}。文件中的列（第{table.header_row}行）："
                             + "、".join(found), columns_found=found)


# ---- values ----------------------------------------------------------------------------------


def cell_text(value: Any) -> str | None:
    """A cell as the text a user would see; Excel's integers arrive as floats."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value).strip()
    return text or None


def parse_datetime(value: Any) -> datetime:
    """``2025-03-04 09:12``, ``2025/3/4 9:12:00``, ``2025年3月4日 9时12分``, Excel cells.

    Raises ValueError with the message shown to the user. The result is naive (Beijing time).
    """
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 — Beijing wall time
    if isinstance(value, int | float):
        from openpyxl.utils.datetime import from_excel

        if 1 <= value < 2958466:  # Excel serial days (1900 system) up to 9999-12-31
            return from_excel(value)  # type: ignore[no-any-return]
        raise ValueError(f"无法识别的时间 {cell_text(value)}")
    text = str(value).strip()
    match = _DATE.match(text)
    if match is None:
        try:
            return datetime.fromisoformat(text)  # e.g. with a zone: 2025-03-04T09:12:00+08:00
        except ValueError:
            raise ValueError(f"无法识别的时间 {text}（例如 2025-03-04 09:12）") from None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        raise ValueError(f"日期不存在 {text}") from None
    try:
        return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 — Beijing time
    except ValueError:
        raise ValueError(f"时间不存在 {text}") from None


def parse_number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"不是有效数字 {value}") from None
    if not math.isfinite(number):
        raise ValueError(f"不是有效数字 {value}")
    return number


def _pydantic_message(error: Any) -> str:
    kind, ctx, given = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
    elif kind in ("missing", "string_too_short") or given is None:
        return "不能为空"
    elif kind == "string_too_long":
        return f"过长（最多{ctx.get('max_length')}字）"
    elif kind == "greater_than_equal":
        message = f"超出范围（应不小于{ctx.get('ge'):g}）"
    elif kind == "less_than_equal":
        message = f"超出范围（应不大于{ctx.get('le'):g}）"
    else:
        message = str(error["msg"])
    shown = cell_text(given) if isinstance(given, str | int | float) else None
    return f"{message} {shown}" if shown and len(shown) <= 40 else message


# ---- reference data --------------------------------------------------------------------------


class AreaIndex:
    """All areas in memory: resolve a code or a Chinese name, and place an area (as placement())."""

    _PREFERENCE = (AreaLevel.street, AreaLevel.district, AreaLevel.community, AreaLevel.city)

    def __init__(self, session: Session) -> None:
        self.areas = {a.id: a for a in session.scalars(select(Area))}
        self.by_code = {a.code: a for a in self.areas.values()}
        self.by_name: dict[str, list[Area]] = {}
        self.by_short: dict[str, list[Area]] = {}
        for area in self.areas.values():
            self.by_name.setdefault(area.name, []).append(area)
            self.by_short.setdefault(area.short_name, []).append(area)
        self._placements: dict[int, Placement] = {}
        self._resolved: dict[str, Area | str] = {}  # text → area, or the error message

    def resolve(self, text: str) -> Area:
        """By code; by full name (a street before a district before a community); by
        "区+街道"; by short name if unique. ValueError names the ambiguity."""
        if text not in self._resolved:
            try:
                self._resolved[text] = self._resolve(text)
            except ValueError as exc:
                self._resolved[text] = str(exc)
        found = self._resolved[text]
        if isinstance(found, str):
            raise ValueError(found)
        return found

    def _resolve(self, text: str) -> Area:
        if text in self.by_code:
            return self.by_code[text]
        candidates = self.by_name.get(text) or self._qualified(text)
        if candidates:
            for level in self._PREFERENCE:
                at_level = [a for a in candidates if a.level == level]
                if len(at_level) == 1:
                    return at_level[0]
                if at_level:
                    raise self._ambiguous(text, at_level)
        short = self.by_short.get(text, [])
        if len(short) == 1:
            return short[0]
        if short:
            raise self._ambiguous(text, short)
        raise ValueError(f"未知区域 {text}")

    def _ambiguous(self, text: str, areas: list[Area]) -> ValueError:
        options = "、".join(f"{self._path(a)}（{a.code}）" for a in areas[:5])
        return ValueError(f"区域名称“{text}”不唯一：{options}，请填写代码")

    def _qualified(self, text: str) -> list[Area]:
        # "西湖区西溪街道", "西湖区/西溪街道": a parent's name, then a name below it.
        for name, parents in self.by_name.items():
            if len(name) >= 2 and text.startswith(name) and len(text) > len(name):
                rest = text[len(name):].strip(" /-·、,，")
                below = [a for a in self.by_name.get(rest, [])
                         if any(self._is_below(a, p) for p in parents)]
                if below:
                    return below
        return []

    def _is_below(self, area: Area, ancestor: Area) -> bool:
        node = self.areas.get(area.parent_id) if area.parent_id else None
        while node is not None:
            if node.id == ancestor.id:
                return True
            node = self.areas.get(node.parent_id) if node.parent_id else None
        return False

    def _path(self, area: Area) -> str:
        parent = self.areas.get(area.parent_id) if area.parent_id else None
        if parent is None or parent.level == AreaLevel.city:
            return area.name
        return f"{parent.name}{area.name}"

    def placement(self, area: Area | None) -> Placement:
        """The same walk as ``org.service.placement``, without a query per row."""
        if area is None:
            return Placement(None, None, None)
        if area.id not in self._placements:
            district_id = street_id = None
            node: Area | None = area
            while node is not None:
                if node.level == AreaLevel.district:
                    district_id = node.id
                elif node.level == AreaLevel.street:
                    street_id = node.id
                node = self.areas.get(node.parent_id) if node.parent_id else None
            self._placements[area.id] = Placement(area.id, district_id, street_id)
        return self._placements[area.id]


@dataclass
class References:
    lookups: Lookups
    areas: AreaIndex
    channel_names: dict[str, Channel]
    category_names: dict[str, list[Any]]

    @classmethod
    def load(cls, session: Session) -> References:
        lookups = Lookups.load(session)
        category_names: dict[str, list[Any]] = {}
        for category in lookups.categories.values():
            category_names.setdefault(category.name, []).append(category)
        return cls(lookups, AreaIndex(session),
                   {c.name: c for c in lookups.channels.values()}, category_names)

    def channel(self, text: str) -> Channel:
        found = self.lookups.channels.get(text) or self.channel_names.get(text)
        if found is None:
            raise ValueError(f"未知渠道 {text}")
        return found

    def category(self, text: str) -> str:
        if text in self.lookups.categories:
            return text
        named = self.category_names.get(text, [])
        if len(named) == 1:
            return str(named[0].code)
        if named:
            raise ValueError(f"类别名称“{text}”不唯一，请填写类别代码")
        raise ValueError(f"未知类别 {text}")


# ---- validation ------------------------------------------------------------------------------


@dataclass(slots=True)
class Valid:
    """A row ready to write: the validated complaint and what it resolved to."""

    row: int
    data: ComplaintCreate
    channel: Channel
    category_id: int | None
    place: Placement
    received_at: datetime  # aware, UTC


def validate_row(number: int, cells: Sequence[Any], table: Table, refs: References, *,
                 default_channel: str | None, now: datetime) -> tuple[Valid | None, list[RowError]]:
    """One row checked against ComplaintCreate and the reference data; every problem listed."""
    raw = {f: (cells[i] if i < len(cells) else None) for f, i in table.columns.items()}
    problems = _Problems(number, table)
    fail = problems.add
    values: dict[str, Any] = {name: cell_text(raw.get(name)) for name in
                              ("upstream_ref", "complainant_name", "complainant_phone", "title",
                               "text", "address")}
    channel_text = cell_text(raw.get("channel")) or default_channel
    channel = _resolve(fail, "channel", channel_text, refs.channel)
    values["channel"] = channel.code if channel else "?"  # a bad channel is reported above
    ref = values["upstream_ref"]
    if ref is None:
        fail("upstream_ref", "不能为空（批量导入靠工单号识别重复，以免重复导入）")
    elif EXCEL_SCIENTIFIC.match(ref):
        fail("upstream_ref", f"工单号被 Excel 显示为科学计数法 {ref}，数字已丢失，"
                             "请把该列设为文本格式后重新导出")
    if cell_text(raw.get("received_at")) is None:
        fail("received_at", "不能为空")
    else:
        values["received_at"] = _resolve(fail, "received_at", raw["received_at"], parse_datetime)
    for name in ("longitude", "latitude"):
        values[name] = _resolve(fail, name, raw.get(name), parse_number)
    values["category"] = _resolve(fail, "category", cell_text(raw.get("category")), refs.category)
    area = _resolve(fail, "area", cell_text(raw.get("area")), refs.areas.resolve)
    values["area"] = area.code if area else None
    try:
        data = ComplaintCreate(**values)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else None
            # A value already reported (e.g. an unparsable longitude) is not reported twice.
            if name not in problems.fields and not (
                    name is None and problems.fields & {"longitude", "latitude"}):
                fail(name, _pydantic_message(error))
        return None, problems.in_column_order()
    if problems.fields or channel is None:
        return None, problems.in_column_order()
    try:
        received_at = _received_at(data, now)
    except InvalidInput as exc:
        fail("received_at", f"{exc.message}：{cell_text(raw['received_at'])}")
        return None, problems.in_column_order()
    category = refs.lookups.categories.get(data.category) if data.category else None
    return Valid(number, data, channel, category.id if category else None,
                 refs.areas.placement(area), received_at), []


class _Problems:
    """The problems of one row, named by the column headers as the file writes them."""

    def __init__(self, row: int, table: Table) -> None:
        self.row, self.table = row, table
        self.found: list[tuple[int, RowError]] = []
        self.fields: set[str | None] = set()

    def add(self, name: str | None, message: str) -> None:
        index = self.table.columns.get(name) if name else None
        header = self.table.headers[index] if index is not None else None
        column = header or (LABELS.get(name) if name else None)
        position = len(self.table.headers) if index is None else index
        self.found.append((position, RowError(self.row, column, message)))
        self.fields.add(name)

    def in_column_order(self) -> list[RowError]:
        return [error for _, error in sorted(self.found, key=lambda item: item[0])]


def _resolve(fail: Callable[[str, str], None], name: str, value: Any,
             parse: Callable[[Any], Any]) -> Any:
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        fail(name, str(exc))
        return None


@dataclass
class Plan:
    report: ImportReport
    valid: list[Valid]


def plan_import(session: Session, table: Table, report: ImportReport, *, refs: References,
                default_channel: str | None, now: datetime,
                progress: Progress | None = None) -> Plan:
    """Validate every row in memory and sort rows into new, already present and failed."""
    candidates: list[Valid] = []
    for count, (number, cells) in enumerate(table.rows, start=1):
        valid, errors = validate_row(number, cells, table, refs, default_channel=default_channel,
                                     now=now)
        if valid is not None:
            candidates.append(valid)
        else:
            report.errors.extend(errors)
            report.failed_rows.append((number, [cell_text(c) or "" for c in cells]))
        report.rows_read = count
        if progress and count % 1000 == 0:
            progress("read", count, None)
    existing = existing_refs(session, candidates)
    first_row: dict[tuple[int, str], int] = {}
    valid_rows: list[Valid] = []
    for item in candidates:
        key = (item.channel.id, item.data.upstream_ref or "")
        if key in existing:
            report.skipped.append(Skipped(item.row, key[1], "已存在，跳过"))
        elif key in first_row:
            report.skipped.append(Skipped(item.row, key[1], f"与第{first_row[key]}行重复，跳过"))
        else:
            first_row[key] = item.row
            valid_rows.append(item)
    if progress:
        progress("read", report.rows_read, report.rows_read)
    return Plan(report, valid_rows)


def existing_refs(session: Session, rows: Sequence[Valid]) -> set[tuple[int, str]]:
    """Which (channel, upstream ref) pairs of these rows are on record: a few IN queries."""
    by_channel: dict[int, list[str]] = {}
    for item in rows:
        by_channel.setdefault(item.channel.id, []).append(item.data.upstream_ref or "")
    found: set[tuple[int, str]] = set()
    for channel_id, refs in by_channel.items():
        unique = sorted(set(refs))
        for start in range(0, len(unique), 5000):
            query = select(Complaint.upstream_ref).where(
                Complaint.channel_id == channel_id,
                Complaint.upstream_ref.in_(unique[start:start + 5000]))
            found.update((channel_id, ref) for ref in session.scalars(query) if ref is not None)
    return found


# ---- writing ---------------------------------------------------------------------------------


# Core inserts of the mapped tables, not the ORM's bulk insert: that one regroups rows by which
# values are None and splices results row by row, many times slower.
CASES: SqlTable = Case.__table__  # type: ignore[assignment]
COMPLAINTS: SqlTable = Complaint.__table__  # type: ignore[assignment]
EVENTS: SqlTable = CaseEvent.__table__  # type: ignore[assignment]


def _insert(session: Session, table: SqlTable, rows: list[dict[str, Any]]) -> None:
    """Many rows into one table, the fastest way each backend offers."""
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, table, rows)
    else:
        session.execute(insert(table), rows)  # sqlite3's executemany: one prepared statement


def _copy(session: Session, table: SqlTable, rows: list[dict[str, Any]]) -> None:
    # COPY: psycopg's executemany is one statement per row, and a multi-row INSERT … VALUES is
    # slow to prepare client-side. COPY bypasses SQLAlchemy's column types, so this does their
    # work: aware datetimes in UTC (UTCDateTime), JSON as text, scalar column defaults.
    columns = [c for c in table.columns if not c.primary_key]
    defaults = {c.key: c.default.arg for c in columns  # type: ignore[attr-defined]
                if c.default is not None and c.default.is_scalar}
    convert = [_utc if isinstance(c.type, UTCDateTime) else
               _json if isinstance(c.type, JSON) else None for c in columns]
    names = ", ".join(f'"{c.name}"' for c in columns)
    connection = session.connection().connection.dbapi_connection
    assert connection is not None
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        with connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for row in rows:
                values = [row[c.key] if c.key in row else defaults.get(c.key) for c in columns]
                copy.write_row([f(v) if f and v is not None else v
                                for f, v in zip(convert, values, strict=True)])
    except pg_errors.IntegrityError as exc:  # as SQLAlchemy would have raised it
        raise IntegrityError(statement, None, exc) from exc


def _utc(value: datetime) -> datetime:
    return require_aware(value).astimezone(UTC)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class CaseNumbers:
    """Case numbers allocated in memory, one query for the current maximum per day."""

    def __init__(self, session: Session, prefix: str) -> None:
        self.session, self.prefix = session, prefix
        self.last: dict[str, int] = {}  # day prefix → last sequence number given

    def next(self, opened_at: datetime) -> str:
        head = day_prefix(self.prefix, opened_at)
        if head not in self.last:
            number = next_case_number(self.session, prefix=self.prefix, opened_at=opened_at)
            self.last[head] = int(number[len(head):]) - 1
        self.last[head] += 1
        return f"{head}{self.last[head]:0{SEQ_DIGITS}d}"


def write_rows(session: Session, rows: Sequence[Valid], *, batch_id: int | None,
               actor: User | None, now: datetime, case_prefix: str,
               progress: Progress | None = None) -> int:
    """Bulk-insert one case, one complaint and one "receive" event per row, as record_complaint
    would for a complaint that opens a case. Returns the number of complaints written."""
    numbers = CaseNumbers(session, case_prefix)
    actor_id = actor.id if actor else None
    status = CaseStatus.received.value
    done = 0
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk = rows[start:start + WRITE_CHUNK]
        case_rows = [_case_row(item, numbers.next(item.received_at), status) for item in chunk]
        _insert(session, CASES, case_rows)
        # Read the ids back by the unique keys just written (case number; a complaint's new
        # case) rather than with RETURNING: SQLite cannot order a multi-row RETURNING, so
        # SQLAlchemy would fall back to one statement per row.
        numbers_ = [row["number"] for row in case_rows]
        by_number = {number: id_ for number, id_ in session.execute(
            select(CASES.c.number, CASES.c.id).where(CASES.c.number.in_(numbers_)))}
        case_ids = [by_number[number] for number in numbers_]
        _insert(session, COMPLAINTS, [
            _complaint_row(item, case_id, batch_id, actor_id, now)
            for item, case_id in zip(chunk, case_ids, strict=True)])
        by_case = {case_id: id_ for case_id, id_ in session.execute(
            select(COMPLAINTS.c.case_id, COMPLAINTS.c.id)
            .where(COMPLAINTS.c.case_id.in_(case_ids)))}
        _insert(session, EVENTS, [
            {"case_id": case_id, "at": now, "actor_id": actor_id,
             "action": CaseAction.receive.value, "from_status": status, "to_status": status,
             "note": None, "unit_id": None,
             "data": {"complaint_id": by_case[case_id], "channel": item.channel.code}}
            for item, case_id in zip(chunk, case_ids, strict=True)
        ])
        done += len(chunk)
        if progress:
            progress("write", done, len(rows))
    return done


def write_rows_one_by_one(session: Session, rows: Sequence[Valid], *, batch_id: int | None,
                          actor: User | None, now: datetime, case_prefix: str,
                          progress: Progress | None = None) -> int:
    """The reference path: ``record_complaint`` per row, a few queries each. The bulk path must
    give the same rows (tests/intake/test_importer.py); the benchmark's baseline."""
    lookups = Lookups.load(session)
    done = 0
    for item in rows:
        result = record_complaint(session, item.data, actor=actor, now=now,
                                  case_prefix=case_prefix, lookups=lookups)
        if result.created:
            result.complaint.import_batch_id = batch_id
            done += 1
        if progress and done % 1000 == 0:
            progress("write", done, len(rows))
    session.flush()
    return done


def _case_row(item: Valid, number: str, status: str) -> dict[str, Any]:
    data = item.data
    title = data.title or data.text[:TITLE_LENGTH]
    return {"number": number, "status": status, "title": title[:200],
            "category_id": item.category_id, "area_id": item.place.area_id,
            "district_id": item.place.district_id, "street_id": item.place.street_id,
            "address": data.address, "opened_at": item.received_at, "complaint_count": 1}


def _complaint_row(item: Valid, case_id: int, batch_id: int | None, actor_id: int | None,
                   now: datetime) -> dict[str, Any]:
    data = item.data
    return {"channel_id": item.channel.id, "upstream_ref": data.upstream_ref,
            "received_at": item.received_at, "complainant_name": data.complainant_name,
            "complainant_phone": data.complainant_phone, "title": data.title, "text": data.text,
            "address": data.address, "longitude": data.longitude, "latitude": data.latitude,
            "category_id": item.category_id, "area_id": item.place.area_id,
            "district_id": item.place.district_id, "street_id": item.place.street_id,
            "case_id": case_id, "import_batch_id": batch_id, "created_at": now,
            "created_by_id": actor_id}


# ---- the whole import ------------------------------------------------------------------------


def import_file(
    session: Session,
    path: Path,
    *,
    now: datetime,
    actor: User | None = None,
    channel: str | None = None,
    sheet: str | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    case_prefix: str | None = None,
    max_bytes: int | None = None,
    progress: Progress | None = None,
    filename: str | None = None,
    bulk: bool = True,
) -> ImportReport:
    """Import one file in the caller's transaction (the caller commits; nothing is committed here).

    Raises UnreadableFile when the file as a whole cannot be read. When rows fail validation and
    ``skip_invalid`` is false, nothing is written and ``report.written`` is False. ``bulk=False``
    writes through ``record_complaint`` row by row (the slow reference path).
    """
    started = time.perf_counter()
    if not path.is_file():
        raise UnreadableFile(f"文件不存在：{path}")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise UnreadableFile(f"文件过大：{size / 1e6:.1f} MB，上限 {max_bytes / 1e6:.0f} MB")
    refs = References.load(session)
    if channel:
        try:
            channel = refs.channel(channel).code
        except ValueError:
            known = "、".join(refs.lookups.channels)
            raise UnreadableFile(f"未知渠道：{channel}（--channel）；可用的渠道：{known}") from None
    report = ImportReport(filename=(filename or path.name)[:255], sha256=file_sha256(path),
                          dry_run=dry_run)
    with open_table(path, sheet=sheet) as table:
        check_columns(table, default_channel=channel)
        report.encoding, report.sheet, report.headers = table.encoding, table.sheet, table.headers
        report.columns = {f: table.headers[i] for f, i in table.columns.items()}
        report.ignored_columns = table.ignored
        plan = plan_import(session, table, report, refs=refs, default_channel=channel, now=now,
                           progress=progress)
    report.previous_import = _previous_import(session, report.sha256)
    report.read_seconds = time.perf_counter() - started
    if dry_run or (report.errors and not skip_invalid):
        return report
    started = time.perf_counter()
    batch = ImportBatch(filename=report.filename, sha256=report.sha256, started_at=now,
                        actor_id=actor.id if actor else None, rows_total=report.rows_read)
    session.add(batch)
    session.flush()
    _write_with_retries(session, plan, batch_id=batch.id, actor=actor, now=now,
                        prefix=case_prefix or _case_prefix(session), progress=progress,
                        writer=write_rows if bulk else write_rows_one_by_one)
    batch.rows_imported, batch.rows_already_present = report.imported, report.already_present
    report.write_seconds = time.perf_counter() - started
    # The injected clock gives the start; the batch's end is the start plus the time it took.
    batch.rows_failed = report.failed
    batch.finished_at = now + timedelta(seconds=report.read_seconds + report.write_seconds)
    session.flush()
    report.batch_id, report.written = batch.id, True
    return report


def _write_with_retries(session: Session, plan: Plan, *, batch_id: int, actor: User | None,
                        now: datetime, prefix: str, progress: Progress | None,
                        writer: Callable[..., int]) -> None:
    # Another writer (the web intake) may take a case number of the same day, or record one of
    # the file's tickets, while this import runs: re-check and re-allocate, a few times.
    for attempt in range(WRITE_RETRIES):
        try:
            with session.begin_nested():
                plan.report.imported = writer(session, plan.valid, batch_id=batch_id,
                                              actor=actor, now=now, case_prefix=prefix,
                                              progress=progress)
            return
        except IntegrityError:
            if attempt == WRITE_RETRIES - 1:
                raise
            present = existing_refs(session, plan.valid)
            for item in plan.valid:
                if (item.channel.id, item.data.upstream_ref or "") in present:
                    plan.report.skipped.append(
                        Skipped(item.row, item.data.upstream_ref or "", "已存在，跳过"))
            plan.valid = [v for v in plan.valid
                          if (v.channel.id, v.data.upstream_ref or "") not in present]


def _case_prefix(session: Session) -> str:
    from civicdesk.config.service import get_setting

    return get_setting(session, "case_number_prefix", "HZ") or "HZ"


def _previous_import(session: Session, sha256: str) -> tuple[int, datetime] | None:
    row = session.execute(
        select(ImportBatch.id, ImportBatch.finished_at)
        .where(ImportBatch.sha256 == sha256, ImportBatch.finished_at.is_not(None))
        .order_by(ImportBatch.id.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def write_error_report(report: ImportReport, target: Path) -> Path:
    """The failed rows with their problems, as CSV (UTF-8 with BOM, so Excel shows Chinese):
    fix the cells and import this file again — the extra columns 行号 and 问题 are ignored."""
    problems: dict[int, list[str]] = {}
    for error in report.errors:
        text = f"{error.column}：{error.message}" if error.column else error.message
        problems.setdefault(error.row, []).append(text)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["行号", "问题", *report.headers])
        for row, cells in report.failed_rows:
            writer.writerow([row, "；".join(problems.get(row, [])), *cells])
    return target
