"""The summary as a paragraph in the style of the source, from the report values alone.

The model sentence (杭州市城管, 2011): "今年1-7月……主城区……投诉总量16676件，比去年同期减少16295件，
下降49.42%。生活噪声、施工噪声……等9类热点问题的群众投诉……合计13021件，比去年同期下降36%。"
Numbers are written without thousands separators and percentages with two decimals, as there.
"""

from __future__ import annotations

from collections.abc import Sequence

from civicdesk.reports.summary import AreaRow, CategoryRow, Comparison, SummaryReport

# How the sentence on child areas names them, by the level of the rows.
_LEVEL_WORD = {"district": "区", "street": "街道", "community": "社区"}
_COUNT_WORD = {1: "", 2: "两", 3: "三"}


def narrative(report: SummaryReport) -> str:
    """Two to four sentences: total, hot spots, child areas, the biggest categories."""
    sentences = [
        f"{report.period.label()}，{report.area.short_name}投诉总量{report.total.current}件，"
        f"{compare(report.total)}。",
        _hotspot_sentence(report),
        _repeat_sentence(report),
        _area_sentence(report),
        _category_sentence(report.categories),
    ]
    return "".join(s for s in sentences if s)


def compare(value: Comparison, *, with_count: bool = True) -> str:
    """比去年同期减少16295件，下降49.42% — or 持平, or 去年同期无投诉 when there is no base."""
    if value.previous == 0:
        return "去年同期亦无投诉" if value.current == 0 else "去年同期无投诉"
    if value.change == 0:
        return "与去年同期持平"
    more = value.change > 0
    percent = f"{'上升' if more else '下降'}{abs(value.percent or 0):.2f}%"
    if not with_count:
        return f"比去年同期{percent}"
    return f"比去年同期{'增加' if more else '减少'}{abs(value.change)}件，{percent}"


def _hotspot_sentence(report: SummaryReport) -> str:
    names = report.hotspot_categories
    if not names:
        return ""
    return (
        f"{'、'.join(names)}等{len(names)}类热点问题投诉合计{report.hotspot.current}件，"
        f"{compare(report.hotspot, with_count=False)}。"
    )


def _repeat_sentence(report: SummaryReport) -> str:
    """The source's sentence on repeats: "重复投诉量……合计2460件，比去年同期的6483件减少了4023件，
    降幅达62.05%" — only when there were repeats in either period."""
    value = report.repeats
    if value == Comparison(0, 0):
        return ""
    head = f"重复投诉量{value.current}件"
    if value.previous == 0:
        return f"{head}，去年同期无重复投诉。"
    if value.change == 0:
        return f"{head}，与去年同期持平。"
    more = value.change > 0
    change = f"{'增加' if more else '减少'}了{abs(value.change)}件"
    rate = f"{'增幅' if more else '降幅'}达{abs(value.percent or 0):.2f}%"
    return f"{head}，比去年同期的{value.previous}件{change}，{rate}。"


def _area_sentence(report: SummaryReport) -> str:
    rows = [r for r in report.areas if r.code is not None]
    if not rows or report.child_level is None or report.total == Comparison(0, 0):
        return ""
    word = _LEVEL_WORD.get(report.child_level, "区域")
    falling = [r for r in rows if r.complaints.change < 0]
    rising = [r for r in rows if r.complaints.change > 0]
    # min/max keep the first of equals, i.e. the configured order decides ties.
    most_falling = min(falling, key=lambda r: r.complaints.change, default=None)
    most_rising = max(rising, key=lambda r: r.complaints.change, default=None)
    if most_falling is not None and len(falling) == len(rows):
        return f"各{word}投诉量均比去年同期减少，其中{_detail(most_falling, '减少最多')}。"
    if most_rising is not None and len(rising) == len(rows):
        return f"各{word}投诉量均比去年同期增加，其中{_detail(most_rising, '增加最多')}。"
    parts = []
    if most_falling is not None:
        parts.append(_detail(most_falling, "减少最多"))
    if most_rising is not None:
        parts.append(_detail(most_rising, "增加最多"))
    if not parts:
        return f"各{word}投诉量均与去年同期持平。"
    return f"分{word}看，{'；'.join(parts)}。"


def _detail(row: AreaRow, what: str) -> str:
    return f"{row.short_name}{what}，投诉{row.complaints.current}件，{compare(row.complaints)}"


def _category_sentence(categories: Sequence[CategoryRow]) -> str:
    counted = [r for r in categories if r.code is not None and r.complaints.current > 0]
    # sorted() is stable: equal counts keep the configured category order.
    top = sorted(counted, key=lambda r: -r.complaints.current)[:3]
    if not top:
        return ""
    named = [f"{r.name}（{r.complaints.current}件）" for r in top]
    if len(named) == 1:
        return f"投诉最多的问题是{named[0]}。"
    listed = "、".join(named[:-1]) + f"和{named[-1]}"
    return f"投诉最多的{_COUNT_WORD[len(named)]}类问题是{listed}。"
