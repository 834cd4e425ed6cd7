"""What an import tells its caller: the report, row errors, skipped rows, the error CSV."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from civicdesk.errors import InvalidInput

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
        return (
            f"第{self.row}行 {self.column}：{self.message}"
            if self.column
            else f"第{self.row}行：{self.message}"
        )


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
    repeat_links: int | None = None  # links the repeat check made over the imported period
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
