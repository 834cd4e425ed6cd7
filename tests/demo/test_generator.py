"""The demo history: exact published figures, honest repeat truth, legal case histories,
determinism. Generated once per module at a small scale (the full scale is the slow test)."""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.accounts.service import authenticate
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.clock import SHANGHAI, to_local
from civicdesk.config.loader import load_config
from civicdesk.config.service import units_covering, work_calendar
from civicdesk.core.calendar import WorkCalendar
from civicdesk.core.workflow import ACTION_ROLES, TRANSITIONS, CaseAction
from civicdesk.core.workflow import CaseStatus as S
from civicdesk.db import make_engine
from civicdesk.demo.calendar_fast import FastCalendar, day_number
from civicdesk.demo.generator import (
    DEMO_PASSWORD,
    HistoryStats,
    generate_history,
    published_targets,
)
from civicdesk.demo.models import PlantedRepeat
from civicdesk.demo.volumes import apportion
from civicdesk.intake.models import Channel, Complaint
from civicdesk.migrate import upgrade
from civicdesk.org.models import Area, Unit
from civicdesk.reports.narrative import narrative
from civicdesk.reports.summary import summary
from civicdesk.supervision.models import Notice
from civicdesk.taxonomy.models import Category

SEED, YEAR, TODAY, SCALE = 7, 2026, date(2026, 10, 1), 0.02
CJK = re.compile(r"[\u4e00-\u9fff]")
SUPERVISED = (S.dispatched, S.accepted, S.handled, S.suspended)


@dataclass
class History:
    session: Session
    stats: HistoryStats
    complaints: list[Complaint]
    cases: dict[int, Case]
    events: dict[int, list[CaseEvent]]
    planted: list[PlantedRepeat]
    categories: dict[int, Category]
    channels: dict[int, Channel]


def _load(session: Session, stats: HistoryStats, after: dict[str, int]) -> History:
    complaints = list(
        session.scalars(
            select(Complaint).where(Complaint.id > after["complaint"]).order_by(Complaint.id)
        )
    )
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id > after["case"]))}
    events: dict[int, list[CaseEvent]] = defaultdict(list)
    for event in session.scalars(
        select(CaseEvent).where(CaseEvent.id > after["event"]).order_by(CaseEvent.id)
    ):
        events[event.case_id].append(event)
    planted = list(
        session.scalars(
            select(PlantedRepeat).where(PlantedRepeat.complaint_id > after["complaint"])
        )
    )
    return History(
        session,
        stats,
        complaints,
        cases,
        events,
        planted,
        {c.id: c for c in session.scalars(select(Category))},
        {c.id: c for c in session.scalars(select(Channel))},
    )


def _max_ids(session: Session) -> dict[str, int]:
    return {
        name: session.scalar(select(func.max(model.id))) or 0
        for name, model in (("complaint", Complaint), ("case", Case), ("event", CaseEvent))
    }


def _generate(session: Session) -> tuple[HistoryStats, dict[str, int]]:
    after = _max_ids(session)
    stats = generate_history(session, seed=SEED, year=YEAR, today=TODAY, scale=SCALE)
    session.flush()
    return stats, after


@pytest.fixture(scope="module")
def history(engine: Engine) -> Iterator[History]:
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        stats, after = _generate(session)
        yield _load(session, stats, after)
    finally:
        session.close()
        outer.rollback()
        connection.close()


def local_day(value: datetime) -> date:
    return to_local(value).date()


def jan_jul(value: datetime, year: int) -> bool:
    return date(year, 1, 1) <= local_day(value) < date(year, 8, 1)


def base_address(address: str) -> str:
    return re.sub(r"(门口|附近)$", "", address.removeprefix("杭州市"))


# ---- the published figures -----------------------------------------------------------------


def test_jan_jul_figures_equal_the_scaled_targets(history: History) -> None:
    targets = published_targets(SCALE)
    for year, target in ((YEAR - 1, targets["last"]), (YEAR, targets["this"])):
        chosen = [c for c in history.complaints if jan_jul(c.received_at, year)]
        hot = [c for c in chosen if history.categories[c.category_id].hotspot]
        repeats = {p.complaint_id for p in history.planted}
        assert len(chosen) == target.complaints
        assert len(hot) == target.hotspot
        assert sum(1 for c in chosen if c.id in repeats) == target.repeats
        assert history.stats.jan_jul[year] == target


