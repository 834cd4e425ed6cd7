"""The Excel workbook from plain report data: values as numbers, formats, frozen headers, widths,
marked hot-spot rows — read back with openpyxl."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from civicdesk.assessment.report_data import (
    COMPARISON_COLUMNS,
    Column,
    Kind,
    Report,
    Table,
    comparison_cells,
    format_value,
    fraction,
)
from civicdesk.assessment.workbook import MARK_FILL, workbook_bytes
from civicdesk.reports.summary import Comparison

NARRATIVE = "2026年1-7月，主城区投诉总量16676件，比去年同期减少16295件，下降49.42%。"


def source_report() -> Report:
    """The source's figures, typed in by hand."""
    overview = Table(
        "overview",
        "总体情况",
        (Column("指标"), *COMPARISON_COLUMNS),
        (
            ("投诉总量", *comparison_cells(Comparison(16676, 32971))),
            ("9类热点问题", 13021, 20345, -7324, -0.36),
            ("重复投诉量", *comparison_cells(Comparison(2460, 6483))),
        ),
    )
    categories = Table(
        "categories",
        "分类别",
        (Column("类别"), Column("热点"), *COMPARISON_COLUMNS),
        (("生活噪声", "★", 10, 5, 5, 1.0), ("其他", "", 3, 0, 3, None)),
        total=("合计", "", 13, 5, 8, 1.6),
        marked=frozenset({0}),
    )
    rates = Table(
        "rates",
        "处置指标",
        (Column("指标"), Column("本期率", Kind.percent), Column("同比增减", Kind.points)),
        (("结案率", fraction(93.72), 0.0123),),
    )
    return Report(
        title="杭州市主城区2026年1-7月城市管理投诉情况报告",
        area_name="杭州市主城区",
        period_label="2026年1-7月",
        baseline_label="2025年1-7月",
        start=date(2026, 1, 1),
        end=date(2026, 7, 31),
        generated_at=datetime(2026, 8, 1, 1, 0, tzinfo=UTC),
        narrative=(NARRATIVE, "第二段。"),
        tables=(overview, categories, rates),
        notes=("说明：测试。",),
    )


@pytest.fixture
def book():  # type: ignore[no-untyped-def]
    return load_workbook(BytesIO(workbook_bytes(source_report())))


def test_sheets_are_the_summary_then_one_per_table(book):  # type: ignore[no-untyped-def]
    assert book.sheetnames == ["汇总", "总体情况", "分类别", "处置指标"]


def test_summary_sheet_has_the_title_period_and_narrative(book):  # type: ignore[no-untyped-def]
    sheet = book["汇总"]
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert sheet["A1"].value == "杭州市主城区2026年1-7月城市管理投诉情况报告"
    assert NARRATIVE in values and "第二段。" in values
    assert "2026年1-7月（2026-01-01 至 2026-07-31）" in values
    assert "2026-08-01 09:00" in values  # generated time in Asia/Shanghai
    assert "说明：测试。" in values


def test_figures_are_numbers_with_report_formats(book):  # type: ignore[no-untyped-def]
    sheet = book["总体情况"]
    assert [c.value for c in sheet[2]] == ["指标", "本期", "去年同期", "增减量", "增减幅"]
    total = [c.value for c in sheet[3]]
    assert total == ["投诉总量", 16676, 32971, -16295, pytest.approx(-0.4942)]
    assert sheet["B3"].number_format == "#,##0"
    assert sheet["D3"].number_format == "+#,##0;-#,##0;0"
    assert sheet["E3"].number_format == "+0.00%;-0.00%;0.00%"
    repeats = [c.value for c in sheet[5]]
    assert repeats == ["重复投诉量", 2460, 6483, -4023, pytest.approx(-0.6205)]


def test_header_frozen_and_widths_fit_chinese(book):  # type: ignore[no-untyped-def]
    sheet = book["分类别"]
    assert sheet.freeze_panes == "B3"  # title row, header row; the name column stays too
    assert sheet.auto_filter.ref == "A2:F4"
    assert sheet.column_dimensions["A"].width >= 10
    assert sheet.column_dimensions["B"].width >= 6


def test_hot_spot_rows_marked_and_total_bold(book):  # type: ignore[no-untyped-def]
    sheet = book["分类别"]
    assert sheet["A3"].value == "生活噪声"
    assert sheet["A3"].fill.fgColor.rgb.endswith(MARK_FILL.fgColor.rgb[-6:])
    assert sheet["A4"].fill.fgColor.rgb != sheet["A3"].fill.fgColor.rgb
    assert sheet["A5"].value == "合计" and sheet["A5"].font.bold
    assert sheet["F4"].value == "—"  # no base: no percentage, never 0%


def test_rates_have_no_sign_and_points_are_labelled(book):  # type: ignore[no-untyped-def]
    sheet = book["处置指标"]
    assert sheet["B3"].value == pytest.approx(0.9372)
    assert sheet["B3"].number_format == "0.00%"
    assert "个百分点" in sheet["C3"].number_format


def test_sheet_names_are_made_valid_and_unique():
    report = source_report()
    long = Table("x", "分类别/热点[一]" + "很长" * 20, (Column("名称"),), (("a",),))
    twin = Table("y", "分类别/热点[一]" + "很长" * 20, (Column("名称"),), (("b",),))
    book = load_workbook(
        BytesIO(workbook_bytes(Report(**{**vars(report), "tables": (long, twin)})))
    )
    names = book.sheetnames[1:]
    assert len(names) == 2 and len(set(names)) == 2
    assert all(len(n) <= 31 and "/" not in n and "[" not in n for n in names)


def test_format_value_as_pages_show_it():
    count, change, percent = COMPARISON_COLUMNS[0], COMPARISON_COLUMNS[2], COMPARISON_COLUMNS[3]
    assert format_value(16676, count) == "16676"
    assert format_value(-16295, change) == "-16295"
    assert format_value(-0.4942, percent) == "-49.42%"
    assert format_value(None, percent) == "—"
    assert format_value(0.9372, Column("结案率", Kind.percent)) == "93.72%"
    assert format_value(0.0123, Column("同比", Kind.points)) == "+1.23个百分点"
