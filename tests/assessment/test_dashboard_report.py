"""The report built from the database on a hand-counted fixture: the workbook's figures, the
PDF's text, the narrative's extra paragraphs, the dashboard queries."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.assessment import dashboard as q
from civicdesk.assessment.hotspot_places import hotspot_trends, top_addresses
from civicdesk.assessment.pdf import pdf_bytes
from civicdesk.assessment.report_builder import build_report
from civicdesk.assessment.workbook import workbook_bytes
from civicdesk.clock import SHANGHAI
from civicdesk.intake.models import Channel, Complaint
from civicdesk.org.models import Area
from civicdesk.repeats.models import RepeatLink
from civicdesk.reports.periods import Period
from civicdesk.reports.summary import Comparison, root_area
from civicdesk.taxonomy.models import Category
from tests.assessment.test_pdf import pdf_text

NOW = datetime(2026, 8, 3, 9, 0, tzinfo=SHANGHAI)
JAN_JUL = Period(date(2026, 1, 1), date(2026, 7, 31))


class Data:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.channel = session.scalars(select(Channel).order_by(Channel.id)).first()
        self.area = {a.name: a for a in session.scalars(select(Area))}
        self.category = {c.code: c for c in session.scalars(select(Category))}

    def add(self, local: str, street: str, category: str, *, address: str = "某路1号") -> Complaint:
        at = datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
        place = self.area[street]
        complaint = Complaint(
            channel_id=self.channel.id,
            received_at=at,
            created_at=at,
            text="测试",
            address=address,
            district_id=place.parent_id,
            street_id=place.id,
            area_id=place.id,
            category_id=self.category[category].id,
        )
        self.session.add(complaint)
        self.session.flush()
        return complaint

    def repeat(self, later: Complaint, earlier: Complaint, kind: str) -> None:
        self.session.add(
            RepeatLink(
                complaint_id=later.id,
                earlier_id=earlier.id,
                kind=kind,
                detected_kind=kind,
                score=0.9,
                status="confirmed",
                source="batch",
                created_at=later.received_at,
                received_at=later.received_at,
            )
        )
        self.session.flush()


@pytest.fixture
def data(session: Session) -> Data:
    """2026 Jan–Jul: 清波 4 (3 施工噪声 at one address, 1 违法停车), 小营 1 违法停车,
    北山 (西湖区) 1 油烟; two repeats (same complainant, recurrence). 2025: 清波 2, 北山 3."""
    d = Data(session)
    first = d.add("2026-02-01 10:00", "清波街道", "construction_noise", address="清波路8号")
    again = d.add("2026-02-03 22:00", "清波街道", "construction_noise", address="清波路8号")
    third = d.add("2026-03-05 21:00", "清波街道", "construction_noise", address="清波路8号")
    d.add("2026-04-01 09:00", "清波街道", "illegal_parking")
    d.add("2026-07-31 23:30", "小营街道", "illegal_parking")
    d.add("2026-05-05 12:00", "北山街道", "cooking_fumes")
    d.add("2026-08-01 08:00", "清波街道", "illegal_parking")  # after the period
    d.repeat(again, first, "repeat_same_complainant")
    d.repeat(third, first, "recurrence")
    d.add("2025-03-01 10:00", "清波街道", "construction_noise")
    d.add("2025-06-01 10:00", "清波街道", "construction_noise")
    for day in ("2025-01-10", "2025-02-10", "2025-07-10"):
        d.add(f"{day} 10:00", "北山街道", "cooking_fumes")
    return d


def test_place_rows_and_trend(session: Session, data: Data) -> None:
    root = root_area(session)
    districts = {
        r.name: r for r in q.place_rows(session, period=JAN_JUL, area=root, level="district")
    }
    assert districts["上城区"].complaints == Comparison(5, 2)
    assert districts["上城区"].hotspot == Comparison(5, 2)  # 施工噪声 and 违法停车 are hot spots
    assert districts["上城区"].repeats == Comparison(2, 0)
    assert districts["西湖区"].complaints == Comparison(1, 3)
    assert districts["西湖区"].hotspot == Comparison(0, 0)
    streets = q.place_rows(session, period=JAN_JUL, area=root, level="street")
    qingbo = next(r for r in streets if r.name == "清波街道")
    assert qingbo.parent_name == "上城区" and qingbo.complaints == Comparison(4, 2)
    trend = q.monthly_trend(session, year=2026, until=date(2026, 7, 31), area=root)[None]
    assert trend.this_year[:8] == (0, 2, 1, 1, 1, 0, 1, None)
    assert trend.last_year[:7] == (1, 1, 1, 0, 0, 1, 1)
    kinds = {k.kind: k.value for k in q.repeat_kinds(session, period=JAN_JUL, area=root)}
    assert kinds["repeat_same_complainant"] == Comparison(1, 0)
    assert kinds["recurrence"] == Comparison(1, 0)


def test_hotspot_trends_and_addresses(session: Session, data: Data) -> None:
    root = root_area(session)
    trends = {
        t.code: t.trend
        for t in hotspot_trends(session, year=2026, until=date(2026, 7, 31), area=root)
    }
    assert len(trends) == 9
    assert trends["construction_noise"].this_year[:4] == (0, 2, 1, 0)
    assert trends["construction_noise"].last_year[2] == 1
    assert trends["illegal_parking"].this_year[3] == 1
    top = top_addresses(session, period=JAN_JUL, area=root)
    assert (top[0].address, top[0].street, top[0].complaints, top[0].repeats) == (
        "清波路8号",
        "清波街道",
        3,
        2,
    )


@pytest.fixture
def report(session: Session, data: Data):  # type: ignore[no-untyped-def]
    return build_report(session, start=JAN_JUL.start, end=JAN_JUL.end, area_code=None, now=NOW)


def test_workbook_figures_from_the_database(report) -> None:  # type: ignore[no-untyped-def]
    book = load_workbook(BytesIO(workbook_bytes(report)))
    assert book.sheetnames[:5] == ["汇总", "总体情况", "分区域", "分街道", "分类别"]
    overview = {r[0]: r[1:] for r in book["总体情况"].iter_rows(min_row=3, values_only=True)}
    assert overview["投诉总量"] == (6, 5, 1, pytest.approx(0.2))
    assert overview["重复投诉量"] == (2, 0, 2, "—")
    areas = {r[0]: r for r in book["分区域"].iter_rows(min_row=3, values_only=True)}
    assert areas["上城区"][1:5] == (5, 2, 3, pytest.approx(1.5))
    assert areas["合计"][1:3] == (6, 5)
    streets = [r for r in book["分街道"].iter_rows(min_row=3, values_only=True)]
    qingbo = next(r for r in streets if r[1] == "清波街道")
    assert qingbo[0] == "上城区" and qingbo[2:4] == (4, 2)
    sheet = book["分类别"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows["施工噪声"][2] == "★" and rows["施工噪声"][3:5] == (3, 2)
    noise_row = next(
        i for i, r in enumerate(sheet.iter_rows(min_row=4), start=4) if r[0].value == "施工噪声"
    )
    assert sheet.cell(noise_row, 1).fill.fgColor.rgb.endswith("FDEBD0")
    # The shipped district scheme ranks nobody here (six complaints are below its minimum
    # sample of 30): the note says so, and the districts are ranked by their complaint change.
    sheet = book["区排名"]
    assert "城区保序考核（投诉）》本期未能排名" in sheet["A2"].value
    assert "不是考核方案得分" in sheet["A2"].value
    assert [c.value for c in sheet[4]][:2] == [1, "西湖区"]


def test_without_a_scheme_districts_rank_by_their_complaint_change(
    session: Session, data: Data
) -> None:
    from civicdesk.assessment.report_ranking import _ranking

    places = q.place_rows(session, period=JAN_JUL, area=root_area(session), level="district")
    table = _ranking(places, {}, "district")
    assert table.rows[0][:2] == (1, "西湖区")  # −66.67 %: the biggest fall first
    assert table.rows[0][3] == pytest.approx(-0.6667)
    assert table.rows[1][:2] == (2, "上城区")  # +150 %
    # No complaints last year: no change to rank by, listed without a rank.
    assert [r[0] for r in table.rows[2:]] == [None] * (len(table.rows) - 2)
    assert "不是考核方案得分" in table.note


def test_narrative_extends_the_source_style(report) -> None:  # type: ignore[no-untyped-def]
    text = "".join(report.narrative)
    assert text.startswith("2026年1-7月，主城区投诉总量6件，比去年同期增加1件，上升20.00%。")
    assert "重复投诉中，同一投诉人重复投诉1件，结案后复发1件。" in text
    assert "重复投诉占投诉总量的33.33%" in text
    assert "热点问题投诉占投诉总量的83.33%" in text
    assert "投诉最集中的是上城区（5件，其中重复投诉2件）" in text


def test_pdf_from_the_database(report) -> None:  # type: ignore[no-untyped-def]
    text = pdf_text(pdf_bytes(report))
    assert "杭州市主城区2026年1-7月城市管理投诉情况报告" in text
    assert "主城区投诉总量6件，比去年同期增加1件，上升20.00%。" in text
    assert "分区域" in text and "清波街道" in text and "区排名" in text
    assert "月度投诉趋势（2026年与2025年）" in text


def test_an_empty_period_says_so_and_shows_no_wrong_figure(session: Session) -> None:
    report = build_report(
        session, start=date(2030, 1, 1), end=date(2030, 1, 31), area_code=None, now=NOW
    )
    assert report.narrative == (
        "2030年1月及去年同期，主城区均无投诉数据，以下各表均为0，率无法计算（显示为“—”）。"
        "请核对统计期间和区域。",
    )
    overview = report.table("overview")
    assert overview.rows[0] == ("投诉总量", 0, 0, 0, None)
    rates = report.table("rates")
    assert all(row[3] is None for row in rates.rows)  # no denominator: "—", never 0%


def test_scheme_scores_rank_when_the_scheme_can_score(
    session: Session, data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table shows the scorecard as it comes (its computation is tested with the schemes)."""
    from types import SimpleNamespace

    from civicdesk.assessment import scorecard
    from civicdesk.assessment.report_ranking import ranking_table

    def unit(name: str, rank: int | None, total: float | None, grade: str | None, why: str = ""):  # type: ignore[no-untyped-def]
        return SimpleNamespace(name=name, rank=rank, total=total, grade=grade, status_reason=why)

    card = SimpleNamespace(
        scheme=SimpleNamespace(name="城区保序考核（投诉）"),
        scheme_version=3,
        results=[
            unit("上城区", 2, 81.5, "B"),
            unit("西湖风景名胜区", None, None, None, "样本不足：投诉12件，少于最小样本 30"),
            unit("西湖区", 1, 92.25, "A"),
        ],
    )
    monkeypatch.setattr(scorecard, "score", lambda *args, **kwargs: card)
    table = ranking_table(session, JAN_JUL, [], {}, NOW)
    assert [r[:4] for r in table.rows] == [
        (1, "西湖区", 92.25, "A"),
        (2, "上城区", 81.5, "B"),
        (None, "西湖风景名胜区", None, ""),
    ]
    assert "样本不足" in table.rows[2][4]
    assert "《城区保序考核（投诉）》第3版得分" in table.note