def test_history_spans_last_year_and_this_year_up_to_today(history: History) -> None:
    days = [local_day(c.received_at) for c in history.complaints]
    assert min(days) == date(YEAR - 1, 1, 1)
    assert max(days) == TODAY - timedelta(days=1)
    months = Counter((d.year, d.month) for d in days)
    assert all(months[(YEAR - 1, m)] > 0 for m in range(1, 13))
    # Last year ran at about twice this year's rate, in the other months too.
    assert months[(YEAR - 1, 9)] > 1.5 * months[(YEAR, 9)]


def test_every_complaint_lies_in_a_configured_district(history: History) -> None:
    session = history.session
    districts = set(session.scalars(select(Area.id).where(Area.level == "district")))
    for complaint in history.complaints:
        assert complaint.district_id in districts
        assert complaint.area_id is not None
        case = history.cases[complaint.case_id]
        assert case.district_id == complaint.district_id


# ---- planted repeats: the truth repeat detection is scored against ---------------------------


def test_planted_repeats_point_to_an_earlier_complaint_at_the_same_place(history: History) -> None:
    by_id = {c.id: c for c in history.complaints}
    repeat_ids = {p.complaint_id for p in history.planted}
    kinds = Counter(p.kind for p in history.planted)
    assert set(kinds) == {"same_complainant", "other_complainant", "recurrence"}
    assert sum(kinds.values()) == history.stats.planted_repeats
    for planted in history.planted:
        complaint, original = by_id[planted.complaint_id], by_id[planted.original_id]
        assert planted.original_id not in repeat_ids  # the first complaint of the issue
        assert original.received_at < complaint.received_at
        assert complaint.category_id == original.category_id
        assert complaint.area_id == original.area_id
        assert base_address(complaint.address) == base_address(original.address)
        assert complaint.text != original.text


def test_repeat_kinds_match_the_case_they_joined_or_opened(history: History) -> None:
    by_id = {c.id: c for c in history.complaints}
    issue: dict[int, list[Complaint]] = defaultdict(list)
    for planted in sorted(history.planted, key=lambda p: by_id[p.complaint_id].received_at):
        issue[planted.original_id].append(by_id[planted.complaint_id])
    first_of_case = {}
    for complaint in history.complaints:
        first_of_case.setdefault(complaint.case_id, complaint.id)
    for planted in history.planted:
        complaint = by_id[planted.complaint_id]
        earlier = [by_id[planted.original_id]] + [
            c for c in issue[planted.original_id] if c.received_at < complaint.received_at
        ]
        previous = earlier[-1]
        if planted.kind == "recurrence":
            assert first_of_case[complaint.case_id] == complaint.id  # a new case
            before = history.cases[previous.case_id]
            assert before.closed_at is not None
            gap = complaint.received_at - before.closed_at
            assert timedelta(days=7) <= gap <= timedelta(days=56)
        else:
            assert first_of_case[complaint.case_id] != complaint.id  # joined the open case
            assert complaint.case_id == previous.case_id
            assert complaint.received_at - previous.received_at <= timedelta(days=22)
            case = history.cases[complaint.case_id]
            assert case.closed_at is None or case.closed_at > complaint.received_at
        if planted.kind == "same_complainant":
            assert complaint.complainant_phone in {c.complainant_phone for c in earlier}


def test_other_complaints_are_not_accidentally_at_the_same_place(history: History) -> None:
    """Only planted repeats share place and category with an earlier complaint within
    60 days, so detection scored against the truth is scored honestly."""
    repeat_ids = {p.complaint_id for p in history.planted}
    seen: dict[tuple[int, str], datetime] = {}
    for complaint in sorted(history.complaints, key=lambda c: c.received_at):
        key = (complaint.category_id, base_address(complaint.address))
        if complaint.id not in repeat_ids and key in seen:
            assert complaint.received_at - seen[key] > timedelta(days=60), complaint.address
        seen[key] = complaint.received_at


