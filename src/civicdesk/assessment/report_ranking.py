"""The report's ranking table: the stored district scheme's scores (``assessment.scorecard``), or
— without such a scheme, or for a period without complaints — the districts ranked by their
complaint figures, with a note saying which."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from civicdesk.assessment import dashboard as q
from civicdesk.assessment.report_data import Column, Kind, Table, fraction
from civicdesk.reports.periods import Period

RANK_NOTE = (
    "排名依据：投诉总量同比增减幅（降幅大者在前），并列时看重复投诉同比增减幅；"
    "这是按指标引擎的投诉指标排序，不是考核方案得分——方案评分见考核页面。"
)


def ranking_table(
    session: Session,
    period: Period,
    places: Sequence[q.PlaceRow],
    rates: dict[str, Any],
    now: datetime,
) -> Table:
    """The stored district scheme's scores when there is one (assessment.scorecard), else the
    districts ranked by their complaint figures (and the note says which)."""
    from civicdesk.assessment.schemes import list_schemes

    stored = [
        s for s in list_schemes(session) if s.document.get("assess", {}).get("by") == "district"
    ]
    if not stored:
        return _ranking(places, rates, "district")
    from civicdesk.assessment.scorecard import score
    from civicdesk.errors import InvalidInput

    try:
        card = score(session, stored[0].code, period, as_of=now)
    except InvalidInput:
        return _ranking(places, rates, "district")
    if all(r.rank is None for r in card.results):
        # The scheme ranks nobody this period (e.g. no street-order inspections recorded yet):
        # say why, and rank by the complaint figures instead.
        reasons = sorted({r.status_reason for r in card.results if r.status_reason})
        fallback = _ranking(places, rates, "district")
        why = f"考核方案《{card.scheme.name}》本期未能排名（{'；'.join(reasons)[:120]}）。"
        return Table(**{**vars(fallback), "note": why + fallback.note})
    ordered = sorted(card.results, key=lambda r: (r.rank is None, r.rank or 0))
    rows = tuple(
        (r.rank, r.name, r.total, r.grade or "", r.status_reason if r.rank is None else "")
        for r in ordered
    )
    return Table(
        "ranking",
        "区排名",
        (
            Column("名次", Kind.count, width=6),
            Column("区域"),
            Column("得分", Kind.number),
            Column("等级", width=6),
            Column("说明", width=30),
        ),
        rows,
        note=(
            f"排名依据：考核方案《{card.scheme.name}》第{card.scheme_version}版得分"
            "（投诉指标、街面保序检查与扣分，已剔除核减投诉；详见考核页面）。"
        ),
    )


def _ranking(places: Sequence[q.PlaceRow], rates: dict[str, Any], level: str | None) -> Table:
    closure = {row.label: row.figures["closure_rate"].value for row in rates.get("rows", ())}
    ranked = [p for p in places if p.code is not None]
    big = Decimal(10**9)
    ranked.sort(
        key=lambda p: (
            p.complaints.percent if p.complaints.percent is not None else big,
            p.repeats.percent if p.repeats.percent is not None else big,
        )
    )
    # Without last year's complaints there is no change to rank by: listed last, no rank.
    rankable = sum(1 for p in ranked if p.complaints.percent is not None)
    rows = tuple(
        (
            position if position <= rankable else None,
            p.name,
            p.complaints.current,
            fraction(p.complaints.percent),
            p.repeats.current,
            fraction(p.repeats.percent),
            fraction(closure.get(p.name)),
        )
        for position, p in enumerate(ranked, start=1)
    )
    return Table(
        "ranking",
        f"{_word(level)}排名",
        (
            Column("名次", Kind.count, width=6),
            Column(_word(level)),
            Column("投诉总量", Kind.count),
            Column("投诉同比", Kind.percent),
            Column("重复投诉", Kind.count),
            Column("重复同比", Kind.percent),
            Column("结案率", Kind.percent),
        ),
        rows,
        note=RANK_NOTE,
    )


def _word(level: str | None) -> str:
    return {"district": "区", "street": "街道", "community": "社区"}.get(level or "", "区域")
