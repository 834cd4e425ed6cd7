"""Per-row checks: every row validated in memory with ``ComplaintCreate`` and the reference
data, every problem named by the column as the file writes it; rows already on record (same
channel and upstream reference, in the database or earlier in the file) skipped, not counted
twice."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.errors import InvalidInput
from civicdesk.intake.importing.reading import LABELS, Table, cell_text
from civicdesk.intake.importing.references import References
from civicdesk.intake.importing.report import ImportReport, Progress, RowError, Skipped
from civicdesk.intake.models import Channel, Complaint
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.intake.service import check_received_at
from civicdesk.org.service import Placement

EXCEL_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+\d+$")
# 2025-03-04 09:12 · 2025/3/4 9:12:00 · 2025.3.4 · 2025年3月4日 9时12分(30秒) · 9点12分
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:[\sT]*(\d{1,2})\s*[:时点]\s*(\d{1,2})\s*(?:[:分]\s*(?:(\d{1,2})(?:\.\d+)?\s*秒?)?)?)?$"
)


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


@dataclass(slots=True)
class Valid:
    """A row ready to write: the validated complaint and what it resolved to."""

    row: int
    data: ComplaintCreate
    channel: Channel
    category_id: int | None
    place: Placement
    received_at: datetime  # aware, UTC


def validate_row(
    number: int,
    cells: Sequence[Any],
    table: Table,
    refs: References,
    *,
    default_channel: str | None,
    now: datetime,
) -> tuple[Valid | None, list[RowError]]:
    """One row checked against ComplaintCreate and the reference data; every problem listed."""
    raw = {f: (cells[i] if i < len(cells) else None) for f, i in table.columns.items()}
    problems = _Problems(number, table)
    fail = problems.add
    values: dict[str, Any] = {
        name: cell_text(raw.get(name))
        for name in (
            "upstream_ref",
            "complainant_name",
            "complainant_phone",
            "title",
            "text",
            "address",
        )
    }
    channel_text = cell_text(raw.get("channel")) or default_channel
    channel = _resolve(fail, "channel", channel_text, refs.channel)
    values["channel"] = channel.code if channel else "?"  # a bad channel is reported above
    ref = values["upstream_ref"]
    if ref is None:
        fail("upstream_ref", "不能为空（批量导入靠工单号识别重复，以免重复导入）")
    elif EXCEL_SCIENTIFIC.match(ref):
        fail(
            "upstream_ref",
            f"工单号被 Excel 显示为科学计数法 {ref}，数字已丢失，请把该列设为文本格式后重新导出",
        )
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
                name is None and problems.fields & {"longitude", "latitude"}
            ):
                fail(name, _pydantic_message(error))
        return None, problems.in_column_order()
    if problems.fields or channel is None:
        return None, problems.in_column_order()
    try:
        received_at = check_received_at(data.received_at or now, now)
    except InvalidInput as exc:
        fail("received_at", f"{exc.message}：{cell_text(raw['received_at'])}")
        return None, problems.in_column_order()
    category = refs.lookups.categories.get(data.category) if data.category else None
    return Valid(
        number,
        data,
        channel,
        category.id if category else None,
        refs.areas.placement(area),
        received_at,
    ), []


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


def _resolve(
    fail: Callable[[str, str], None], name: str, value: Any, parse: Callable[[Any], Any]
) -> Any:
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


def plan_import(
    session: Session,
    table: Table,
    report: ImportReport,
    *,
    refs: References,
    default_channel: str | None,
    now: datetime,
    progress: Progress | None = None,
) -> Plan:
    """Validate every row in memory and sort rows into new, already present and failed."""
    candidates: list[Valid] = []
    for count, (number, cells) in enumerate(table.rows, start=1):
        valid, errors = validate_row(
            number, cells, table, refs, default_channel=default_channel, now=now
        )
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
                Complaint.upstream_ref.in_(unique[start : start + 5000]),
            )
            found.update((channel_id, ref) for ref in session.scalars(query) if ref is not None)
    return found