# ---- cases and their histories -----------------------------------------------------------


def test_every_case_history_is_a_legal_walk_of_the_workflow(history: History) -> None:
    users = {u.id: u for u in history.session.scalars(select(User))}
    for case_id, events in history.events.items():
        first, *rest = events
        assert (first.action, first.from_status, first.to_status) == (
            "receive",
            "received",
            "received",
        )
        status = S.received
        previous_at = first.at
        for event in rest:
            action = CaseAction(event.action)
            assert event.from_status == status, (case_id, event.action)
            assert TRANSITIONS[(action, S(event.from_status))] == S(event.to_status)
            assert event.at >= previous_at
            if event.actor_id is not None:
                assert users[event.actor_id].role in ACTION_ROLES[action]
            status, previous_at = S(event.to_status), event.at
        assert history.cases[case_id].status == status
    assert set(history.events) == set(history.cases)


def test_case_rows_agree_with_their_histories(history: History) -> None:
    counts = Counter(c.case_id for c in history.complaints)
    for case in history.cases.values():
        assert case.complaint_count == counts[case.id]
        # As cases.service leaves them: the step's deadline while the unit owes a step, the
        # answer's deadline after its result (答复), the review day's opening while 挂账.
        assert (case.due_at is not None) == (case.status in SUPERVISED)
        if case.status == S.dispatched:
            assert case.due_at == case.accept_due_at
        if case.status == S.accepted:
            assert case.due_at == case.handle_due_at
        if case.status == S.handled:
            assert case.due_at == case.reply_due_at and case.reply_due_at > case.handled_at
        if case.status == S.suspended:
            assert case.review_on is not None and to_local(case.due_at).date() == case.review_on
        if case.status == S.closed:
            assert (
                case.closed_at
                and case.reply_text
                and case.satisfaction in ("satisfied", "basically", "unsatisfied")
            )
            assert case.solved is not None and case.unit_id is not None
        if case.status == S.not_filed:
            assert case.not_filed_reason and CJK.search(case.not_filed_reason)
        actions = Counter(e.action for e in history.events[case.id])
        assert case.returned_count == actions["return"]
        assert case.rework_count == actions["rework"]
        assert case.urge_count == actions["urge"]
        assert case.extension_count == actions["approve_extension"]
        assert case.extension_refused_count == actions["refuse_extension"]
        assert case.supervise_count == actions["supervise"]
        assert case.escalation_level == (1 if actions["escalate"] else 0)
        assert (case.grade == "key") == (actions["set_grade"] > 0)
        last = {e.action: e for e in history.events[case.id]}
        accepted = last.get("accept")
        assert case.accepted_late == (accepted.data["late"] if accepted else None)
        replied = last.get("reply")
        if case.status in (S.handled, S.closed):
            assert replied is not None and case.handled_late == replied.data["late"]
        if case.status == S.closed:
            assert case.close_outcome == ("fixed" if case.solved else "not_fixed")
        else:
            assert case.close_outcome is None


def test_supervision_notices_agree_with_the_history(history: History) -> None:
    """Each urge, supervision, 超期 and 升级督办 in the history is one notice; the sweep's have
    its (case, rule, occasion) key and go up the unit chain; older ones were read."""
    session = history.session
    notices = {
        n.id: n
        for n in session.scalars(select(Notice).where(Notice.case_id.in_(list(history.cases))))
    }
    units = {u.id: u for u in session.scalars(select(Unit))}
    by_case: Counter[tuple[int, str]] = Counter((n.case_id, n.kind) for n in notices.values())
    kinds = {"urge": "urge", "supervise": "supervise", "mark_overdue": "overdue"}
    kinds["escalate"] = "escalate"
    seen: Counter[str] = Counter()
    for case_id, events in history.events.items():
        actions = Counter(e.action for e in events)
        for action, kind in kinds.items():
            assert by_case[(case_id, kind)] == actions[action], (case_id, action)
        for event in events:
            if event.action not in ("mark_overdue", "escalate"):
                continue
            notice = notices[event.data["notice"]]
            assert notice.rule == event.data["rule"] and event.actor_id is None
            assert notice.occasion_at == notice.due_at and notice.issued_at == event.at
            assert event.unit_id == notice.unit_id
            handling = units[notice.handling_unit_id]
            if event.action == "escalate":
                assert notice.unit_id == handling.parent_id and notice.level == 1
                assert "升级督办" in notice.text and handling.name in notice.text
            else:
                assert notice.unit_id == handling.id and "已超过" in notice.text
            seen[event.action] += 1
    assert seen["mark_overdue"] > seen["escalate"] > 0
    manual = [n for n in notices.values() if n.rule == "manual"]
    assert manual and all(n.issued_by_id and n.occasion_at is None for n in manual)
    assert all(n.text.startswith(("【催办】", "【督办】")) for n in manual)
    end = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=SHANGHAI)
    for n in notices.values():
        assert (n.read_at is not None) == (n.issued_at < end - timedelta(days=1))
    graded = [c for c in history.cases.values() if c.grade]
    assert graded and all(c.grade_set_at and c.complaint_count >= 3 for c in graded)


