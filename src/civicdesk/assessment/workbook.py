"""The report as an Excel workbook (openpyxl): a summary sheet with the narrative, then one sheet
per table — numbers stored as numbers with Chinese-report formats (counts ``#,##0``, changes
``+#,##0;-#,##0;0``, rates ``0.00%``), the header row frozen, column widths set for Chinese text,
hot-spot rows shaded, a bold 合计 row. Opens in Excel and WPS alike (plain .xlsx, no macros).
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from civicdesk.assessment.report_data import Column, Kind, Report, Table
from civicdesk.clock import to_local

FORMATS = {
    Kind.count: "#,##0",
    Kind.change: "+#,##0;-#,##0;0",
    Kind.percent: "+0.00%;-0.00%;0.00%",
    Kind.points: '+0.00"个百分点";-0.00"个百分点";0',
    Kind.number: "0.00",
}
RATE_FORMAT = "0.00%"  # a rate is not a change: no sign
WIDTHS = {
    Kind.text: 16,
    Kind.count: 11,
    Kind.change: 11,
    Kind.percent: 11,
    Kind.points: 14,
    Kind.number: 10,
}
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
MARK_FILL = PatternFill("solid", fgColor="FDEBD0")
THIN = Side(style="thin", color="B0B0B0")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
# Excel refuses these in sheet names, and names longer than 31 characters.
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def write_workbook(report: Report, file: str | Path | IO[bytes]) -> None:
    build_workbook(report).save(file)


def workbook_bytes(report: Report) -> bytes:
    buffer = BytesIO()
    write_workbook(report, buffer)
    return buffer.getvalue()


def build_workbook(report: Report) -> Workbook:
    book = Workbook()
    summary = book.active
    assert summary is not None
    _summary_sheet(summary, report)
    used = {summary.title}
    for table in report.tables:
        sheet = book.create_sheet(_sheet_name(table.title, used))
        used.add(sheet.title)
        _table_sheet(sheet, table)
    book.properties.title = report.title
    book.properties.creator = "civicdesk"
    return book


def _sheet_name(title: str, used: set[str]) -> str:
    base = title.translate(_BAD_SHEET_CHARS)[:31] or "Sheet"
    name, n = base, 2
    while name in used:
        name = f"{base[:28]}({n})"
        n += 1
    return name


def _summary_sheet(sheet: Worksheet, report: Report) -> None:
    sheet.title = "汇总"
    sheet["A1"] = report.title
    sheet["A1"].font = TITLE
    facts = [
        ("区域", report.area_name),
        ("统计期间", f"{report.period_label}（{report.start} 至 {report.end}）"),
        ("同比期间", report.baseline_label),
        ("生成时间", to_local(report.generated_at).strftime("%Y-%m-%d %H:%M")),
    ]
    row = 3
    for label, value in facts:
        sheet.cell(row, 1, label).font = BOLD
        sheet.cell(row, 2, value)
        row += 1
    row += 1
    sheet.cell(row, 1, "情况说明").font = BOLD
    for paragraph in report.narrative:
        row += 1
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=8)
        cell = sheet.cell(row, 1, paragraph)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        # Merged cells do not grow by themselves: about 60 characters a line over A:H.
        sheet.row_dimensions[row].height = 16 * max(1, -(-len(paragraph) // 60))
    overview = report.tables[0] if report.tables else None
    if overview is not None:
        row += 2
        sheet.cell(row, 1, overview.title).font = BOLD
        _write_table(sheet, overview, row + 1)
    for note in report.notes:
        row = sheet.max_row + 2
        sheet.cell(row, 1, note).font = Font(italic=True, color="666666")
    sheet.column_dimensions["A"].width = 18
    for column in "BCDEFGH":
        sheet.column_dimensions[column].width = 13


def _table_sheet(sheet: Worksheet, table: Table) -> None:
    sheet.cell(1, 1, table.title).font = TITLE
    first = 2
    if table.note:
        sheet.cell(2, 1, table.note).font = Font(italic=True, color="666666")
        first = 3
    _write_table(sheet, table, first)
    # The header row stays in view while scrolling; so does the name column.
    sheet.freeze_panes = sheet.cell(first + 1, 2)
    sheet.auto_filter.ref = (
        f"A{first}:{get_column_letter(len(table.columns))}{first + len(table.rows)}"
    )
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column, table, index - 1)


def _write_table(sheet: Worksheet, table: Table, first: int) -> None:
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(first, index, column.title)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    row = first
    for position, values in enumerate(table.rows):
        row += 1
        _write_row(sheet, row, table.columns, values, marked=position in table.marked)
    if table.total is not None:
        row += 1
        _write_row(sheet, row, table.columns, table.total, bold=True)


def _write_row(
    sheet: Worksheet,
    row: int,
    columns: tuple[Column, ...],
    values: tuple[Any, ...],
    *,
    marked: bool = False,
    bold: bool = False,
) -> None:
    for index, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
        cell = sheet.cell(row, index, "—" if value is None and column.kind != Kind.text else value)
        cell.border = BORDER
        if column.kind != Kind.text and value is not None:
            cell.number_format = _format(column)
            cell.alignment = Alignment(horizontal="right")
        elif column.kind != Kind.text:
            cell.alignment = Alignment(horizontal="center")
        if marked:
            cell.fill = MARK_FILL
        if bold:
            cell.font = BOLD


def _format(column: Column) -> str:
    # A column named as a rate (…率) holds a level, not a change: no plus sign.
    if column.kind == Kind.percent and column.title.endswith("率"):
        return RATE_FORMAT
    return FORMATS[column.kind]


def _width(column: Column, table: Table, index: int) -> float:
    if column.width is not None:
        return column.width
    if column.kind != Kind.text:
        return max(WIDTHS[column.kind], _display_len(column.title) + 2)
    longest = max((_display_len(str(r[index] or "")) for r in table.rows), default=0)
    return min(40, max(WIDTHS[Kind.text], longest + 2, _display_len(column.title) + 2))


def _display_len(text: str) -> int:
    """Chinese characters take two columns of Excel's width unit."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
