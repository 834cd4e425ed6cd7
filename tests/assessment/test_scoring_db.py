"""score(session, scheme, period) on a real database, with hand-computed expectations."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from civicdesk.assessment.inspections import InspectionCreate, record_inspection
from civicdesk.assessment.schemes import Scheme
from civicdesk.assessment.scorecard import score
from civicdesk.assessment.scoring import INSUFFICIENT, SCORED, UNSCORED
from civicdesk.clock import SHANGHAI
from civicdesk.errors import InvalidInput
from civicdesk.reports.periods import Period
from tests import builders as b

JANUARY = Period(date(2026, 1, 1), date(2026, 1, 31))
XIHU = "330106"

SCHEME = Scheme.model_validate(
    {
        "code": "t",
        "version": 1,
        "name": "测试方案",
        "assess": {"by": "district"},
        "min_sample": {"measure": "complaints", "at_least": 3},
        "indicators": [
            {
                "code": "yoy",
                "name": "投诉总量同比",
                "measure": "complaints",
                "method": "change",
                "better": "lower",
                "target": -0.1,
                "per_point": 0.5,
                "weight": 60,
            },
            {"code": "insp", "name": "街面保序检查", "source": "inspection", "weight": 40},
        ],
        "penalties": [
            {"code": "spots", "name": "重复点位", "repeat_spots": {"at_least": 2}, "points": 1}
        ],
    }
)


def complaints(session, now, day: datetime, count: int, area: str = b.XIXI_STREET) -> list[int]:
    ids = []
    for n in range(count):
        result = b.complaint(
            session,
            now=now,
            received_at=day.replace(hour=9 + n),
            text=f"文三路{100 + n}号门口占道经营，第{n}次反映，影响通行",
            address=f"文三路{100 + n}号",
            area=area,
            complainant_phone=f"1380000{n:04d}",
        )
        ids.append(result.complaint.id)
    return ids


def make_data(session, now) -> list[int]:
    """4 complaints in 西溪 in January 2026, 5 a year earlier, two inspections (90 and 80)."""
    this_year = complaints(session, now, datetime(2026, 1, 12, tzinfo=SHANGHAI), 4)
    complaints(session, now, datetime(2025, 1, 12, tzinfo=SHANGHAI), 5)
    for area, deductions in ((b.XIXI_STREET, 10), (XIHU, 20)):
        record_inspection(
            session,
            InspectionCreate(
                inspected_on=date(2026, 1, 15),
                area=area,
                inspector="张检查",
                items_checked=20,
                problems_found=3,
                deductions=deductions,
            ),
            actor=None,
            now=now,
        )
    session.flush()
    return this_year


@pytest.fixture
def data(session, now):
    return make_data(session, now)


def test_score_by_hand(session, now, data):
    card = score(session, SCHEME, JANUARY, as_of=now)
    xihu = next(r for r in card.results if r.code == XIHU)
    # 4 vs 5 last year: −20%, beyond the −10% target → 60; inspections (90 + 80) / 2 = 85 → 34.
    assert [i.points for i in xihu.indicators] == [60.0, 34.0]
    assert xihu.indicators[0].value == pytest.approx(-0.2)
    assert (xihu.total, xihu.rank, xihu.grade, xihu.status) == (94.0, 1, "A", SCORED)
    assert xihu.penalties[0].points == 0.0 and xihu.appeals_approved == 0
    others = [r for r in card.results if r.code != XIHU]
    assert len(others) == 5  # every district is listed, none silently dropped
    assert {r.status for r in others} == {INSUFFICIENT}
    assert all(r.rank is None and r.total is None for r in others)
    assert card.results[0].code == XIHU
    document = card.to_dict()
    xihu_doc = next(u for u in document["units"] if u["code"] == XIHU)
    assert xihu_doc["inputs"]["figures"]["complaints"]["value"] == 4.0
    assert xihu_doc["inputs"]["figures"]["complaints"]["last_year"] == 5.0
    assert xihu_doc["inputs"]["inspection_count"] == 2


def test_no_inspection_leaves_the_unit_unscored(session, now):
    complaints(session, now, datetime(2026, 1, 12, tzinfo=SHANGHAI), 4)
    complaints(session, now, datetime(2025, 1, 12, tzinfo=SHANGHAI), 5)
    card = score(session, SCHEME, JANUARY, as_of=now)
    xihu = next(r for r in card.results if r.code == XIHU)
    assert xihu.status == UNSCORED and xihu.total is None
    assert "本期无街面保序检查记录" in xihu.status_reason


def test_a_period_with_no_data_is_refused(session, now, data):
    with pytest.raises(InvalidInput, match="没有任何投诉数据"):
        score(session, SCHEME, Period(date(2024, 6, 1), date(2024, 6, 30)), as_of=now)


def test_squadron_scheme_lists_every_squadron(session, now, data):
    card = score(session, "jinniu-dept", JANUARY, as_of=now)
    assert len(card.results) == 53
    assert all(r.status == INSUFFICIENT for r in card.results)
    assert "样本不足" in card.results[0].status_reason


def test_per_capita_uses_the_census_population(session, now, data):
    card = score(session, "jinniu-complaints", JANUARY, as_of=now)
    assert [r.code for r in card.results] == ["330102", "330103", "330104", "330105", XIHU]
    xihu = next(r for r in card.results if r.code == XIHU)
    # 4 complaints / 820,018 residents × 10,000 = 0.0488 per 10k; the others are below the sample.
    assert xihu.indicators[0].value == pytest.approx(4 / 820_018 * 10_000)
    assert xihu.indicators[0].unit_label == "件/万人"


def test_a_unit_without_area_is_listed_not_scored(session, now, data):
    from civicdesk.org.models import Unit

    session.add(Unit(code="sq-nowhere", name="无辖区中队", kind="squadron"))
    session.flush()
    scheme = Scheme.model_validate(
        SCHEME.model_dump() | {"assess": {"by": "unit", "unit_kinds": ["squadron"]}}
    )
    card = score(session, scheme, JANUARY, as_of=now)
    nowhere = next(r for r in card.results if r.code == "sq-nowhere")
    assert nowhere.status == UNSCORED and nowhere.total is None
    assert "单位未配置责任区域" in nowhere.status_reason


def test_repeat_spots_penalty_and_appeals(session, now, data):
    from civicdesk.assessment.appeals import decide_appeal, file_appeal

    # Three more complaints at one place: the 2nd and 3rd repeat the 1st (one spot, 2 repeats).
    repeats = []
    for n in range(3):
        result = b.complaint(
            session,
            now=now,
            received_at=datetime(2026, 1, 20 + n, 9, tzinfo=SHANGHAI),
            complainant_phone=f"1370000{n:04d}",
        )
        repeats.append(result.complaint.id)
    session.flush()
    xihu = next(r for r in score(session, SCHEME, JANUARY, as_of=now).results if r.code == XIHU)
    assert xihu.penalties[0].count == 1 and xihu.penalties[0].points == -1.0
    assert xihu.total == 94.0 - 1.0 - (60.0 - xihu.indicators[0].points)
    leader = b.user(session, "leader", now=now, username="spots-lead")
    for complaint_id in repeats:  # 核减 every repeat at the spot: the penalty goes with them
        appeal = file_appeal(
            session, complaint_id=complaint_id, period=JANUARY, reason_kind="unfounded",
            reason="重复来电，现场已无问题", actor=leader, now=now, unit_code="sq-330106004",
        )  # fmt: skip
        decide_appeal(session, appeal.id, approve=True, reason="核实后核减", actor=leader, now=now)
    xihu = next(r for r in score(session, SCHEME, JANUARY, as_of=now).results if r.code == XIHU)
    assert xihu.penalties[0].count == 0 and xihu.appeals_approved == 3
    assert xihu.total == 94.0


def test_the_duckdb_copy_gives_the_same_scores(session, now, data, tmp_path):
    from civicdesk.assessment.analytical import refresh

    refresh(session, tmp_path / "facts.duckdb", now=now, source="test")
    live = score(session, SCHEME, JANUARY, as_of=now).to_dict()
    copy = score(
        session, SCHEME, JANUARY, as_of=now, backend="duckdb", duckdb_path=tmp_path / "facts.duckdb"
    ).to_dict()
    assert copy["backend"] == "duckdb" and live["backend"] == "sql"
    assert copy["units"] == live["units"]


def test_streets_are_assessed_with_their_inspections(session, now, data):
    scheme = Scheme.model_validate(SCHEME.model_dump() | {"assess": {"by": "street"}})
    card = score(session, scheme, JANUARY, as_of=now)
    assert len(card.results) == 53
    xixi = next(r for r in card.results if r.code == b.XIXI_STREET)
    # Only the street's own inspection (90) counts; the district-level one (80) is above it.
    assert xixi.indicators[1].value == pytest.approx(0.9) and xixi.total == 60.0 + 36.0