def test_deadlines_come_from_the_working_day_calendar(history: History) -> None:
    calendar = work_calendar(history.session, assume_weekdays_for_unknown=True)
    checked = 0
    for case in list(history.cases.values())[:300]:
        category = history.categories[case.category_id]
        for event in history.events[case.id]:
            if event.action == "dispatch":
                accept = calendar.due_after_working_hours(event.at, category.accept_hours)
                handle = calendar.due_after_working_days(event.at, category.handle_days)
                assert event.data["accept_due_at"] == accept.isoformat()
                assert event.data["handle_due_at"] == handle.isoformat()
                checked += 1
    assert checked > 100


def test_recent_cases_are_still_open_and_some_are_overdue_or_late(history: History) -> None:
    open_cases = [c for c in history.cases.values() if c.status not in (S.closed, S.not_filed)]
    assert open_cases and history.stats.open_cases == len(open_cases)
    end = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=SHANGHAI)
    for case in open_cases:
        assert case.opened_at > end - timedelta(days=90)
    late = sum(
        1
        for events in history.events.values()
        for e in events
        if e.action in ("accept", "reply") and e.data.get("late")
    )
    assert late > 0


def test_lifecycle_mix_is_realistic(history: History) -> None:
    cases = list(history.cases.values())
    not_filed = sum(1 for c in cases if c.status == S.not_filed)
    assert 0.02 <= not_filed / len(cases) <= 0.07
    callbacks = [
        e.data["satisfaction"]
        for events in history.events.values()
        for e in events
        if e.action == "callback"
    ]
    unsatisfied = callbacks.count("unsatisfied") / len(callbacks)
    assert 0.03 <= unsatisfied <= 0.12
    assert callbacks.count("satisfied") > callbacks.count("basically") > 0
    actions = Counter(e.action for events in history.events.values() for e in events)
    for action in ("return", "rework", "request_extension", "urge", "attach"):
        assert actions[action] > 0, action


def test_case_numbers_run_per_local_day(history: History) -> None:
    per_day: dict[str, list[int]] = defaultdict(list)
    for case in sorted(history.cases.values(), key=lambda c: c.opened_at):
        match = re.fullmatch(r"HZ(\d{8})(\d{5})", case.number)
        assert match, case.number
        assert match.group(1) == f"{to_local(case.opened_at):%Y%m%d}"
        per_day[match.group(1)].append(int(match.group(2)))
    for seqs in per_day.values():
        assert seqs == list(range(1, len(seqs) + 1))


# ---- complaints ----------------------------------------------------------------------------


def test_forwarded_channels_carry_unique_upstream_refs(history: History) -> None:
    refs: dict[int, set[str]] = defaultdict(set)
    for complaint in history.complaints:
        channel = history.channels[complaint.channel_id]
        if not channel.forwarded:
            assert complaint.upstream_ref is None
            continue
        ref = complaint.upstream_ref
        assert ref is not None and ref not in refs[channel.id]
        match = re.fullmatch(r"[0-9A-Z]+-(\d{4})-\d{7}", ref)
        assert match and int(match.group(1)) == local_day(complaint.received_at).year
        refs[channel.id].add(ref)
    twelve = next(c.id for c in history.channels.values() if c.code == "12345")
    assert any(r.startswith("12345-") for r in refs[twelve])


