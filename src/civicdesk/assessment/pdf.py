"""The report as a printable PDF (reportlab): A4, the narrative, the tables and charts.

Chinese text uses reportlab's built-in CID font STSong-Light (Adobe-GB1): the PDF names the font
and every reader supplies its own copy, so no font file is shipped or embedded. Charts are
reportlab.graphics drawings (vector, offline) from the report's series.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import IO, Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from civicdesk.assessment.report_data import Column, Kind, Report, Series, Table, format_value
from civicdesk.clock import to_local

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = ParagraphStyle("title", fontName=FONT, fontSize=17, leading=24, alignment=1)
SUBTITLE = ParagraphStyle("subtitle", fontName=FONT, fontSize=10, leading=14, alignment=1)
HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=13, leading=20, spaceBefore=8)
BODY = ParagraphStyle(
    "body", fontName=FONT, fontSize=10.5, leading=17, firstLineIndent=21, wordWrap="CJK"
)
NOTE = ParagraphStyle("note", fontName=FONT, fontSize=8.5, leading=12, textColor=colors.grey)
CELL = ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=11, wordWrap="CJK")
THIS_YEAR = colors.HexColor("#c0392b")
LAST_YEAR = colors.HexColor("#95a5a6")
HOT = colors.HexColor("#FDEBD0")
WIDTH = A4[0] - 36 * mm
# Long tables (every street) are cut in the PDF; the workbook has every row.
MAX_ROWS = 40


def write_pdf(report: Report, file: str | Path | IO[bytes]) -> None:
    data = pdf_bytes(report)
    if isinstance(file, str | Path):
        Path(file).write_bytes(data)
    else:
        file.write(data)


def pdf_bytes(report: Report) -> bytes:
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=report.title,
        author="civicdesk",
    )
    doc.build(_story(report), onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.drawCentredString(A4[0] / 2, 9 * mm, f"第 {doc.page} 页")
    canvas.restoreState()


def _story(report: Report) -> list[Any]:
    generated = to_local(report.generated_at).strftime("%Y-%m-%d %H:%M")
    story: list[Any] = [
        Paragraph(_escape(report.title), TITLE),
        Paragraph(
            _escape(
                f"统计期间：{report.period_label}（{report.start} 至 {report.end}）　"
                f"同比：{report.baseline_label}　生成：{generated}"
            ),
            SUBTITLE,
        ),
        Spacer(1, 6 * mm),
        Paragraph("一、总体情况", HEADING),
    ]
    story += [Paragraph(_escape(p), BODY) for p in report.narrative]
    for series in report.charts:
        story += [Spacer(1, 3 * mm), chart(series)]
    for number, table in enumerate(report.tables, start=2):
        story.append(
            KeepTogether([Paragraph(f"{_chinese_number(number)}、{table.title}", HEADING)])
        )
        if table.note:
            story.append(Paragraph(_escape(table.note), NOTE))
        story.append(_table(table))
    for note in report.notes:
        story.append(Paragraph(_escape(note), NOTE))
    return story


def _table(table: Table) -> PdfTable:
    rows = list(table.rows[:MAX_ROWS])
    body = [[Paragraph(_escape(c.title), CELL) for c in table.columns]]
    body += [[_cell(v, c) for v, c in zip(row, table.columns, strict=True)] for row in rows]
    if table.total is not None:
        body.append([_cell(v, c) for v, c in zip(table.total, table.columns, strict=True)])
    widths = _widths(table.columns)
    pdf_table = PdfTable(body, colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE6F0")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 1), (-1, -1), "RIGHT"),
    ]
    for index, column in enumerate(table.columns):
        if column.kind == Kind.text:
            style.append(("ALIGN", (index, 1), (index, -1), "LEFT"))
    for position in table.marked:
        if position < len(rows):
            style.append(("BACKGROUND", (0, position + 1), (-1, position + 1), HOT))
    pdf_table.setStyle(TableStyle(style))
    if len(table.rows) > MAX_ROWS:
        return KeepTogether(  # type: ignore[return-value]
            [
                pdf_table,
                Paragraph(
                    f"（仅列前{MAX_ROWS}行，共{len(table.rows)}行；完整数据见 Excel 报表）", NOTE
                ),
            ]
        )
    return pdf_table


def _widths(columns: tuple[Column, ...]) -> list[float]:
    text = [c for c in columns if c.kind == Kind.text]
    numbers = len(columns) - len(text)
    number_width = min(22 * mm, WIDTH / max(1, len(columns)))
    rest = WIDTH - numbers * number_width
    return [rest / max(1, len(text)) if c.kind == Kind.text else number_width for c in columns]


def _cell(value: Any, column: Column) -> Any:
    text = format_value(value, column)
    return Paragraph(_escape(text), CELL) if column.kind == Kind.text else text


def chart(series: Series) -> Drawing:
    """A line chart for a monthly series (labels end in 月), grouped bars otherwise."""
    height = 62 * mm
    drawing = Drawing(WIDTH, height)
    drawing.add(String(0, height - 12, series.title, fontName=FONT, fontSize=10))
    values = [[v or 0 for v in series.current]]
    if series.previous is not None:
        values.append([v or 0 for v in series.previous])
    monthly = all(label.endswith("月") for label in series.labels)
    plot: Any = HorizontalLineChart() if monthly else VerticalBarChart()
    plot.x, plot.y = 36, 30
    plot.width, plot.height = WIDTH - 120, height - 60
    plot.data = values
    plot.categoryAxis.categoryNames = [label[:6] for label in series.labels]
    plot.categoryAxis.labels.fontName = FONT
    plot.categoryAxis.labels.fontSize = 7
    if not monthly and len(series.labels) > 8:
        plot.categoryAxis.labels.angle = 35
        plot.categoryAxis.labels.boxAnchor = "ne"
    plot.valueAxis.valueMin = 0
    plot.valueAxis.labels.fontSize = 7
    palette = [THIS_YEAR, LAST_YEAR]
    for index in range(len(values)):
        if monthly:
            plot.lines[index].strokeColor = palette[index]
            plot.lines[index].strokeWidth = 2 if index == 0 else 1.2
        else:
            plot.bars[index].fillColor = palette[index]
            plot.bars[index].strokeColor = None
    drawing.add(plot)
    legend = Legend()
    legend.x, legend.y = WIDTH - 70, height - 30
    legend.fontName = FONT
    legend.fontSize = 8
    legend.colorNamePairs = list(zip(palette, series.names, strict=False))[: len(values)]
    drawing.add(legend)
    return drawing


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chinese_number(number: int) -> str:
    digits = "零一二三四五六七八九"
    if number < 10:
        return digits[number]
    if number < 20:
        return "十" + (digits[number % 10] if number % 10 else "")
    return str(number)
