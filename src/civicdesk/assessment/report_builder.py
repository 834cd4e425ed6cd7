"""Fill a ``Report`` (plain tables, series, narrative) for a period and an area.

Counts (total, hot spots, repeats; by district, street, category) are those of the summary
report (``reports.summary``): every complaint received, a duplicate intake once. Handling rates
and the ranking come from the assessment engine (``engine.evaluate``), which leaves out
complaints covered by an approved appeal — the assessment's figures. Each table says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.assessment import dashboard as q
from civicdesk.assessment.hotspot_models import AlertStatus, HotspotAlert
from civicdesk.assessment.hotspot_places import top_addresses
from civicdesk.assessment.report_data import (
    COMPARISON_COLUMNS,
    Column,
    Kind,
    Report,
    Series,
    Table,
    comparison_cells,
    fraction,
)
from civicdesk.assessment.report_narrative import RateFigure, paragraphs
from civicdesk.assessment.report_ranking import ranking_table
from civicdesk.reports.periods import Period
from civicdesk.reports.summary import Comparison, SummaryReport, resolve_area, summary

# The handling rates shown, in this order (keys of assessment.measures).
RATES = (
    "filing_rate",
    "accept_on_time_rate",
    "handling_on_time_rate",
    "closure_rate",
    "closure_on_time_rate",
    "rework_rate",
    "satisfaction_rate",
)
NARRATIVE_RATES = ("filing_rate", "closure_rate", "closure_on_time_rate", "satisfaction_rate")


def build_report(
    session: Session, *, start: date, end: date, area_code: str | None, now: datetime
) -> Report:
    period = Period(start, end)
    base = summary(session, start=start, end=end, area_code=area_code)
    area = resolve_area(session, area_code)
    ctx = q.context(session)
    level = q.child_level(area)
    children = (
        q.place_rows(session, period=period, area=area, level=level, ctx=ctx) if level else []
    )
    streets = (
        q.place_rows(session, period=period, area=area, level="street", ctx=ctx)
        if level == "district"
        else []
    )
    kinds = q.repeat_kinds(session, period=period, area=area)
    rates = _rates(session, period, area.code if area.parent_id else None, now)
    spikes = _open_spikes(session)
    top = sorted(
        (r for r in children if r.code is not None and r.complaints.current),
        key=lambda r: (-r.complaints.current, -r.repeats.current),
    )
    tables = [
        _overview(base, kinds),
        *([_places(_areas_title(level), "areas", children, base)] if children else []),
        *([_streets(streets)] if streets else []),
        _categories(base),
        _repeats(kinds, children, level),
        *([_rates_table(rates)] if rates else []),
        *([ranking_table(session, period, children, rates, now)] if level == "district" else []),
        _addresses(session, period, area),
    ]
    trend = q.monthly_trend(session, year=end.year, until=end, area=area, ctx=ctx)[None]
    charts = (
        Series(
            f"月度投诉趋势（{end.year}年与{end.year - 1}年）",
            trend.labels,
            trend.this_year,
            trend.last_year,
            (f"{end.year}年", f"{end.year - 1}年"),
        ),
        _category_series(base),
        *([_place_series(children, level)] if children else []),
    )
    rate_figures = [_rate_figure(rates, key) for key in NARRATIVE_RATES] if rates else []
    return Report(
        title=f"{base.area.name}{base.period.label()}城市管理投诉情况报告",
        area_name=base.area.name,
        period_label=base.period.label(),
        baseline_label=base.baseline.label(),
        start=start,
        end=end,
        generated_at=now,
        narrative=paragraphs(
            base,
            repeat_kinds=kinds,
            places=top,
            rates=[r for r in rate_figures if r is not None],
            spikes=spikes,
        ),
        tables=tuple(tables),
        charts=charts,
        notes=(
            "说明：投诉量按受理时间（北京时间）统计，同一投诉经两个渠道转来只计一次；"
            "重复投诉为经确认的重复投诉（不含被认定为恶意投诉人的投诉）。",
            "处置指标与排名由考核指标引擎计算，已剔除经核减（申诉通过）的投诉。",
        ),
    )


def _word(level: str | None) -> str:
    return {"district": "区", "street": "街道", "community": "社区"}.get(level or "", "区域")


def _overview(base: SummaryReport, kinds: Sequence[q.RepeatKindRow]) -> Table:
    rows = [
        ("投诉总量", *comparison_cells(base.total)),
        (f"{len(base.hotspot_categories)}类热点问题", *comparison_cells(base.hotspot)),
        ("重复投诉量", *comparison_cells(base.repeats)),
        *((f"　其中：{k.name}", *comparison_cells(k.value)) for k in kinds),
    ]
    keys = ["complaints", "hotspot", "repeats", *(KIND_MEASURES[k.kind] for k in kinds)]
    links = {}
    for index, key in enumerate(keys[: len(rows)]):
        links[(index, 1)] = drill_url(key, base.period, base.area)
        links[(index, 2)] = drill_url(key, base.period, base.area, which="last_year")
    return Table(
        "overview", "总体情况", (Column("指标"), *COMPARISON_COLUMNS), tuple(rows), links=links
    )


# The engine's measure for each kind of repeat (drill-down links).
KIND_MEASURES = {
    "repeat_same_complainant": "repeats_same",
    "repeat_other_complainant": "repeats_other",
    "recurrence": "recurrences",
}


def drill_url(
    measure: str, period: Period, area: Any, *, which: str = "current", part: str = "numerator"
) -> str:
    """The engine's drill-down page (docs/assessment.md) for a figure of the report."""
    params = {"measure": measure, "from": period.start.isoformat(), "to": period.end.isoformat()}
    if getattr(area, "level", "city") != "city":
        params["area"] = area.code
    if which != "current":
        params["which"] = which
    if part != "numerator":
        params["part"] = part
    return f"/assessment/drill?{urlencode(params)}"