def test_channels_and_hours_look_like_a_hotline_platform(history: History) -> None:
    codes = Counter(history.channels[c.channel_id].code for c in history.complaints)
    assert {code for code, _ in codes.most_common(2)} == {"12345", "96310"}
    calendar = work_calendar(history.session)
    hours = Counter(to_local(c.received_at).hour for c in history.complaints)
    assert hours[10] > hours[3] * 4 and hours[15] > hours[4] * 4
    for complaint in history.complaints:
        if history.channels[complaint.channel_id].kind in ("letter", "visit"):
            local = to_local(complaint.received_at)
            assert calendar.is_workday(local.date()) and 8 <= local.hour < 18
    noise = [
        c for c in history.complaints if history.categories[c.category_id].code == "living_noise"
    ]
    evening = sum(1 for c in noise if to_local(c.received_at).hour >= 19)
    assert evening > len(noise) * 0.25


def test_texts_are_chinese_with_no_placeholders(history: History) -> None:
    for complaint in history.complaints:
        for value in (complaint.text, complaint.title, complaint.address):
            assert value and CJK.search(value)
            assert "{" not in value and "}" not in value
        assert len(complaint.title or "") <= 30
    people = [c for c in history.complaints if c.complainant_phone]
    assert all(re.fullmatch(r"1[3-9]\d{9}", c.complainant_phone or "") for c in people)
    assert any(c.complainant_name is None for c in history.complaints)
    not_city = sum(1 for c in history.complaints if not history.categories[c.category_id].in_remit)
    assert 0.02 <= not_city / len(history.complaints) <= 0.07


def test_hot_spot_mix_puts_parking_noise_vendors_and_shopfronts_first(history: History) -> None:
    codes = Counter(
        history.categories[c.category_id].code
        for c in history.complaints
        if history.categories[c.category_id].hotspot
    )
    top = {code for code, _ in codes.most_common(4)}
    assert len(top & {"illegal_parking", "living_noise", "street_vendor", "shopfront"}) >= 3


# ---- demo users ----------------------------------------------------------------------------


def test_demo_logins(history: History) -> None:
    session = history.session
    assert history.stats.logins == ["admin", "operator", "dispatcher", "leader", "xixi", "bureau"]
    xixi = authenticate(session, username="xixi", password=DEMO_PASSWORD)
    assert xixi is not None and xixi.role == "unit_staff"
    street = session.scalar(select(Area).where(Area.name == "西溪街道"))
    assert street is not None
    squadron = next(u for u in units_covering(session, street.id) if u.kind == "squadron")
    assert xixi.unit_id == squadron.id
    unit = session.get(Unit, xixi.unit_id)
    assert unit is not None and unit.name == "西溪中队"
    acted = [e for events in history.events.values() for e in events if e.actor_id == xixi.id]
    assert acted and all(e.unit_id == xixi.unit_id for e in acted)


def test_every_receiving_unit_has_an_on_duty_login(history: History) -> None:
    session = history.session
    received = {
        e.unit_id
        for events in history.events.values()
        for e in events
        if e.unit_id and e.action != "escalate"  # an escalation names the unit above
    }
    staff = {
        u.unit_id: u
        for u in session.scalars(select(User).where(User.role == "unit_staff"))
        if u.username not in ("xixi", "bureau")
    }
    assert received <= set(staff)
    assert history.stats.unit_logins == len(staff)
    for unit_id, user in staff.items():
        unit = session.get(Unit, unit_id)
        assert unit is not None
        assert (user.username, user.display_name) == (unit.code, f"{unit.name}值班员")
    # One argon2 hash for all of them (hashing a hundred times would cost seconds).
    assert len({u.password_hash for u in staff.values()}) == 1
    user = authenticate(session, username="sq-330106004", password=DEMO_PASSWORD)
    assert user is not None and user.display_name == "西溪中队值班员"


