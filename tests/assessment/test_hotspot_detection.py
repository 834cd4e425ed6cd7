"""Emerging spikes: the Poisson test on hand-made series, then planted spikes in the database
(found, alerted once, continued rather than repeated) and flat series (no alert)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from scipy.stats import nbinom, poisson
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from civicdesk.assessment import hotspot_alerts as ha
from civicdesk.assessment import hotspots as hs
from civicdesk.assessment.hotspot_models import AlertStatus, HotspotAlert
from civicdesk.clock import SHANGHAI
from civicdesk.config.models import Setting
from civicdesk.errors import ConfigurationError
from civicdesk.intake.models import Channel, Complaint
from civicdesk.notifications.models import OutboxMessage
from civicdesk.org.models import Area
from civicdesk.taxonomy.models import Category

SETTINGS = hs.SpikeSettings()
# Wednesday 11 March 2026: this week began on Monday 9 March; the last whole week on 2 March.
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)
LAST_WEEK = date(2026, 3, 2)
THIS_WEEK = date(2026, 3, 9)


# ---- the test on plain numbers --------------------------------------------------------------


@pytest.mark.parametrize(("k", "mean"), [(10, 2.0), (30, 10.0), (3, 2.5), (200, 150.0)])
def test_poisson_tail_matches_scipy(k: int, mean: float) -> None:
    assert hs.poisson_tail(k, mean) == pytest.approx(poisson.sf(k - 1, mean), rel=1e-9)


@pytest.mark.parametrize(
    ("k", "mean", "variance"), [(30, 10.0, 25.0), (12, 4.0, 6.0), (80, 40.0, 200.0)]
)
def test_negative_binomial_tail_matches_scipy(k: int, mean: float, variance: float) -> None:
    p = mean / variance
    r = mean * mean / (variance - mean)
    assert hs.negative_binomial_tail(k, mean, variance) == pytest.approx(
        nbinom.sf(k - 1, r, p), rel=1e-9
    )
    assert hs.negative_binomial_tail(k, mean, mean) == hs.poisson_tail(k, mean)


def test_a_noisy_baseline_needs_a_bigger_jump() -> None:
    steady = hs.judge(22, [10] * 8, SETTINGS)
    noisy = hs.judge(22, [2, 18, 4, 16, 6, 14, 10, 10], SETTINGS)  # same mean, variance 36
    assert steady.spike and steady.dispersion == 1.0
    assert noisy.dispersion == pytest.approx(36 / 10 * 8 / 8, rel=0.2)
    assert not noisy.spike and noisy.p_value > steady.p_value


def test_poisson_tail_edges() -> None:
    assert hs.poisson_tail(0, 3.0) == 1.0
    assert hs.poisson_tail(5, 0.0) == 0.0
    assert hs.poisson_tail(2, 5.0) == 1.0  # not above the mean: never a spike


def test_flat_series_is_no_spike() -> None:
    verdict = hs.judge(12, [10, 11, 9, 10, 12, 8, 10, 10], SETTINGS)
    assert not verdict.spike and verdict.expected == pytest.approx(10.0)


def test_a_jump_is_a_spike() -> None:
    verdict = hs.judge(30, [10] * 8, SETTINGS)
    assert verdict.spike
    assert verdict.p_value < 1e-5 and verdict.expected == 10.0


def test_a_few_complaints_from_nothing_are_not_enough() -> None:
    verdict = hs.judge(6, [0] * 8, SETTINGS)
    assert verdict.expected == SETTINGS.min_expected  # the floor: no division by zero
    assert verdict.p_value < SETTINGS.alpha  # improbable, yet below min_count
    assert not verdict.spike


def test_a_rise_seen_last_year_too_is_seasonal() -> None:
    history = [10] * 8
    plain = hs.judge(25, history, SETTINGS)
    seasonal = hs.judge(25, history, SETTINGS, last_year=25, last_year_history=[10] * 8)
    assert plain.spike
    assert seasonal.seasonal_factor == 2.0 and seasonal.expected == 20.0
    assert not seasonal.spike  # 1.25 × its seasonal level is below min_ratio


def test_settings_from_configuration(session: Session) -> None:
    for key, value in (
        ("hotspots.min_count", "25"),
        ("hotspots.seasonal", "false"),
        ("hotspots.kinds", "category,community"),
    ):
        session.merge(Setting(key=key, value=value))
    session.flush()
    settings = hs.spike_settings(session)
    assert settings.min_count == 25 and settings.seasonal is False
    assert settings.kinds == ("category", "community")
    session.merge(Setting(key="hotspots.alpha", value="often"))
    session.flush()
    with pytest.raises(ConfigurationError, match=r"hotspots\.alpha"):
        hs.spike_settings(session)


# ---- planted in the database ----------------------------------------------------------------


class Plant:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.channel = session.scalars(select(Channel).order_by(Channel.id)).first()
        self.qingbo = session.scalars(select(Area).where(Area.name == "清波街道")).one()
        self.xiaoying = session.scalars(select(Area).where(Area.name == "小营街道")).one()
        self.noise = session.scalars(
            select(Category).where(Category.code == "construction_noise")
        ).one()
        self.parking = session.scalars(
            select(Category).where(Category.code == "illegal_parking")
        ).one()

    def week(
        self, monday: date, count: int, *, street: Area, category: Category, days: int = 7
    ) -> None:
        """``count`` complaints spread over the first ``days`` days of the week of ``monday``."""
        rows = []
        for i in range(count):
            at = datetime.combine(monday + timedelta(days=i % days), datetime.min.time(), SHANGHAI)
            at += timedelta(hours=8, minutes=i)
            rows.append(
                {
                    "channel_id": self.channel.id,
                    "received_at": at,
                    "created_at": at,
                    "text": "测试",
                    "district_id": street.parent_id,
                    "street_id": street.id,
                    "area_id": street.id,
                    "category_id": category.id,
                }
            )
        if rows:
            self.session.execute(insert(Complaint), rows)

    def flat(self, weeks: int = 10) -> None:
        """违法停车 in 小营: 3 a week, every week up to this one."""
        for n in range(weeks):
            monday = THIS_WEEK - timedelta(weeks=n)
            self.week(
                monday, 3, street=self.xiaoying, category=self.parking, days=2 if n == 0 else 7
            )


@pytest.fixture
def plant(session: Session) -> Plant:
    return Plant(session)


def _subjects(spikes: list[hs.Spike]) -> set[tuple[str, str, date]]:
    return {(s.subject.kind, s.subject.code, s.week) for s in spikes}


def _alerts(session: Session) -> list[HotspotAlert]:
    return list(session.scalars(select(HotspotAlert).order_by(HotspotAlert.id)))


def _outbox(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_flat_series_raise_nothing(session: Session, plant: Plant) -> None:
    plant.flat()
    assert hs.find_spikes(session, now=NOW, settings=SETTINGS) == []
    assert ha.scan(session, now=NOW, settings=SETTINGS).raised == 0
    assert _alerts(session) == []


def test_a_planted_spike_is_found_for_its_category_and_its_street(
    session: Session, plant: Plant
) -> None:
    plant.flat()
    for n in range(2, 10):  # construction noise in 清波: 2 a week before
        plant.week(LAST_WEEK - timedelta(weeks=n - 1), 2, street=plant.qingbo, category=plant.noise)
    plant.week(LAST_WEEK, 25, street=plant.qingbo, category=plant.noise)
    spikes = hs.find_spikes(session, now=NOW, settings=SETTINGS)
    assert _subjects(spikes) == {
        ("category", "construction_noise", LAST_WEEK),
        ("street", plant.qingbo.code, LAST_WEEK),
    }
    category = next(s for s in spikes if s.subject.kind == "category")
    assert category.verdict.observed == 25 and category.verdict.expected == pytest.approx(2.0)
    assert not category.partial


def test_an_alert_is_raised_once_and_told_to_the_centre(session: Session, plant: Plant) -> None:
    plant.flat()
    plant.week(LAST_WEEK, 25, street=plant.qingbo, category=plant.noise)
    before = _outbox(session)
    stats = ha.scan(session, now=NOW, settings=SETTINGS)
    assert (stats.raised, stats.continued) == (2, 0)
    alerts = _alerts(session)
    assert {a.subject_name for a in alerts} == {"施工噪声", "清波街道"}
    assert all(a.status == AlertStatus.open and a.week_start == LAST_WEEK for a in alerts)
    assert alerts[0].method["test"] == "poisson" and alerts[0].method["alpha"] == SETTINGS.alpha
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.id > 0)).all()
    new = [m for m in messages if "热点预警" in m.subject]
    assert len(new) == _outbox(session) - before == 2
    assert {m.recipient for m in new} == {"centre-96310"}
    assert any("施工噪声" in m.body and "投诉25件" in m.body for m in new)

    again = ha.scan(session, now=NOW + timedelta(minutes=5), settings=SETTINGS)
    assert (again.raised, again.continued) == (0, 2)
    assert len(_alerts(session)) == 2 and _outbox(session) - before == 2


def test_a_spike_that_goes_on_updates_its_alert(session: Session, plant: Plant) -> None:
    plant.flat()
    plant.week(LAST_WEEK, 25, street=plant.qingbo, category=plant.noise)
    ha.scan(session, now=NOW, settings=SETTINGS)
    # Monday to this morning (Wednesday): the week so far is already above a whole usual week.
    plant.week(THIS_WEEK, 40, street=plant.qingbo, category=plant.noise, days=3)
    stats = ha.scan(session, now=NOW + timedelta(hours=1), settings=SETTINGS)
    assert stats.raised == 0 and stats.continued >= 2
    street = next(a for a in _alerts(session) if a.kind == "street")
    session.refresh(street)
    assert street.week_start == LAST_WEEK and street.last_week_start == THIS_WEEK
    assert street.peak == 40 and street.observed == 25


def test_the_insert_itself_is_idempotent(session: Session, plant: Plant) -> None:
    """Two workers that both missed each other's alert insert it once (ON CONFLICT DO NOTHING)."""
    subject = hs.Subject("street", plant.qingbo.code, plant.qingbo.name, area_id=plant.qingbo.id)
    spike = hs.Spike(subject, LAST_WEEK, hs.judge(30, [2] * 8, SETTINGS), partial=False)
    first = ha._insert_once(session, spike, now=NOW, settings=SETTINGS)
    second = ha._insert_once(session, spike, now=NOW, settings=SETTINGS)
    assert first is not None and second is None
    assert len(_alerts(session)) == 1


