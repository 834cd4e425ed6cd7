"""The narrative on hand-built report values, starting from the source's own figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from civicdesk.reports.narrative import compare, narrative
from civicdesk.reports.periods import Period
from civicdesk.reports.summary import (
    AreaInfo,
    AreaRow,
    CategoryRow,
    Comparison,
    SummaryReport,
)

NINE = (
    "生活噪声",
    "施工噪声",
    "无证摊贩",
    "违法建筑",
    "违法养犬",
    "机动车污染道路",
    "违法停车",
    "出店经营",
    "乱倒渣土",
)
SOURCE_OPENING = (
    "2026年1-7月，主城区投诉总量16676件，比去年同期减少16295件，下降49.42%。"
    "生活噪声、施工噪声、无证摊贩、违法建筑、违法养犬、机动车污染道路、违法停车、出店经营、"
    "乱倒渣土等9类热点问题投诉合计13021件，比去年同期下降36.00%。"
)


def report(
    total: Comparison,
    *,
    hotspot: Comparison = Comparison(0, 0),
    areas: tuple[AreaRow, ...] = (),
    categories: tuple[CategoryRow, ...] = (),
    start: date = date(2026, 1, 1),
    end: date = date(2026, 7, 31),
    hotspot_categories: tuple[str, ...] = NINE,
) -> SummaryReport:
    period = Period(start, end)
    return SummaryReport(
        period=period,
        baseline=period.same_period_last_year(),
        area=AreaInfo("330100", "杭州市主城区", "主城区", "city"),
        total=total,
        hotspot=hotspot,
        hotspot_categories=hotspot_categories,
        child_level="district" if areas else None,
        areas=areas,
        categories=categories,
    )


def district(short: str, current: int, previous: int) -> AreaRow:
    return AreaRow(short, f"{short}区", short, Comparison(current, previous))


def category(name: str, current: int, previous: int = 0, code: str | None = "x") -> CategoryRow:
    counts = Comparison(current, previous)
    return CategoryRow(code and name, name, name in NINE, "g", "大类", counts)


# 13021 this year and 20345 last year is −36.00% (the source rounds it to 36%).
SOURCE = report(Comparison(16676, 32971), hotspot=Comparison(13021, 20345))


def test_the_source_sentences() -> None:
    assert narrative(SOURCE) == SOURCE_OPENING


def test_source_percentages() -> None:
    assert Comparison(16676, 32971).percent == Decimal("-49.42")
    assert Comparison(16676, 32971).change == -16295
    assert Comparison(2460, 6483).percent == Decimal("-62.05")
    assert Comparison(13021, 20345).percent == Decimal("-36.00")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Comparison(16676, 32971), "比去年同期减少16295件，下降49.42%"),
        (Comparison(2460, 6483), "比去年同期减少4023件，下降62.05%"),
        (Comparison(110, 100), "比去年同期增加10件，上升10.00%"),
        (Comparison(2, 3), "比去年同期减少1件，下降33.33%"),
        (Comparison(1, 3), "比去年同期减少2件，下降66.67%"),  # half up: 66.666… → 66.67
        (Comparison(300, 100), "比去年同期增加200件，上升200.00%"),
        (Comparison(0, 5), "比去年同期减少5件，下降100.00%"),
        (Comparison(100, 100), "与去年同期持平"),
        (Comparison(7, 0), "去年同期无投诉"),
        (Comparison(0, 0), "去年同期亦无投诉"),
    ],
)
def test_compare(value: Comparison, text: str) -> None:
    assert compare(value) == text


def test_compare_without_count() -> None:
    assert compare(Comparison(13021, 20345), with_count=False) == "比去年同期下降36.00%"
    assert compare(Comparison(12, 10), with_count=False) == "比去年同期上升20.00%"
    assert compare(Comparison(12, 12), with_count=False) == "与去年同期持平"
    assert compare(Comparison(12, 0), with_count=False) == "去年同期无投诉"


def test_total_rising_flat_and_without_base() -> None:
    assert narrative(report(Comparison(120, 100), hotspot_categories=())) == (
        "2026年1-7月，主城区投诉总量120件，比去年同期增加20件，上升20.00%。"
    )
    assert narrative(report(Comparison(100, 100), hotspot_categories=())) == (
        "2026年1-7月，主城区投诉总量100件，与去年同期持平。"
    )
    assert narrative(report(Comparison(5, 0), hotspot=Comparison(3, 0))).startswith(
        "2026年1-7月，主城区投诉总量5件，去年同期无投诉。"
        "生活噪声、施工噪声、无证摊贩、违法建筑、违法养犬、机动车污染道路、违法停车、出店经营、"
        "乱倒渣土等9类热点问题投诉合计3件，去年同期无投诉。"
    )


@pytest.mark.parametrize(
    ("start", "end", "opening"),
    [
        (date(2026, 3, 1), date(2026, 3, 31), "2026年3月，"),
        (date(2026, 3, 5), date(2026, 4, 2), "2026年3月5日至4月2日，"),
        (date(2026, 1, 1), date(2026, 7, 31), "2026年1-7月，"),
    ],
)
def test_period_phrasing(start: date, end: date, opening: str) -> None:
    text = narrative(report(Comparison(1, 1), start=start, end=end, hotspot_categories=()))
    assert text == f"{opening}主城区投诉总量1件，与去年同期持平。"


def test_districts_with_largest_decrease_and_increase() -> None:
    areas = (
        district("上城", 100, 150),
        district("下城", 90, 100),
        district("拱墅", 120, 100),
        district("西湖", 50, 45),
        AreaRow(None, "未定位", "未定位", Comparison(500, 0)),  # not a district: never named
    )
    text = narrative(replace(SOURCE, areas=areas, child_level="district"))
    assert text == SOURCE_OPENING + (
        "分区看，上城减少最多，投诉100件，比去年同期减少50件，下降33.33%；"
        "拱墅增加最多，投诉120件，比去年同期增加20件，上升20.00%。"
    )


def test_districts_all_falling_and_all_rising_and_flat() -> None:
    falling = (district("上城", 10, 20), district("下城", 5, 30))
    assert narrative(replace(SOURCE, areas=falling, child_level="district")).endswith(
        "各区投诉量均比去年同期减少，其中下城减少最多，投诉5件，比去年同期减少25件，下降83.33%。"
    )
    rising = (district("上城", 30, 20), district("下城", 4, 0))
    assert narrative(replace(SOURCE, areas=rising, child_level="district")).endswith(
        "各区投诉量均比去年同期增加，其中上城增加最多，投诉30件，比去年同期增加10件，上升50.00%。"
    )
    flat = (district("上城", 3, 3), district("下城", 0, 0))
    assert narrative(replace(SOURCE, areas=flat, child_level="district")).endswith(
        "各区投诉量均与去年同期持平。"
    )


def test_streets_are_named_as_streets_and_ties_keep_configured_order() -> None:
    streets = (
        AreaRow("a", "清波街道", "清波", Comparison(1, 3)),
        AreaRow("b", "湖滨街道", "湖滨", Comparison(2, 4)),
        AreaRow("c", "小营街道", "小营", Comparison(3, 3)),
    )
    text = narrative(replace(SOURCE, areas=streets, child_level="street"))
    assert text.endswith("分街道看，清波减少最多，投诉1件，比去年同期减少2件，下降66.67%。")


def test_no_area_sentence_without_complaints() -> None:
    areas = (district("上城", 0, 0), district("下城", 0, 0))
    empty = report(Comparison(0, 0), areas=areas, hotspot_categories=())
    assert narrative(empty) == "2026年1-7月，主城区投诉总量0件，去年同期亦无投诉。"


def test_top_three_categories() -> None:
    categories = (
        category("生活噪声", 30),
        category("违法建筑", 50),
        category("未分类", 80, code=None),  # never named as a category
        category("违法停车", 40),
        category("其他城管事项", 40),  # ties keep the configured order: 违法停车 comes first
    )
    text = narrative(replace(SOURCE, categories=categories))
    assert text == SOURCE_OPENING + (
        "投诉最多的三类问题是违法建筑（50件）、违法停车（40件）和其他城管事项（40件）。"
    )


def test_fewer_than_three_categories() -> None:
    two = (category("生活噪声", 3), category("违法建筑", 5), category("违法养犬", 0, 4))
    assert narrative(replace(SOURCE, categories=two)).endswith(
        "投诉最多的两类问题是违法建筑（5件）和生活噪声（3件）。"
    )
    one = (category("生活噪声", 3),)
    assert narrative(replace(SOURCE, categories=one)).endswith("投诉最多的问题是生活噪声（3件）。")
    assert narrative(replace(SOURCE, categories=(category("生活噪声", 0, 9),))) == SOURCE_OPENING


def test_whole_paragraph_for_a_district() -> None:
    period = Period(date(2026, 3, 1), date(2026, 3, 31))
    shangcheng = SummaryReport(
        period=period,
        baseline=period.same_period_last_year(),
        area=AreaInfo("330102", "上城区", "上城", "district"),
        total=Comparison(4, 3),
        hotspot=Comparison(3, 3),
        hotspot_categories=("生活噪声", "违法停车"),
        child_level="street",
        areas=(AreaRow("s1", "清波街道", "清波", Comparison(4, 3)),),
        categories=(category("生活噪声", 3, 3), category("其他", 1, 0)),
    )
    assert narrative(shangcheng) == (
        "2026年3月，上城投诉总量4件，比去年同期增加1件，上升33.33%。"
        "生活噪声、违法停车等2类热点问题投诉合计3件，与去年同期持平。"
        "各街道投诉量均比去年同期增加，其中清波增加最多，投诉4件，比去年同期增加1件，上升33.33%。"
        "投诉最多的两类问题是生活噪声（3件）和其他（1件）。"
    )
