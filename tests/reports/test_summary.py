"""The summary's counts against hand-computed fixtures on the loaded Hangzhou configuration."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.app import create_app
from civicdesk.clock import SHANGHAI
from civicdesk.errors import InvalidInput, NotFound
from civicdesk.intake.models import Channel, Complaint
from civicdesk.org.models import Area
from civicdesk.reports.csv_export import summary_csv_text, write_summary_csv
from civicdesk.reports.narrative import narrative
from civicdesk.reports.summary import Comparison, SummaryReport, summary
from civicdesk.settings import Settings
from civicdesk.taxonomy.models import Category
from tests import builders as b

JAN_JUL = {"start": date(2026, 1, 1), "end": date(2026, 7, 31)}


@dataclass
class Hangzhou:
    """Ids from the loaded configuration, looked up by the names the source uses."""

    session: Session
    root: Area
    districts: dict[str, Area]
    qingbo: Area  # 上城's first street
    hubin: Area  # 上城's second street
    categories: dict[str, Category]
    other: Category  # a leaf category that is not a hot spot
    channel: Channel

    def add(
        self,
        local: str,
        district: str | None = None,
        *,
        street: Area | None = None,
        category: str | None = None,
    ) -> Complaint:
        """A complaint received at ``local`` (Shanghai wall clock, 'YYYY-MM-DD HH:MM[:SS]')."""
        at = datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
        complaint = Complaint(
            channel_id=self.channel.id,
            received_at=at,
            created_at=at,
            text="测试投诉",
            district_id=self.districts[district].id if district else None,
            street_id=street.id if street else None,
            area_id=street.id if street else None,
            category_id=self._category_id(category),
        )
        self.session.add(complaint)
        self.session.flush()
        return complaint

    def _category_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        if name == "other":
            return self.other.id
        return self.categories[name].id


@pytest.fixture
def hz(session: Session) -> Hangzhou:
    areas = session.scalars(select(Area).order_by(Area.sort_order, Area.id)).all()
    root = next(a for a in areas if a.parent_id is None)
    districts = {a.short_name: a for a in areas if a.parent_id == root.id}
    streets = [a for a in areas if a.parent_id == districts["上城"].id]
    categories = session.scalars(select(Category).order_by(Category.sort_order)).all()
    parents = {c.parent_id for c in categories}
    other = next(
        c
        for c in categories
        if not c.hotspot
        and c.in_remit
        and c.id not in parents
        and (c.parent_id is None or not _flagged(categories, c.parent_id))
    )
    channel = session.scalars(select(Channel).order_by(Channel.sort_order)).first()
    assert channel is not None
    return Hangzhou(
        session=session,
        root=root,
        districts=districts,
        qingbo=streets[0],
        hubin=streets[1],
        categories={c.name: c for c in categories},
        other=other,
        channel=channel,
    )


def _flagged(categories: Any, category_id: int) -> bool:
    by_id = {c.id: c for c in categories}
    node = by_id.get(category_id)
    while node is not None:
        if node.hotspot:
            return True
        node = by_id.get(node.parent_id)
    return False


@pytest.fixture
def data(hz: Hangzhou) -> Hangzhou:
    """Six complaints in 2026-01..07, seven in 2025-01..07, four just outside both."""
    # This year. 23:30 on 31 January in Hangzhou is 15:30 UTC: it counts in January.
    hz.add("2026-01-31 23:30", "上城", street=hz.qingbo, category="生活噪声")
    hz.add("2026-03-01 10:00", "上城", street=hz.qingbo, category="生活噪声")
    hz.add("2026-07-31 23:59", "上城", street=hz.hubin, category="违法停车")
    hz.add("2026-05-01 09:00", "上城", category="施工噪声")  # no street
    hz.add("2026-01-01 00:00", "拱墅", category="other")
    hz.add("2026-04-01 12:00")  # neither district nor category
    # Just outside: 00:10 on 1 August is not in 1-7月; New Year's Eve 2025 is in neither period.
    hz.add("2026-08-01 00:10", "上城", street=hz.qingbo, category="生活噪声")
    hz.add("2025-12-31 23:59:59", "上城", street=hz.qingbo, category="生活噪声")
    # Last year.
    hz.add("2025-02-10 08:00", "上城", street=hz.qingbo, category="生活噪声")
    hz.add("2025-06-01 08:00", "上城", street=hz.qingbo, category="生活噪声")
    hz.add("2025-07-31 23:00", "上城", street=hz.qingbo, category="生活噪声")
    hz.add("2025-03-03 08:00", "拱墅", category="违法停车")
    hz.add("2025-04-04 08:00", "西湖", category="违法停车")
    hz.add("2025-04-05 08:00", "西湖", category="违法停车")
    hz.add("2025-01-01 00:00", "下城")  # no category
    hz.add("2024-12-31 23:59", "下城")
    hz.add("2025-08-01 00:00", "下城")
    return hz


def rows(report: SummaryReport, attribute: str) -> dict[str, tuple[int, int]]:
    return {
        r.name: (r.complaints.current, r.complaints.previous) for r in getattr(report, attribute)
    }


def test_configuration_is_the_sources(hz: Hangzhou) -> None:
    assert hz.root.short_name == "主城区"
    assert len(hz.districts) == 6
    assert sum(c.hotspot for c in hz.categories.values()) == 9


def test_root_totals_and_hotspots(data: Hangzhou) -> None:
    report = summary(data.session, **JAN_JUL)
    assert report.area.short_name == "主城区"
    assert report.baseline.start == date(2025, 1, 1)
    assert report.baseline.end == date(2025, 7, 31)
    assert report.total == Comparison(6, 7)
    assert report.total.change == -1
    assert report.total.percent == Decimal("-14.29")
    assert report.hotspot == Comparison(4, 6)
    assert report.hotspot.percent == Decimal("-33.33")
    assert len(report.hotspot_categories) == 9
    assert "生活噪声" in report.hotspot_categories


def test_root_by_district_in_configured_order(data: Hangzhou) -> None:
    report = summary(data.session, **JAN_JUL)
    assert report.child_level == "district"
    names = [r.short_name for r in report.areas]
    configured = [a.short_name for a in data.districts.values()]
    assert names == [*configured, "未定位"]
    by_district = {
        r.short_name: (r.complaints.current, r.complaints.previous) for r in report.areas
    }
    assert by_district["上城"] == (4, 3)
    assert by_district["下城"] == (0, 1)
    assert by_district["拱墅"] == (1, 1)
    assert by_district["西湖"] == (0, 2)
    assert by_district["未定位"] == (1, 0)
    assert sum(v[0] for v in by_district.values()) == 6
    assert sum(v[1] for v in by_district.values()) == 7
    unlocated = report.areas[-1]
    assert unlocated.code is None and unlocated.complaints.percent is None


def test_root_by_category(data: Hangzhou) -> None:
    report = summary(data.session, **JAN_JUL)
    by_category = rows(report, "categories")
    assert by_category["生活噪声"] == (2, 3)
    assert by_category["施工噪声"] == (1, 0)
    assert by_category["违法停车"] == (1, 3)
    assert by_category[data.other.name] == (1, 0)
    assert by_category["未分类"] == (1, 1)
    assert sum(v[0] for v in by_category.values()) == 6
    assert sum(v[1] for v in by_category.values()) == 7
    flags = {r.name: r.hotspot for r in report.categories}
    assert flags["生活噪声"] and flags["违法停车"]
    assert not flags[data.other.name] and not flags["未分类"]
    # Every hot-spot category is listed, with or without complaints.
    parents = {c.parent_id for c in data.categories.values()}
    flagged_leaves = {c.name for c in data.categories.values() if c.hotspot and c.id not in parents}
    assert flagged_leaves <= {r.name for r in report.categories if r.hotspot}
    # Groups add up to the total, and 未分类 stays apart.
    groups = rows(report, "category_groups")
    assert groups["未分类"] == (1, 1)
    assert sum(v[0] for v in groups.values()) == 6
    assert sum(v[1] for v in groups.values()) == 7


def test_district_report_by_street(data: Hangzhou) -> None:
    for key in ("上城区", "上城", data.districts["上城"].code):
        report = summary(data.session, **JAN_JUL, area_code=key)
        assert report.area.name == "上城区"
        assert report.total == Comparison(4, 3)
        assert report.hotspot == Comparison(4, 3)
        assert report.child_level == "street"
        streets = {r.name: (r.complaints.current, r.complaints.previous) for r in report.areas}
        assert streets[data.qingbo.name] == (2, 3)
        assert streets[data.hubin.name] == (1, 0)
        assert streets["未定位"] == (1, 0)
        assert sum(v[0] for v in streets.values()) == 4
        assert [r.name for r in report.areas][:2] == [data.qingbo.name, data.hubin.name]
        assert rows(report, "categories")["生活噪声"] == (2, 3)
        assert "未分类" not in rows(report, "categories")


def test_other_districts(data: Hangzhou) -> None:
    assert summary(data.session, **JAN_JUL, area_code="拱墅区").total == Comparison(1, 1)
    xicheng = summary(data.session, **JAN_JUL, area_code="西湖区")
    assert xicheng.total == Comparison(0, 2)
    assert xicheng.total.percent == Decimal("-100.00")
    assert summary(data.session, **JAN_JUL, area_code="下城").total == Comparison(0, 1)


def test_street_report(data: Hangzhou) -> None:
    report = summary(data.session, **JAN_JUL, area_code=data.qingbo.code)
    assert report.total == Comparison(2, 3)
    assert report.child_level == "community"
    # The fixtures place complaints at street level only: none is in a community.
    assert rows(report, "areas")["未定位"] == (2, 3)


def test_month_boundaries_at_local_midnight(data: Hangzhou) -> None:
    january = summary(data.session, start=date(2026, 1, 1), end=date(2026, 1, 31))
    assert january.total == Comparison(2, 1)  # 1 Jan 00:00 and 31 Jan 23:30; 2025: 1 Jan 00:00
    february = summary(data.session, start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert february.total == Comparison(0, 1)
    july = summary(data.session, start=date(2026, 7, 1), end=date(2026, 7, 31))
    assert july.total == Comparison(1, 1)  # 31 July 23:59 both years; 1 August 00:10 is out
    august = summary(data.session, start=date(2026, 8, 1), end=date(2026, 8, 1))
    assert august.total == Comparison(1, 1)


def test_february_29(hz: Hangzhou) -> None:
    hz.add("2023-02-28 12:00", "上城", category="生活噪声")
    hz.add("2024-02-29 12:00", "上城", category="生活噪声")
    hz.add("2025-02-28 12:00", "上城", category="生活噪声")
    # February 2025 compares with the whole of February 2024, 29 February included.
    assert summary(hz.session, start=date(2025, 2, 1), end=date(2025, 2, 28)).total == (
        Comparison(1, 1)
    )
    # February 2024 compares with February 2023.
    assert summary(hz.session, start=date(2024, 2, 1), end=date(2024, 2, 29)).total == (
        Comparison(1, 1)
    )
    # 29 February alone compares with 28 February.
    leap_day = summary(hz.session, start=date(2024, 2, 29), end=date(2024, 2, 29))
    assert leap_day.baseline.start == date(2023, 2, 28)
    assert leap_day.total == Comparison(1, 1)
    # Days 10-28 of February 2025 compare with days 10-28 of February 2024: the 29th is out.
    partial = summary(hz.session, start=date(2025, 2, 10), end=date(2025, 2, 28))
    assert partial.total == Comparison(1, 0)
    assert partial.total.percent is None


def test_empty_period(hz: Hangzhou) -> None:
    report = summary(hz.session, start=date(2030, 1, 1), end=date(2030, 1, 31))
    assert report.total == Comparison(0, 0)
    assert report.hotspot == Comparison(0, 0)
    assert all(r.complaints == Comparison(0, 0) for r in report.areas)
    assert report.areas[-1].short_name != "未定位"
    assert narrative(report).startswith("2030年1月，主城区投诉总量0件，去年同期亦无投诉。")


def test_unknown_area_lists_the_districts(hz: Hangzhou) -> None:
    with pytest.raises(NotFound) as caught:
        summary(hz.session, **JAN_JUL, area_code="滨江区")
    assert "滨江区" in caught.value.message
    for district in hz.districts.values():
        assert district.name in caught.value.message


def test_start_after_end(hz: Hangzhou) -> None:
    with pytest.raises(InvalidInput):
        summary(hz.session, start=date(2026, 7, 31), end=date(2026, 1, 1))


@pytest.fixture
def statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = session.get_bind()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_three_grouped_queries_over_complaints(data: Hangzhou, statements: list[str]) -> None:
    summary(data.session, **JAN_JUL)
    on_complaints = [s for s in statements if "FROM complaints" in s]
    assert len(on_complaints) == 3
    assert sum("GROUP BY" in s for s in on_complaints) == 2


def test_narrative_from_the_database(data: Hangzhou) -> None:
    text = narrative(summary(data.session, **JAN_JUL))
    assert text.startswith("2026年1-7月，主城区投诉总量6件，比去年同期减少1件，下降14.29%。")
    assert "等9类热点问题投诉合计4件，比去年同期下降33.33%。" in text
    assert "分区看，西湖减少最多，投诉0件，比去年同期减少2件，下降100.00%；" in text
    assert "上城增加最多，投诉4件，比去年同期增加1件，上升33.33%。" in text


def test_json(data: Hangzhou) -> None:
    payload = json.loads(json.dumps(summary(data.session, **JAN_JUL).to_dict(), ensure_ascii=False))
    assert payload["total"] == {"current": 6, "previous": 7, "change": -1, "percent": -14.29}
    assert payload["period"]["label"] == "2026年1-7月"
    assert payload["areas"][-1]["name"] == "未定位"


def sections(rows: list[list[str]]) -> dict[str, list[list[str]]]:
    """The CSV's tables by the first cell of their header row."""
    found: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for row in rows:
        if not row:
            current = None
        elif current is None and len(row) > 2 and row[1] == "本期":
            current = found.setdefault(row[0], [row])
        elif current is not None:
            current.append(row)
    return found