def test_acknowledge_records_who_and_keeps_the_first(session: Session, plant: Plant) -> None:
    from tests import builders as b

    leader = b.user(session, "leader", now=NOW)
    plant.week(LAST_WEEK, 25, street=plant.qingbo, category=plant.noise)
    ha.scan(session, now=NOW, settings=SETTINGS)
    alert = _alerts(session)[0]
    ha.acknowledge(session, alert.id, user_id=leader.id, now=NOW, note="已安排夜查")
    ha.acknowledge(session, alert.id, user_id=leader.id, now=NOW + timedelta(hours=1), note="x")
    assert alert.status == "acknowledged" and alert.note == "已安排夜查"
    assert alert.acknowledged_at == NOW
    assert [a.id for a in ha.list_alerts(session, status="open")] == [_alerts(session)[1].id]


def test_two_workers_at_once_raise_each_alert_once(engine) -> None:  # type: ignore[no-untyped-def]
    """Worker A has written its alerts but not committed when worker B scans the same week:
    B waits (PostgreSQL: on the unique key; SQLite: for the write lock), then inserts nothing.
    Committed for real, so it cleans up after itself."""
    import threading

    from sqlalchemy import delete

    from civicdesk.db import begin_for_writing, session_factory

    sessions = session_factory(engine)
    with sessions() as setup:
        plant = Plant(setup)
        plant.week(LAST_WEEK, 25, street=plant.qingbo, category=plant.noise)
        setup.commit()
    results: dict[str, ha.ScanStats] = {}
    try:
        first = sessions()
        begin_for_writing(first)
        results["a"] = ha.scan(first, now=NOW, settings=SETTINGS)

        def worker_b() -> None:
            with sessions() as second:
                begin_for_writing(second)
                results["b"] = ha.scan(second, now=NOW, settings=SETTINGS)
                second.commit()

        thread = threading.Thread(target=worker_b)
        thread.start()
        thread.join(timeout=1.0)  # B is blocked behind A's uncommitted alerts
        first.commit()
        first.close()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert results["a"].raised == 2
        assert results["b"].raised == 0 and results["b"].messages == 0
        with sessions() as check:
            assert check.scalar(select(func.count()).select_from(HotspotAlert)) == 2
            told = select(func.count()).where(OutboxMessage.subject.like("热点预警%"))
            assert check.scalar(told) == 2
    finally:
        with sessions() as cleanup:
            cleanup.execute(delete(OutboxMessage).where(OutboxMessage.subject.like("热点预警%")))
            cleanup.execute(delete(HotspotAlert))
            cleanup.execute(delete(Complaint).where(Complaint.text == "测试"))
            cleanup.commit()
