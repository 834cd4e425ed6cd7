"""The summary as CSV for Excel: UTF-8 with a byte-order mark, so that Excel on Chinese Windows,
which otherwise reads CSV as GBK, shows the Chinese text correctly.

Every table starts with the same five columns — name, 本期, 去年同期, 增减量, 增减幅(%) — and ends
with a 合计 row; the category table adds its hot-spot flag and top-level category after them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from civicdesk.reports.narrative import narrative
from civicdesk.reports.summary import Comparison, SummaryReport

BOM = "\ufeff"
COLUMNS = ["本期", "去年同期", "增减量", "增减幅(%)"]


def write_summary_csv(report: SummaryReport, file: str | Path | IO[str]) -> None:
    """Write the report to a path, or to an open text stream (the BOM is written first)."""
    if isinstance(file, str | Path):
        with open(file, "w", encoding="utf-8", newline="") as stream:
            _write(report, stream)
    else:
        _write(report, file)


def summary_csv_text(report: SummaryReport) -> str:
    buffer = io.StringIO(newline="")
    _write(report, buffer)
    return buffer.getvalue()


def _figures(value: Comparison) -> list[Any]:
    percent = value.percent
    return [value.current, value.previous, value.change, "" if percent is None else f"{percent}"]


def _write(report: SummaryReport, stream: IO[str]) -> None:
    stream.write(BOM)
    out = csv.writer(stream, lineterminator="\r\n")
    out.writerow(["投诉情况汇总", report.area.name])
    out.writerow(
        [
            "统计期间",
            report.period.label(),
            report.period.start.isoformat(),
            report.period.end.isoformat(),
        ]
    )
    out.writerow(
        [
            "去年同期",
            report.baseline.label(),
            report.baseline.start.isoformat(),
            report.baseline.end.isoformat(),
        ]
    )
    out.writerow(["说明", narrative(report)])
    out.writerow([])
    out.writerow(["指标", *COLUMNS])
    out.writerow(["投诉总量", *_figures(report.total)])
    out.writerow([f"{len(report.hotspot_categories)}类热点问题", *_figures(report.hotspot)])
    if report.areas:
        out.writerow([])
        out.writerow(["区域", *COLUMNS])
        _rows(out, ((r.name, r.complaints, []) for r in report.areas), report.total)
    out.writerow([])
    out.writerow(["类别", *COLUMNS, "热点", "大类"])
    _rows(
        out,
        (
            (r.name, r.complaints, ["是" if r.hotspot else "", r.group_name])
            for r in report.categories
        ),
        report.total,
    )
    out.writerow([])
    out.writerow(["大类", *COLUMNS])
    _rows(out, ((r.name, r.complaints, []) for r in report.category_groups), report.total)


def _rows(out: Any, rows: Iterable[tuple[str, Comparison, list[str]]], total: Comparison) -> None:
    for name, value, extra in rows:
        out.writerow([name, *_figures(value), *extra])
    out.writerow(["合计", *_figures(total)])