def test_every_unit_action_names_a_member_of_the_units_staff(history: History) -> None:
    users = {u.id: u for u in history.session.scalars(select(User))}
    checked: Counter[str] = Counter()
    for events in history.events.values():
        for event in events:
            if event.action in ("accept", "return", "reply", "request_extension"):
                actor = users[event.actor_id]
                assert actor.role == "unit_staff" and actor.unit_id == event.unit_id
                checked[event.action] += 1
    assert set(checked) == {"accept", "return", "reply", "request_extension"}


# ---- determinism ---------------------------------------------------------------------------


def fingerprint(data: History) -> str:
    """Content without database ids (ids depend on what the database held before)."""
    session = data.session
    base = min(c.id for c in data.complaints)
    units = {u.id: u.code for u in session.scalars(select(Unit))}
    users = {u.id: u.username for u in session.scalars(select(User))}
    areas = {a.id: a.code for a in session.scalars(select(Area))}
    digest = hashlib.sha256()
    for c in data.complaints:
        digest.update(
            repr(
                (
                    c.id - base,
                    c.received_at.isoformat(),
                    c.created_at.isoformat(),
                    data.channels[c.channel_id].code,
                    c.upstream_ref,
                    c.complainant_name,
                    c.complainant_phone,
                    c.title,
                    c.text,
                    c.address,
                    data.categories[c.category_id].code,
                    areas[c.area_id],
                    data.cases[c.case_id].number,
                )
            ).encode()
        )
    for case in sorted(data.cases.values(), key=lambda c: c.number):
        digest.update(
            repr(
                (
                    case.number,
                    case.status,
                    case.satisfaction,
                    case.reply_text,
                    units.get(case.unit_id),
                    case.due_at,
                )
            ).encode()
        )
        for e in data.events[case.id]:
            extra = dict(e.data)
            if "complaint_id" in extra:
                extra["complaint_id"] -= base
            digest.update(
                repr(
                    (
                        e.at.isoformat(),
                        e.action,
                        e.from_status,
                        e.to_status,
                        e.note,
                        users.get(e.actor_id),
                        units.get(e.unit_id),
                        sorted(extra.items()),
                    )
                ).encode()
            )
    for p in sorted(data.planted, key=lambda p: p.complaint_id):
        digest.update(repr((p.complaint_id - base, p.original_id - base, p.kind)).encode())
    return digest.hexdigest()


def test_same_seed_gives_the_same_history_in_another_database(
    history: History, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    upgrade(engine)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.commit()
        stats, after = _generate(session)
        again = _load(session, stats, after)
        assert fingerprint(again) == fingerprint(history)
        assert stats == history.stats
    engine.dispose()


# ---- pieces --------------------------------------------------------------------------------


def test_fast_calendar_gives_the_work_calendars_deadlines() -> None:
    calendar = WorkCalendar(assume_weekdays_for_unknown=True)  # the history may reach 2027
    fast = FastCalendar(calendar, day_number(date(2025, 1, 1)))
    rng = random.Random(11)
    starts = [
        datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(690 * 86400))
        for _ in range(1500)
    ]
    # Office-period edges are where off-by-one mistakes hide.
    starts += [
        datetime(2025, 9, 30, h, m, tzinfo=SHANGHAI)
        for h, m in ((8, 30), (12, 0), (13, 30), (17, 30), (17, 31), (0, 0), (23, 59))
    ]
    for start in starts:
        ts = int(start.timestamp())
        start = datetime.fromtimestamp(ts, UTC)
        for hours in (0, 0.5, 1, 2, 7.5, 24):
            expected = calendar.due_after_working_hours(start, hours)
            assert fast.add_hours(ts, hours) == int(expected.timestamp()), (start, hours)
        for days in (0, 1, 2, 3, 5, 15):
            expected = calendar.due_after_working_days(start, days)
            assert fast.due_days(ts, days) == int(expected.timestamp()), (start, days)


def test_apportion_is_exact_and_proportional() -> None:
    assert apportion(10, [1, 1, 1]) in ([4, 3, 3], [3, 4, 3], [3, 3, 4])
    parts = apportion(32971, [random.Random(3).random() for _ in range(212)])
    assert sum(parts) == 32971
    assert apportion(0, [1, 2]) == [0, 0]
    assert apportion(5, [0, 0]) == [0, 0]