PLACE_COLUMNS = (
    *COMPARISON_COLUMNS,
    Column("热点问题", Kind.count),
    Column("热点同比", Kind.percent),
    Column("重复投诉", Kind.count),
    Column("重复去年同期", Kind.count),
    Column("重复同比", Kind.percent),
)


def _place_cells(row: q.PlaceRow) -> tuple[Any, ...]:
    return (
        *comparison_cells(row.complaints),
        row.hotspot.current,
        fraction(row.hotspot.percent),
        row.repeats.current,
        row.repeats.previous,
        fraction(row.repeats.percent),
    )


def _total_cells(rows: Sequence[q.PlaceRow]) -> tuple[Any, ...]:
    zero = Comparison(0, 0)
    total = q.PlaceRow(
        None,
        "合计",
        "",
        sum((r.complaints for r in rows), zero),
        sum((r.hotspot for r in rows), zero),
        sum((r.repeats for r in rows), zero),
    )
    return _place_cells(total)


def _places(title: str, key: str, rows: Sequence[q.PlaceRow], base: SummaryReport) -> Table:
    links = {
        (i, 1): drill_url("complaints", base.period, SimpleNamespace(level="area", code=r.code))
        for i, r in enumerate(rows)
        if r.code is not None
    }
    return Table(
        key,
        title,
        (Column("区域"), *PLACE_COLUMNS),
        tuple((r.name, *_place_cells(r)) for r in rows),
        total=("合计", *_total_cells(rows)),
        links=links,
    )


def _streets(rows: Sequence[q.PlaceRow]) -> Table:
    return Table(
        "streets",
        "分街道",
        (Column("所属区"), Column("街道"), *PLACE_COLUMNS),
        tuple((r.parent_name, r.name, *_place_cells(r)) for r in rows),
        total=("合计", "", *_total_cells(rows)),
    )


def _categories(base: SummaryReport) -> Table:
    rows = tuple(
        (r.name, r.group_name, "★" if r.hotspot else "", *comparison_cells(r.complaints))
        for r in base.categories
    )
    marked = frozenset(i for i, r in enumerate(base.categories) if r.hotspot)
    return Table(
        "categories",
        "分类别",
        (Column("类别"), Column("大类"), Column("热点", width=6), *COMPARISON_COLUMNS),
        rows,
        total=("合计", "", "", *comparison_cells(base.total)),
        marked=marked,
        note="★ 及底色标出9类热点问题。",
    )