def test_csv_round_trip(data: Hangzhou, tmp_path: Path) -> None:
    report = summary(data.session, **JAN_JUL)
    path = tmp_path / "summary.csv"
    write_summary_csv(report, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig") == summary_csv_text(report).removeprefix("\ufeff")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        table = sections(list(csv.reader(stream)))

    header = ["本期", "去年同期", "增减量", "增减幅(%)"]
    assert table["指标"][0] == ["指标", *header]
    assert table["指标"][1] == ["投诉总量", "6", "7", "-1", "-14.29"]
    assert table["指标"][2] == ["9类热点问题", "4", "6", "-2", "-33.33"]

    by_area = {r[0]: r[1:] for r in table["区域"][1:]}
    assert table["区域"][0] == ["区域", *header]
    assert by_area["上城区"] == ["4", "3", "1", "33.33"]
    assert by_area["未定位"] == ["1", "0", "1", ""]
    assert by_area["合计"] == ["6", "7", "-1", "-14.29"]

    by_category = {r[0]: r[1:] for r in table["类别"][1:]}
    assert table["类别"][0] == ["类别", *header, "热点", "大类"]
    assert by_category["生活噪声"][:5] == ["2", "3", "-1", "-33.33", "是"]
    assert by_category["未分类"][:5] == ["1", "1", "0", "0.00", ""]
    assert by_category["合计"] == ["6", "7", "-1", "-14.29"]
    assert sum(int(r[1]) for r in table["类别"][1:-1]) == 6
    assert table["大类"][-1] == ["合计", "6", "7", "-1", "-14.29"]


def test_csv_to_an_open_stream(data: Hangzhou) -> None:
    buffer = io.StringIO()
    write_summary_csv(summary(data.session, **JAN_JUL, area_code="上城"), buffer)
    text = buffer.getvalue()
    assert text.startswith("\ufeff投诉情况汇总,上城区")
    assert "清波街道" in text


def test_short_name_shared_by_a_district_and_a_street_means_the_district(hz: Hangzhou) -> None:
    assert summary(hz.session, **JAN_JUL, area_code="西湖").area.name == "西湖区"


def test_ambiguous_area_asks_for_a_code(hz: Hangzhou) -> None:
    for code in ("t-1", "t-2"):
        hz.session.add(
            Area(
                code=code,
                name="同名街道",
                short_name="同名",
                level="street",
                parent_id=hz.districts["上城"].id,
                sort_order=99,
            )
        )
    hz.session.flush()
    with pytest.raises(InvalidInput, match="不唯一") as caught:
        summary(hz.session, **JAN_JUL, area_code="同名街道")
    assert "t-1" in caught.value.message and "t-2" in caught.value.message


# ---- the page (GET /reports/summary and its CSV) --------------------------------------------


@pytest.fixture
def web(session: Session, clock: Any, db_url: str, now: datetime) -> Iterator[TestClient]:
    app = create_app(
        Settings(database_url=db_url, secret_key="test-secret"),
        engine=session.get_bind().engine,
        clock=clock,
    )
    app.state.sessionmaker = sessionmaker(
        bind=session.connection(),
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )
    for role, username in (("leader", "lead"), ("operator", "op")):
        b.user(session, role, now=now, username=username)
    session.flush()
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _login(client: TestClient, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": b.PASSWORD})
    assert response.status_code == 303, response.text


def test_page_shows_tables_narrative_and_csv_link(data: Hangzhou, web: TestClient) -> None:
    _login(web, "lead")
    response = web.get("/reports/summary", params={"from": "2026-01-01", "to": "2026-07-31"})
    assert response.status_code == 200, response.text
    page = response.text
    assert "2026年1-7月，主城区投诉总量6件，比去年同期减少1件，下降14.29%。" in page
    assert 'class="hotspot"' in page and "生活噪声" in page
    assert "上城区" in page and "未定位" in page and "未分类" in page
    assert "/reports/summary.csv?from=2026-01-01&amp;to=2026-07-31&amp;area=" in page


def test_page_default_period_is_year_to_yesterday(hz: Hangzhou, web: TestClient) -> None:
    _login(web, "lead")
    response = web.get("/reports/summary")  # the fixed clock says 10 March 2026
    assert response.status_code == 200
    assert "2026年1月1日至3月9日" in response.text
    assert 'value="2026-01-01"' in response.text and 'value="2026-03-09"' in response.text


def test_page_for_a_district(data: Hangzhou, web: TestClient) -> None:
    _login(web, "lead")
    response = web.get(
        "/reports/summary",
        params={"from": "2026-01-01", "to": "2026-07-31", "area": data.districts["上城"].code},
    )
    assert response.status_code == 200
    assert "2026年1-7月，上城投诉总量4件" in response.text
    assert data.qingbo.name in response.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-02-30", "to": "2026-07-31"}, "日期无效"),
        ({"from": "2026-07-31", "to": "2026-01-01"}, "晚于结束日期"),
        ({"from": "2026-01-01", "to": "2026-07-31", "area": "滨江"}, "未找到区域"),
    ],
)
def test_page_errors_beside_the_form(
    hz: Hangzhou, web: TestClient, params: dict[str, str], message: str
) -> None:
    _login(web, "lead")
    response = web.get("/reports/summary", params=params)
    assert response.status_code == 422
    assert message in response.text
    assert 'name="from"' in response.text


def test_page_roles(hz: Hangzhou, web: TestClient) -> None:
    assert web.get("/reports/summary").status_code == 303  # to the login page
    _login(web, "op")
    assert web.get("/reports/summary").status_code == 403
    assert web.get("/reports/summary.csv").status_code == 403


def test_csv_download(data: Hangzhou, web: TestClient) -> None:
    _login(web, "lead")
    response = web.get(
        "/reports/summary.csv", params={"from": "2026-01-01", "to": "2026-07-31", "area": "上城"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["投诉总量", "4", "3", "1", "33.33"] in rows
    bad = web.get("/reports/summary.csv", params={"from": "2026-02-30"})
    assert bad.status_code == 422
    assert "日期无效" in bad.text


def test_page_links_each_area_to_its_own_report(data: Hangzhou, web: TestClient) -> None:
    _login(web, "lead")
    page = web.get("/reports/summary", params={"from": "2026-01-01", "to": "2026-07-31"}).text
    code = data.districts["上城"].code
    assert f'href="/reports/summary?from=2026-01-01&amp;to=2026-07-31&amp;area={code}"' in page
