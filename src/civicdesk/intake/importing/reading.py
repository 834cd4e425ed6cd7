"""Reading a hotline export: CSV or .xlsx, the text encoding decided strictly, rows streamed,
the header row found (English or the Chinese names hotline exports use) and mapped to fields."""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import charset_normalizer

from civicdesk.intake.importing.mapping import ColumnMap
from civicdesk.intake.importing.report import UnreadableFile

FIELDS = (
    "channel",
    "upstream_ref",
    "received_at",
    "complainant_name",
    "complainant_phone",
    "title",
    "text",
    "address",
    "longitude",
    "latitude",
    "category",
    "area",
)
LABELS = {
    "channel": "渠道",
    "upstream_ref": "工单号",
    "received_at": "来电时间",
    "complainant_name": "投诉人",
    "complainant_phone": "联系电话",
    "title": "标题",
    "text": "投诉内容",
    "address": "地址",
    "longitude": "经度",
    "latitude": "纬度",
    "category": "类别",
    "area": "区域",
}
# Header names as hotline exports write them; matched after _normalise_header.
ALIASES: dict[str, tuple[str, ...]] = {
    "channel": ("渠道", "来源", "来源渠道", "投诉渠道", "渠道代码"),
    "upstream_ref": (
        "工单号",
        "来源工单号",
        "编号",
        "工单编号",
        "来源编号",
        "流水号",
        "受理编号",
        "ref",
        "ticket",
    ),
    "received_at": (
        "来电时间",
        "受理时间",
        "投诉时间",
        "登记时间",
        "来信时间",
        "反映时间",
        "received",
        "time",
    ),
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
GB_PLAUSIBLE = 0.9  # share of non-ASCII characters of a GB18030 reading that must be GB2312
# What the detector may decide, as a last resort: traditional-Chinese exports. (UTF-16 is
# recognised by its BOM; without one, a detector "finds" UTF-16 in any even-length byte soup.)
ACCEPTED_GUESSES = frozenset({"big5", "big5hkscs", "cp950"})


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
    if (
        guess is not None
        and guess.encoding in ACCEPTED_GUESSES
        and guess.percent_chaos < 5
        and _decodes(path, guess.encoding)
        and _mostly_chinese(path, guess.encoding)
    ):
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
    chinese = sum(
        1
        for ch in wide
        if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
    )
    return not wide or chinese / len(wide) >= GB_PLAUSIBLE


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@contextmanager
def open_table(
    path: Path, *, sheet: str | None = None, mapping: ColumnMap | None = None
) -> Iterator[Table]:
    """The rows of a CSV or .xlsx file, streamed, with the header row found and mapped (by the
    header names, or by an explicit column mapping)."""
    if not path.is_file():
        raise UnreadableFile(f"文件不存在：{path}")
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再导入")
    if magic.startswith(b"PK\x03\x04"):
        with _xlsx_rows(path, sheet) as (name, rows):
            yield _table(mapping.rows(rows) if mapping else rows, encoding=None, sheet=name)
    else:
        if sheet:
            raise UnreadableFile("--sheet 只适用于 Excel 文件")
        encoding = detect_encoding(path)
        with path.open(encoding=encoding, newline="", errors="strict") as handle:
            rows = _csv_rows(handle)
            yield _table(mapping.rows(rows) if mapping else rows, encoding=encoding, sheet=None)


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
                f"无法读取Excel文件（{type(exc).__name__}）：不是有效的 .xlsx 文件"
            ) from None
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


def _table(
    rows: Iterator[tuple[int, Sequence[Any]]], *, encoding: str | None, sheet: str | None
) -> Table:
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
        detail = "；".join(
            f"{'、'.join(names)} 都对应“{LABELS[name]}”" for name, names in clashes.items()
        )
        raise UnreadableFile(
            f"列重复：{detail}。请删除或改名其中一列", columns_found=[h for h in headers if h]
        )
    pending = [(n, c) for n, c in scanned if n > header_row]
    data = _chain(pending, ((n, c) for n, c in rows if not _blank(c)))
    return Table(headers, header_row, columns, ignored, data, encoding, sheet)


def _chain(
    first: list[tuple[int, Sequence[Any]]], rest: Iterator[tuple[int, Sequence[Any]]]
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
        raise UnreadableFile(
            f"缺少必需的列：{names}{hint}。文件中的列（第{table.header_row}行）："
            + "、".join(found),
            columns_found=found,
        )


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