def _repeats(
    kinds: Sequence[q.RepeatKindRow], places: Sequence[q.PlaceRow], level: str | None
) -> Table:
    rows = [("按类型", k.name, *comparison_cells(k.value)) for k in kinds]
    rows += [(f"按{_word(level)}", p.name, *comparison_cells(p.repeats)) for p in places]
    return Table(
        "repeats",
        "重复投诉",
        (Column("分组"), Column("名称"), *COMPARISON_COLUMNS),
        tuple(rows),
        note="结案后复发表示问题结案后又被投诉，说明问题未真正解决。",
    )


def _rates(
    session: Session, period: Period, area_code: str | None, now: datetime
) -> dict[str, Any]:
    """The engine's rates: {"total": Row, "district": Assessment} keyed for the tables."""
    from civicdesk.assessment.engine import evaluate

    measures = (*RATES, "complaints", "repeats")
    by = "district" if area_code is None else "street"
    # One evaluation: the grouped result carries the total row as well.
    grouped = evaluate(
        session, period=period, by=by, measures=measures, area_code=area_code, as_of=now
    )
    return {
        "total": grouped.total,
        "rows": grouped.rows,
        "measures": grouped.measures,
        "period": period,
        "area": SimpleNamespace(level="area" if area_code else "city", code=area_code),
    }


def _rates_table(rates: dict[str, Any]) -> Table:
    names = {m.key: m.name for m in rates["measures"]}
    rows = []
    links = {}
    for index, key in enumerate(RATES):
        links[(index, 1)] = drill_url(key, rates["period"], rates["area"])
        links[(index, 2)] = drill_url(key, rates["period"], rates["area"], part="denominator")
        figure = rates["total"].figures[key]
        rows.append(
            (
                names[key],
                figure.numerator,
                figure.denominator,
                fraction(figure.value),
                fraction(figure.last_year.value),
                fraction(figure.yoy_change) if figure.yoy_change is not None else None,
            )
        )
    return Table(
        "rates",
        "处置指标",
        (
            Column("指标", width=16),
            Column("分子", Kind.count),
            Column("分母", Kind.count),
            Column("本期率", Kind.percent),
            Column("去年同期率", Kind.percent),
            Column("同比增减", Kind.points),
        ),
        tuple(rows),
        note="率 = 分子 ÷ 分母，保留两位小数；同比增减以百分点计。",
        links=links,
    )


def _rate_figure(rates: dict[str, Any], key: str) -> RateFigure | None:
    figure = rates["total"].figures.get(key)
    names = {m.key: m.name for m in rates["measures"]}
    if figure is None or not figure.denominator:
        return None
    last = figure.last_year.value
    return RateFigure(
        names[key],
        figure.numerator,
        figure.denominator,
        figure.value,
        last if isinstance(last, Decimal) else None,
    )


def _addresses(session: Session, period: Period, area: Any) -> Table:
    rows = top_addresses(session, period=period, area=area)
    return Table(
        "addresses",
        "投诉集中地址",
        (
            Column("地址", width=36),
            Column("街道"),
            Column("投诉", Kind.count),
            Column("重复", Kind.count),
        ),
        tuple((r.address, r.street, r.complaints, r.repeats) for r in rows),
        note="同一地址（按填写文字）本期投诉2件以上，前15个。",
    )


def _open_spikes(session: Session) -> list[str]:
    alerts = session.scalars(
        select(HotspotAlert)
        .where(HotspotAlert.status == AlertStatus.open.value)
        .order_by(HotspotAlert.raised_at.desc())
        .limit(3)
    ).all()
    return [f"{a.subject_name}（{a.observed}件/周，常态约{a.expected:.0f}件）" for a in alerts]


def _category_series(base: SummaryReport) -> Series:
    rows = sorted(
        (r for r in base.categories if r.code is not None),
        key=lambda r: -r.complaints.current,
    )[:12]
    return Series(
        "主要类别投诉量（本期与去年同期）",
        tuple(r.name for r in rows),
        tuple(r.complaints.current for r in rows),
        tuple(r.complaints.previous for r in rows),
        marked=tuple(r.hotspot for r in rows),
    )


def _place_series(rows: Sequence[q.PlaceRow], level: str | None) -> Series:
    shown = [r for r in rows if r.code is not None]
    return Series(
        f"分{_word(level)}投诉量（本期与去年同期）",
        tuple(r.name for r in shown),
        tuple(r.complaints.current for r in shown),
        tuple(r.complaints.previous for r in shown),
    )


def _areas_title(level: str | None) -> str:
    return "分区域" if level == "district" else f"分{_word(level)}"