def test_arguments_are_checked(session: Session) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate_history(session, year=2026, today=date(2026, 9, 1), scale=0)
    with pytest.raises(ValueError, match="after 1 January"):
        generate_history(session, year=2026, today=date(2026, 1, 1), scale=0.01)


# ---- the full scale ------------------------------------------------------------------------


@pytest.mark.slow
def test_full_scale_reproduces_the_published_figures(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'full.db'}")
    upgrade(engine)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.commit()
        started = time.perf_counter()
        stats = generate_history(session, year=2026, today=date(2026, 11, 27))
        session.commit()
        seconds = time.perf_counter() - started
        print(
            f"\nfull-scale demo history: {stats.complaints:,} complaints, {stats.cases:,} "
            f"cases, {stats.events:,} events in {seconds:.1f} s"
        )
        last, this = stats.jan_jul[2025], stats.jan_jul[2026]
        assert (last.complaints, this.complaints) == (32971, 16676)
        assert (last.hotspot, this.hotspot) == (20345, 13021)
        assert (last.repeats, this.repeats) == (6483, 2460)
        assert last.complaints - this.complaints == 16295
        assert round((last.complaints - this.complaints) / last.complaints * 100, 2) == 49.42
        assert round((last.hotspot - this.hotspot) / last.hotspot * 100) == 36
        rows = session.execute(
            select(Complaint.received_at, Category.hotspot).join(
                Category, Category.id == Complaint.category_id
            )
        ).all()
        counted = Counter((to_local(at).year, hot) for at, hot in rows if to_local(at).month <= 7)
        assert counted[(2026, True)] + counted[(2026, False)] == 16676
        assert counted[(2025, True)] == 20345
        assert session.scalar(select(func.count()).select_from(PlantedRepeat)) == (
            stats.planted_repeats
        )
        # The report the users read says the same as the source.
        report = summary(session, start=date(2026, 1, 1), end=date(2026, 7, 31))
        assert (report.total.current, report.total.previous) == (16676, 32971)
        assert report.hotspot.current == 13021 and report.hotspot.previous == 20345
        text = narrative(report)
        assert "主城区投诉总量16676件，比去年同期减少16295件，下降49.42%" in text
    engine.dispose()


def test_new_rows_get_ids_after_the_history(history: History) -> None:
    """Ids were given explicitly; the next row the application adds must not collide (on
    PostgreSQL the sequences were moved past them)."""
    session = history.session
    last = max(e.id for events in history.events.values() for e in events)
    case_id = next(iter(history.cases))
    with session.begin_nested() as savepoint:
        event = CaseEvent(
            case_id=case_id,
            at=datetime(2026, 9, 30, tzinfo=UTC),
            action="note",
            from_status="closed",
            to_status="closed",
            data={},
        )
        session.add(event)
        session.flush()
        assert event.id > last
        savepoint.rollback()


# ---- the command line ----------------------------------------------------------------------


def test_cli_generates_once_and_prints_the_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import civicdesk.db
    from civicdesk.demo.cli import app

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setattr(civicdesk.db, "get_engine", lambda url=None: engine)
    runner = CliRunner()
    args = ["generate", "--scale", "0.005", "--year", "2026", "--today", "2026-09-01"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    # 32,971 × 0.005 → 165 and 16,676 × 0.005 → 83, in the source's wording.
    assert "投诉总量" in result.output and "减少82件，下降49.70%" in result.output
    assert "xixi" in result.output and DEMO_PASSWORD in result.output
    assert "sq-330106004" in result.output
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "nothing done" in again.output
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 382
    engine.dispose()


def test_cli_default_year_and_change_wording() -> None:
    from civicdesk.demo.cli import change_sentence, default_year

    assert default_year(date(2026, 11, 27)) == 2026
    assert default_year(date(2026, 7, 31)) == 2025
    assert change_sentence(16676, 32971) == "减少16295件，下降49.42%"
    assert change_sentence(2460, 6483) == "减少4023件，下降62.05%"  # the source: 降幅达62.05%
