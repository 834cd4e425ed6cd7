"""The report's narrative: the summary's paragraph (``reports.narrative``: total, hot spots,
repeats, areas, biggest categories), then paragraphs on the hot-spot categories, the kinds of
repeat, the places complaints concentrate in, the handling rates and this week's spikes — in the
source's manner: whole numbers without separators, percentages with two decimals, a change of a
rate in percentage points (个百分点).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from civicdesk.assessment.dashboard import PlaceRow, RepeatKindRow
from civicdesk.reports.narrative import compare, narrative
from civicdesk.reports.summary import CategoryRow, Comparison, SummaryReport


@dataclass(frozen=True)
class RateFigure:
    """A rate for the narrative: 结案率 93.72% (911/972), last year's value in per cent."""

    name: str
    numerator: int
    denominator: int
    value: Decimal | None  # per cent, two decimals
    last_year: Decimal | None


def paragraphs(
    report: SummaryReport,
    *,
    repeat_kinds: Sequence[RepeatKindRow] = (),
    places: Sequence[PlaceRow] = (),
    rates: Sequence[RateFigure] = (),
    spikes: Sequence[str] = (),
) -> tuple[str, ...]:
    if report.total == Comparison(0, 0):
        # Nothing to describe: say so plainly rather than a paragraph of zeros.
        return (
            f"{report.period.label()}及去年同期，{report.area.short_name}均无投诉数据，"
            "以下各表均为0，率无法计算（显示为“—”）。请核对统计期间和区域。",
        )
    result = [narrative(report)]
    for text in (
        hotspot_paragraph(report),
        repeat_paragraph(report, repeat_kinds),
        places_sentence(places),
        rates_sentence(rates),
        spikes_sentence(spikes),
    ):
        if text:
            result.append(text)
    return tuple(result)


def hotspot_paragraph(report: SummaryReport) -> str:
    """Which hot-spot categories fell and rose most, and their share of all complaints."""
    rows = [r for r in report.categories if r.hotspot and r.code is not None]
    if not rows or report.hotspot == Comparison(0, 0):
        return ""
    parts = []
    if report.total.current:
        share = Decimal(report.hotspot.current * 100) / report.total.current
        parts.append(f"热点问题投诉占投诉总量的{share:.2f}%")
    falling = [r for r in rows if r.complaints.change < 0]
    rising = [r for r in rows if r.complaints.change > 0]
    if falling:
        most = min(falling, key=lambda r: r.complaints.change)
        parts.append(
            f"{len(rows)}类中有{len(falling)}类比去年同期下降，其中{_category(most)}减少最多"
        )
    if rising:
        most = max(rising, key=lambda r: r.complaints.change)
        parts.append(f"{len(rising)}类上升，{_category(most)}增加最多")
    return "；".join(parts) + "。" if parts else ""


def _category(row: CategoryRow) -> str:
    return f"{row.name}（{row.complaints.current}件，{compare(row.complaints)}）"


def repeat_paragraph(report: SummaryReport, kinds: Sequence[RepeatKindRow]) -> str:
    """The kinds of repeat, and the repeat share with its change in percentage points."""
    counted = [k for k in kinds if k.value.current]
    if not counted or not report.total.current:
        return ""
    listed = "，".join(f"{k.name}{k.value.current}件" for k in counted)
    share = _share(report.repeats.current, report.total.current)
    text = f"重复投诉中，{listed}。重复投诉占投诉总量的{share:.2f}%"
    if report.total.previous:
        before = _share(report.repeats.previous, report.total.previous)
        text += f"，{_points(share, before)}"
    return text + "。"


def places_sentence(places: Sequence[PlaceRow]) -> str:
    top = [p for p in places if p.complaints.current > 0][:3]
    if not top:
        return ""
    named = "、".join(
        f"{p.name}（{p.complaints.current}件"
        + (f"，其中重复投诉{p.repeats.current}件" if p.repeats.current else "")
        + "）"
        for p in top
    )
    return f"投诉最集中的是{named}。"


def rates_sentence(rates: Sequence[RateFigure]) -> str:
    parts = []
    for r in rates:
        if r.value is None:
            continue
        text = f"{r.name}{r.value:.2f}%（{r.numerator}/{r.denominator}）"
        if r.last_year is not None:
            text += f"，{_points(r.value, r.last_year)}"
        parts.append(text)
    return ("；".join(parts) + "。") if parts else ""


def spikes_sentence(spikes: Sequence[str]) -> str:
    if not spikes:
        return ""
    return f"近期投诉明显高于常态的有：{'、'.join(spikes)}，已向受理中心发出热点预警。"


def _share(part: int, whole: int) -> Decimal:
    return (Decimal(part * 100) / whole).quantize(Decimal("0.01"))


def _points(value: Decimal, before: Decimal) -> str:
    """比去年同期提高1.23个百分点 / 下降… / 持平, on the values as shown (two decimals)."""
    change = value.quantize(Decimal("0.01")) - before.quantize(Decimal("0.01"))
    if change == 0:
        return "与去年同期持平"
    return f"比去年同期{'提高' if change > 0 else '下降'}{abs(change):.2f}个百分点"
