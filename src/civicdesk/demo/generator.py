"""A deterministic, realistic history of complaints and cases for the demo.

The generated history covers ``year - 1`` (whole) and ``year`` up to ``today`` and reproduces
the source's January–July figures exactly (at scale 1.0): 32,971 → 16,676 complaints, hot-spot
complaints 20,345 → 13,021, repeat complaints 6,483 → 2,460. Repeats are *planted* on purpose —
same place, same category, later — and written to ``demo_planted_repeats`` as the truth that
repeat detection is scored against; everything else is kept apart by place, so the truth is
honest.

How: each day gets an exact quota (complaints, repeats, hot-spot complaints) apportioned from
the period targets; new complaints open issues at fresh places, repeats pick open cases (the
complaint joins) or recently closed ones (the problem came back: a new case). Each case is
walked through the lifecycle of ``core.workflow`` with deadlines from the working-day calendar;
whatever lies after ``today`` is cut off, so recent cases stay open. Everything is planned in
memory with one seeded random stream and integer epoch seconds (never the wall clock), then
bulk inserted; on SQLite the values are handed to the driver in the form SQLAlchemy stores
them, because per-value processing would cost more than SQLite's own work.
"""

from __future__ import annotations

import bisect
import heapq
import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import chinese_calendar
from sqlalchemy import JSON, func, insert, select, text
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.accounts.service import create_user
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.config.service import get_setting, leaf_categories, units_covering, work_calendar
from civicdesk.core.calendar import WorkCalendar
from civicdesk.core.workflow import CaseAction, CaseStatus
from civicdesk.db import UTCDateTime
from civicdesk.demo import texts
from civicdesk.demo.models import PlantedRepeat
from civicdesk.intake.models import Channel, Complaint
from civicdesk.org.models import Area, AreaLevel, Unit, UnitKind
from civicdesk.taxonomy.models import Category

A, S = CaseAction, CaseStatus
Progress = Callable[[int, int, str], None]

# The source's January–July figures: (complaints, hot-spot complaints, repeat complaints).
LAST_YEAR_JAN_JUL = (32971, 20345, 6483)
THIS_YEAR_JAN_JUL = (16676, 13021, 2460)
REPEAT_KINDS = ("same_complainant", "other_complainant", "recurrence")
SATISFACTION = ("satisfied", "basically", "unsatisfied")
DEMO_PASSWORD = "demo1234"

# Asia/Shanghai has been UTC+8 without daylight saving since 1991: local days are plain
# arithmetic on epoch seconds, which keeps the planning loop fast.
OFFSET, DAY, HOUR, MINUTE = 8 * 3600, 86400, 3600, 60
EPOCH = date(1970, 1, 1)

# ---- the shape of the history (all plain data) --------------------------------------------

MONTH_FACTOR = {
    1: 0.95,
    2: 0.85,
    3: 0.95,
    4: 1.0,
    5: 1.05,
    6: 1.12,
    7: 1.2,
    8: 1.2,
    9: 1.05,
    10: 0.95,
    11: 0.9,
    12: 0.88,
}
CHANNEL_WEIGHTS = {
    "12345": 30,
    "96310": 27,
    "12319": 7,
    "96345": 7,
    "district_hotline": 6,
    "96666": 2,
    "web": 8,
    "app": 3,
    "letter": 2,
    "visit": 2,
    "volunteer": 2,
    "inspection": 4,
}
HOT_WEIGHTS = {
    "illegal_parking": 24,
    "living_noise": 20,
    "street_vendor": 17,
    "shopfront": 14,
    "construction_noise": 10,
    "illegal_building": 6,
    "muck_dumping": 4,
    "illegal_dog": 3,
    "vehicle_soiling": 2,
}
OTHER_WEIGHTS = {
    "outdoor_ads": 12,
    "cooking_fumes": 12,
    "occupying_road": 12,
    "garbage_clearing": 10,
    "littering": 8,
    "dust": 8,
    "road_damage": 7,
    "other_city": 6,
    "manhole_covers": 5,
    "street_lights": 5,
    "greening": 5,
    "public_toilets": 3,
    "open_burning": 3,
    "property_management": 40,
    "traffic_policy": 25,
    "other_matters": 20,
    "consultation": 15,
}
SEASON = {
    "living_noise": {6: 1.35, 7: 1.45, 8: 1.45, 9: 1.2, 12: 0.8, 1: 0.8, 2: 0.75},
    "construction_noise": {2: 0.5, 3: 1.1, 4: 1.15, 5: 1.15, 11: 1.1},
    "street_vendor": {6: 1.2, 7: 1.3, 8: 1.3, 9: 1.1, 1: 0.8, 2: 0.7},
    "cooking_fumes": {6: 1.2, 7: 1.3, 8: 1.3},
    "dust": {3: 1.3, 4: 1.3, 11: 1.2},
}
# How likely an issue is to be complained about again (noise keeps people awake every night).
REPEAT_PROPENSITY = {
    "living_noise": 3.0,
    "construction_noise": 2.6,
    "street_vendor": 2.2,
    "illegal_building": 2.0,
    "shopfront": 1.8,
    "illegal_dog": 1.8,
    "cooking_fumes": 2.0,
    "muck_dumping": 1.5,
    "illegal_parking": 1.3,
    "vehicle_soiling": 1.2,
}
HOURS = {
    "hotline": (
        1,
        0.6,
        0.4,
        0.3,
        0.3,
        0.5,
        1,
        3,
        7,
        10,
        10,
        9,
        5,
        5,
        8,
        9,
        9,
        8,
        5,
        4,
        4,
        3.5,
        3,
        2,
    ),
    "web": (2, 1, 0.6, 0.4, 0.3, 0.4, 1, 2, 4, 6, 6, 6, 5, 5, 6, 6, 6, 5, 5, 6, 7, 7, 6, 4),
    "office": (0, 0, 0, 0, 0, 0, 0, 0, 3, 8, 8, 6, 0, 3, 7, 7, 6, 2, 0, 0, 0, 0, 0, 0),
    "field": (0, 0, 0, 0, 0, 0, 0, 0.5, 4, 6, 6, 5, 2, 3, 6, 6, 5, 3, 1, 1.5, 1.5, 1, 0, 0),
}
PROFILE_OF_KIND = {
    "hotline": "hotline",
    "web": "web",
    "app": "web",
    "letter": "office",
    "visit": "office",
    "volunteer": "field",
    "inspection": "field",
}
HOUR_BOOST = {
    "living_noise": {19: 3, 20: 3.5, 21: 4, 22: 4, 23: 3, 0: 2.5, 1: 1.5, 6: 1.5, 7: 1.5},
    "street_vendor": {6: 1.5, 7: 1.5, 17: 2, 18: 2.5, 19: 3, 20: 3, 21: 2.5, 22: 2},
    "construction_noise": {22: 5, 23: 6, 0: 6, 1: 6, 2: 5, 3: 4, 4: 3, 5: 3, 6: 2},
    "muck_dumping": {22: 2, 23: 2, 0: 2, 1: 2, 2: 2, 3: 2, 4: 2},
    "vehicle_soiling": {22: 2, 23: 2, 0: 2, 1: 2, 2: 2},
    "cooking_fumes": {11: 2, 12: 2, 17: 2, 18: 2, 19: 2},
}
NOT_CITY_SHARE = 0.04  # of all complaints: matters of other departments (不予立案)
INHERIT = -1  # an event's unit is the case's unit at that moment (as cases.service records it)
# Facility problems are often the street office's to fix rather than the squadron's.
STREET_OFFICE_SHARE = {
    "road_damage": 0.5,
    "manhole_covers": 0.5,
    "street_lights": 0.5,
    "greening": 0.5,
    "garbage_clearing": 0.4,
    "public_toilets": 0.5,
}
EXTENSION_SHARE = {"illegal_building": 0.25, "muck_dumping": 0.08, "dust": 0.08}


@dataclass(frozen=True)
class YearPlan:
    """Rates that differ between the two years (this year's management is better)."""

    kind_weights: tuple[float, float, float]
    late_accept: float
    late_handle: float
    satisfaction: tuple[float, float, float]  # satisfied, basically, unsatisfied


LAST_YEAR = YearPlan((0.36, 0.30, 0.34), 0.10, 0.12, (0.66, 0.26, 0.08))
THIS_YEAR = YearPlan((0.42, 0.33, 0.25), 0.06, 0.08, (0.74, 0.20, 0.06))


@dataclass(frozen=True)
class PeriodFigures:
    complaints: int
    hotspot: int
    repeats: int


@dataclass
class HistoryStats:
    seed: int
    year: int
    today: date
    scale: float
    first_day: date
    last_day: date
    complaints: int = 0
    cases: int = 0
    events: int = 0
    planted_repeats: int = 0
    repeats_by_kind: dict[str, int] = field(default_factory=dict)
    # January–July of year - 1 and of year, keyed by year.
    jan_jul: dict[int, PeriodFigures] = field(default_factory=dict)
    open_cases: int = 0
    overdue_cases: int = 0
    not_filed: int = 0
    logins: list[str] = field(default_factory=list)


def published_targets(scale: float) -> dict[str, PeriodFigures]:
    """The January–July figures the history reproduces at ``scale`` (last, this year)."""
    last, this = LAST_YEAR_JAN_JUL, THIS_YEAR_JAN_JUL
    return {
        "last": PeriodFigures(*(round(v * scale) for v in last)),
        "this": PeriodFigures(*(round(v * scale) for v in this)),
    }


def generate_history(
    session: Session,
    *,
    seed: int = 2011,
    year: int,
    today: date,
    scale: float = 1.0,
    progress: Progress | None = None,
) -> HistoryStats:
    """Generate and insert the demo history (flushes, never commits)."""
    if not 0 < scale <= 1.0:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    if today <= date(year, 1, 1):
        raise ValueError(f"today ({today}) must be after 1 January {year}")
    return _Generator(session, seed, year, today, scale, progress).run()


# ---- time arithmetic ----------------------------------------------------------------------


def day_of(ts: int) -> int:
    return (ts + OFFSET) // DAY


def start_of(day: int) -> int:
    return day * DAY - OFFSET


def day_number(d: date) -> int:
    return (d - EPOCH).days


def date_of(day: int) -> date:
    return EPOCH + timedelta(days=day)


def as_datetime(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


_ISO: dict[int, str] = {}


def iso(ts: int) -> str:
    """As ``cases.service`` writes deadlines into event data (UTC ISO 8601); cached, since
    deadlines fall on few distinct closing times."""
    text_ = _ISO.get(ts)
    if text_ is None:
        text_ = _ISO[ts] = datetime.fromtimestamp(ts, UTC).isoformat()
    return text_


class FastCalendar:
    """``WorkCalendar``'s deadlines on epoch seconds, precomputed per day: the same results as
    ``due_after_working_hours``/``due_after_working_days`` (tests compare them), at a fraction
    of the cost, because the history needs hundreds of thousands of them."""

    def __init__(self, calendar: WorkCalendar, first_day: int) -> None:
        self.calendar = calendar
        self.periods = [
            (s.hour * HOUR + s.minute * MINUTE, e.hour * HOUR + e.minute * MINUTE)
            for s, e in calendar.office_hours.periods
        ]
        self.closing = self.periods[-1][1]
        self._work: dict[int, bool] = {}
        self.opens: list[int] = []
        self.closes: list[int] = []
        self.cum_before: list[int] = []
        self.cum_end: list[int] = []
        self._built = first_day - 2
        self._due_cache: dict[tuple[int, int, bool], int] = {}

    def is_workday(self, day: int) -> bool:
        flag = self._work.get(day)
        if flag is None:
            flag = self._work[day] = self.calendar.is_workday(date_of(day))
        return flag

    def next_workday(self, day: int) -> int:
        day += 1
        while not self.is_workday(day):
            day += 1
        return day

    def _extend(self, until: int) -> None:
        total = self.cum_end[-1] if self.cum_end else 0
        for day in range(self._built + 1, until + 1):
            if not self.is_workday(day):
                continue
            base = start_of(day)
            for begin, end in self.periods:
                self.opens.append(base + begin)
                self.closes.append(base + end)
                self.cum_before.append(total)
                total += end - begin
                self.cum_end.append(total)
        self._built = until

    def add_hours(self, ts: int, hours: float) -> int:
        """The instant ``hours`` office hours after ``ts`` (as ``due_after_working_hours``)."""
        while not self.closes or self.closes[-1] <= ts + int(hours * 3 * DAY):
            self._extend(max(self._built, day_of(ts)) + 60)
        i = bisect.bisect_right(self.closes, ts)
        target = self.cum_before[i] + max(0, ts - self.opens[i]) + round(hours * HOUR)
        j = bisect.bisect_left(self.cum_end, target, lo=i)
        return self.opens[j] + target - self.cum_before[j]

    def due_days(self, ts: int, days: int) -> int:
        """End of office hours on the ``days``-th working day (as ``due_after_working_days``)."""
        day = day_of(ts)
        after_close = days == 0 and ts - start_of(day) > self.closing
        key = (day, days, after_close)
        cached = self._due_cache.get(key)
        if cached is None:
            target = day
            if days == 0 and (not self.is_workday(day) or after_close):
                target = self.next_workday(day)
            for _ in range(days):
                target = self.next_workday(target)
            cached = self._due_cache[key] = start_of(target) + self.closing
        return cached


class FastRandom(random.Random):
    """``random.Random`` with integer and choice draws made from one ``random()`` each: the
    history makes millions of draws, and ``_randbelow`` would cost a third of the time. Still
    one seeded Mersenne Twister stream, so still deterministic."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]

    def pick(self, items: Any, cum_weights: list[float]) -> Any:
        """One item by cumulative weights (``choices(..., k=1)`` without the overhead)."""
        return items[bisect.bisect(cum_weights, self.random() * cum_weights[-1])]


# ---- plans held in memory -----------------------------------------------------------------


@dataclass(eq=False, frozen=True)
class Chan:
    """A channel's values, read once (ORM attribute access is slow in the planning loop)."""

    id: int
    code: str
    kind: str
    forwarded: bool
    profile: str


@dataclass(eq=False, frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    kind: str


@dataclass(eq=False)
class Cat:
    id: int
    code: str
    name: str
    hot: bool
    in_remit: bool
    accept_hours: float
    handle_days: int
    propensity: float


@dataclass(eq=False)
class Locality:
    area_id: int
    street_id: int | None
    district_id: int
    street_key: int  # the street (or district) whose units handle it
    where: texts.Locality
    code: str


@dataclass(eq=False)
class Issue:
    category: Cat
    locality: Locality
    place: texts.Place
    template: int = 0
    complaints: list[PlannedComplaint] = field(default_factory=list)
    cases: list[PlannedCase] = field(default_factory=list)


@dataclass(eq=False)
class PlannedComplaint:
    issue: Issue
    ts: int
    created: int
    channel: Chan
    person: tuple[str | None, str | None]
    kind: str | None = None
    title: str = ""
    text: str = ""
    variant: int = 0
    case: PlannedCase | None = None
    id: int = 0
    upstream_ref: str | None = None


@dataclass(eq=False, slots=True)
class Ev:
    ts: int
    action: str
    before: str
    after: str
    actor: str | None  # a demo role, "unit" (the unit's own demo user, if any) or None
    unit_id: int | None
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    sets: dict[str, Any] | None = None
    inc: str | None = None
    complaint: PlannedComplaint | None = None


@dataclass(eq=False)
class PlannedCase:
    issue: Issue
    complaints: list[PlannedComplaint]
    events: list[Ev] = field(default_factory=list)
    extra: list[Ev] = field(default_factory=list)  # attach/urge/supervise, added later
    event_ts: list[int] = field(default_factory=list)
    close_ts: int | None = None
    filed: bool = False
    id: int = 0

    def status_at(self, ts: int) -> str:
        i = bisect.bisect_right(self.event_ts, ts) - 1
        return self.events[i].after if i >= 0 else S.received.value


# ---- the generator ------------------------------------------------------------------------


class _Generator:
    def __init__(
        self,
        session: Session,
        seed: int,
        year: int,
        today: date,
        scale: float,
        progress: Progress | None,
    ) -> None:
        self.session, self.seed, self.year, self.today, self.scale = (
            session,
            seed,
            year,
            today,
            scale,
        )
        self.rng = FastRandom(seed)
        self.progress = progress
        self.first = day_number(date(year - 1, 1, 1))
        self.end = min(day_number(today), day_number(date(year + 1, 1, 1)))
        self.now = start_of(self.end)  # the history stops at midnight before `today`
        self.cal = FastCalendar(
            work_calendar(session, assume_weekdays_for_unknown=True), self.first
        )
        self._weights: dict[int, float] = {}
        self.complaints: list[PlannedComplaint] = []
        self.cases: list[PlannedCase] = []
        self.zones: dict[tuple[str, int], list[Issue]] = {}
        self.open_cases: list[PlannedCase] = []
        self.closing_heap: list[tuple[int, int, PlannedCase]] = []
        self.recur_pool: list[PlannedCase] = []
        self._hour_cum: dict[tuple[str, str], list[float]] = {}
        self._channel_cum: dict[bool, list[float]] = {}
        self._category_cum: dict[tuple[int, int], list[float]] = {}
        self._kind_cum: dict[str, tuple[list[str], list[float]]] = {}
        self._seq = 0
        self.crowded = 0  # new issues that found no free place (should stay near zero)

    # -- orchestration

    def run(self) -> HistoryStats:
        self._load_reference()
        users = self._demo_users()
        periods = self._periods()
        total_days = self.end - self.first
        estimate = total_days + sum(p[2] for p in periods) * 9
        for lo, hi, n_total, n_repeat, n_hot in periods:
            self._plan_period(lo, hi, n_total, n_repeat, n_hot, estimate)
        for lo, hi, _, _, n_hot in periods:
            self._fix_hotspot(lo, hi, n_hot)
        stats = self._write(users, estimate)
        return stats

    def _tick(self, advance: int, total: int, description: str) -> None:
        if self.progress is not None:
            self.progress(advance, total, description)

    # -- reference data, read by flags and codes

    def _load_reference(self) -> None:
        session, rng = self.session, self.rng
        leaves = leaf_categories(session)
        self.hot = [self._cat(c) for c in leaves if c.hotspot]
        self.other = [self._cat(c) for c in leaves if not c.hotspot and c.in_remit]
        self.not_city = [self._cat(c) for c in leaves if not c.in_remit]
        if not self.hot or not self.other:
            raise ValueError("the configuration has no hot-spot or no other categories: load it")
        self.channels = [
            Chan(c.id, c.code, c.kind, bool(c.forwarded), PROFILE_OF_KIND.get(c.kind, "hotline"))
            for c in session.scalars(select(Channel).order_by(Channel.sort_order, Channel.id))
        ]
        if not self.channels:
            raise ValueError("no channels configured: load the configuration first")
        self._load_areas(rng)
        self.prefix = get_setting(session, "case_number_prefix", "HZ") or "HZ"

    def _cat(self, row: Category) -> Cat:
        return Cat(
            row.id,
            row.code,
            row.name,
            bool(row.hotspot),
            bool(row.in_remit),
            float(row.accept_hours),
            int(row.handle_days),
            REPEAT_PROPENSITY.get(row.code, 0.8) if row.in_remit else 0.0,
        )

    def _load_areas(self, rng: FastRandom) -> None:
        areas = list(self.session.scalars(select(Area).order_by(Area.sort_order, Area.code)))
        children: dict[int | None, list[Area]] = {}
        for area in areas:
            children.setdefault(area.parent_id, []).append(area)
        districts = [a for a in areas if a.level == AreaLevel.district]
        if not districts:
            raise ValueError("no districts configured: load the configuration first")
        known = [d.population for d in districts if d.population]
        fallback = (sum(known) / len(known) if known else 1.0) * 0.25
        self.localities: list[Locality] = []
        weights: list[float] = []
        self.units: dict[int, tuple[UnitRef, UnitRef | None]] = {}
        self.squadrons_of_district: dict[int, list[UnitRef]] = {}
        for district in districts:
            streets = [a for a in children.get(district.id, []) if a.level == AreaLevel.street]
            share = (district.population or fallback) / max(len(streets), 1)
            for street in streets or [district]:
                communities = [
                    a for a in children.get(street.id, []) if a.level == AreaLevel.community
                ]
                names = [c.name for c in communities]
                roads = texts.roads_for(street.name, district.name, names)
                street_weight = share * rng.uniform(0.6, 1.4)
                self._street_units(street, district)
                for area in communities or [street]:
                    own = [area.name] if area is not street else names
                    where = texts.Locality(
                        district.name,
                        street.name,
                        area.name if area is not street else None,
                        roads,
                        texts.compounds_for(own, roads),
                    )
                    self.localities.append(
                        Locality(
                            area.id,
                            street.id if street is not district else None,
                            district.id,
                            street.id,
                            where,
                            area.code,
                        )
                    )
                    weights.append(street_weight / len(communities or [street]))
        self.locality_cum = _cumulative(weights)

    def _street_units(self, street: Area, district: Area) -> None:
        """The squadron and the street office answering for the street (most specific first)."""
        units = [
            UnitRef(u.id, u.code, u.name, u.kind) for u in units_covering(self.session, street.id)
        ]
        area_of = {
            u.id: u.area_id
            for u in self.session.scalars(select(Unit).where(Unit.id.in_([u.id for u in units])))
        }
        if not units:
            raise ValueError(f"no unit covers {street.name}: check the units configuration")
        squadrons = [u for u in units if u.kind == UnitKind.squadron]
        offices = [u for u in units if u.kind == UnitKind.street_office]
        self.units[street.id] = (
            squadrons[0] if squadrons else units[0],
            offices[0] if offices else None,
        )
        for unit in squadrons:
            if area_of[unit.id] == street.id:
                self.squadrons_of_district.setdefault(district.id, []).append(unit)

    def _demo_users(self) -> dict[str, User]:
        """The demo logins; unit staff of the squadron covering 西溪街道 (the source's 便民服务卡
        squadron)."""
        now = as_datetime(start_of(self.first))
        assert now is not None
        xixi = self.session.scalar(
            select(Area).where(Area.name == "西溪街道", Area.level == AreaLevel.street)
        )
        squadron = None
        if xixi is not None:
            squadron = next(
                (u for u in units_covering(self.session, xixi.id) if u.kind == UnitKind.squadron),
                None,
            )
        specs = [
            ("admin", "系统管理员", "admin", None),
            ("operator", "受理员 王丽", "operator", None),
            ("dispatcher", "派遣员 陈刚", "dispatcher", None),
            ("leader", "考核领导 赵建国", "leader", None),
        ]
        if squadron is not None:
            specs.append(("xixi", f"{squadron.name} 李明", "unit_staff", squadron))
        users: dict[str, User] = {}
        for username, display, role, unit in specs:
            user = self.session.scalar(select(User).where(User.username == username))
            if user is None:
                user = create_user(
                    self.session,
                    username=username,
                    password=DEMO_PASSWORD,
                    display_name=display,
                    role=role,
                    unit=unit,
                    now=now,
                )
            users[username] = user
        self.unit_users = {u.unit_id: u for u in users.values() if u.unit_id is not None}
        return users

    # -- volumes

    def _day_weight(self, day: int) -> float:
        """Relative volume of a day: season, weekends and holidays, the Spring Festival dip."""
        weight = self._weights.get(day)
        if weight is None:
            weight = self._weights[day] = self._compute_day_weight(day)
        return weight

    def _compute_day_weight(self, day: int) -> float:
        d = date_of(day)
        weight = MONTH_FACTOR[d.month]
        try:
            name = chinese_calendar.get_holiday_detail(d)[1]
        except NotImplementedError:
            name = None
        if name == chinese_calendar.Holiday.spring_festival.value:
            return weight * 0.4
        if not self.cal.is_workday(day):
            return weight * (0.65 if name else 0.78)
        return weight

    def _periods(self) -> list[tuple[int, int, int, int, int]]:
        """(first day, end day, complaints, repeats, hot-spot) for Jan–Jul and Aug–Dec of both
        years, clipped to the history; Jan–Jul carry the source's figures, the rest the same
        rates."""
        result = []
        for year, figures in ((self.year - 1, LAST_YEAR_JAN_JUL), (self.year, THIS_YEAR_JAN_JUL)):
            jan, aug = day_number(date(year, 1, 1)), day_number(date(year, 8, 1))
            nxt = day_number(date(year + 1, 1, 1))
            base = sum(self._day_weight(d) for d in range(jan, aug))
            for lo, hi in ((jan, aug), (aug, nxt)):
                lo, hi = max(lo, self.first), min(hi, self.end)
                if lo >= hi:
                    continue
                share = sum(self._day_weight(d) for d in range(lo, hi)) / base
                total, hot, repeats = (round(v * self.scale * share) for v in figures)
                result.append((lo, hi, total, repeats, hot))
        return result

    # -- planning, day by day

    def _plan_period(
        self, lo: int, hi: int, n_total: int, n_repeat: int, n_hot: int, estimate: int
    ) -> None:
        rng = self.rng
        days = list(range(lo, hi))
        totals = _apportion(n_total, [self._day_weight(d) for d in days])
        ramp = [min(1.0, (d - self.first + 1) / 21) for d in days]
        repeats = _apportion(n_repeat, [n * r for n, r in zip(totals, ramp, strict=True)])
        plan = THIS_YEAR if date_of(lo).year == self.year else LAST_YEAR
        carry = hot_so_far = done = 0
        for day, n_day, r_day in zip(days, totals, repeats, strict=True):
            self._advance_pools(day)
            made: list[PlannedComplaint] = []
            want = min(r_day + carry, n_day)
            for _ in range(want):
                complaint = self._plan_repeat(day, plan, rng)
                if complaint is None:
                    break
                made.append(complaint)
            carry = r_day + carry - len(made)
            done += n_day
            hot_target = round(n_hot * done / max(n_total, 1))
            hot_repeats = sum(1 for c in made if c.issue.category.hot)
            fresh = n_day - len(made)
            hot_new = min(max(hot_target - hot_so_far - hot_repeats, 0), fresh)
            flags = [True] * hot_new + [False] * (fresh - hot_new)
            rng.shuffle(flags)
            non_hot = n_total - n_hot
            p_not_city = min(1.0, NOT_CITY_SHARE * n_total / non_hot) if non_hot > 0 else 0.0
            for hot in flags:
                self._plan_new(day, hot, p_not_city, plan)
            hot_so_far += hot_new + hot_repeats
            self._tick(1, estimate, f"规划 {date_of(day):%Y-%m}")
        if carry:
            raise RuntimeError(
                f"{carry} planted repeats found no earlier issue before "
                f"{date_of(hi)}: the scale is too small for this period"
            )

    def _advance_pools(self, day: int) -> None:
        start = start_of(day)
        self.open_cases = [c for c in self.open_cases if c.close_ts is None or c.close_ts > start]
        while self.closing_heap and self.closing_heap[0][0] <= start - 7 * DAY:
            self.recur_pool.append(heapq.heappop(self.closing_heap)[2])
        if day % 7 == 0:
            self.recur_pool = [
                c
                for c in self.recur_pool
                if c.close_ts is not None and c.close_ts >= start - 56 * DAY
            ]

    def _plan_new(self, day: int, hot: bool, p_not_city: float, plan: YearPlan) -> None:
        rng = self.rng
        month = date_of(day).month
        if hot:
            category = self._pick_category(self.hot, HOT_WEIGHTS, month)
        elif self.not_city and rng.random() < p_not_city:
            category = self._pick_category(self.not_city, OTHER_WEIGHTS, month)
        else:
            category = self._pick_category(self.other, OTHER_WEIGHTS, month)
        locality, place = self._fresh_place(category, day)
        issue = Issue(category, locality, place)
        channel = self._pick_channel(day)
        ts = start_of(day) + self._time_of_day(channel, category.code)
        complaint = self._complaint(issue, ts, channel, texts.person(rng), None)
        self._open_case(issue, complaint, plan)

    def _pick_category(self, cats: list[Cat], weights: dict[str, float], month: int) -> Cat:
        key = (id(cats), month)
        cum = self._category_cum.get(key)
        if cum is None:
            cum = self._category_cum[key] = _cumulative(
                [weights.get(c.code, 4) * SEASON.get(c.code, {}).get(month, 1.0) for c in cats]
            )
        return self.rng.pick(cats, cum)

    def _fresh_place(self, category: Cat, day: int) -> tuple[Locality, texts.Place]:
        """A place where no issue of this category has been active for 75 days, so that the
        only same-place same-category complaints are the planted repeats."""
        rng = self.rng
        kinds = texts.PLACE_KINDS.get(category.code, texts.DEFAULT_PLACE_KINDS)
        names, cum = self._kind_cum.get(category.code) or self._kind_cum.setdefault(
            category.code, (list(kinds), _cumulative(list(kinds.values())))
        )
        horizon = start_of(day) - 75 * DAY
        for _ in range(30):
            locality = rng.pick(self.localities, self.locality_cum)
            kind = rng.pick(names, cum)
            place = texts.make_place(rng, kind, locality.where, category.code)
            neighbours = self.zones.get((place.zone, category.id), [])
            if all(_last_activity(other) < horizon for other in neighbours):
                return locality, place
        self.crowded += 1
        return locality, place

    def _register_zone(self, issue: Issue) -> None:
        self.zones.setdefault((issue.place.zone, issue.category.id), []).append(issue)

    def _pick_channel(self, day: int) -> Chan:
        """Letters and visits arrive on working days only; patrols report less at weekends."""
        office_ok = self.cal.is_workday(day)
        cum = self._channel_cum.get(office_ok)
        if cum is None:
            weights = []
            for channel in self.channels:
                w = float(CHANNEL_WEIGHTS.get(channel.code, 2))
                profile = channel.profile
                if not office_ok and profile == "office":
                    w = 0.0
                elif not office_ok and profile == "field":
                    w *= 0.5
                weights.append(w)
            cum = self._channel_cum[office_ok] = _cumulative(weights)
        return self.rng.pick(self.channels, cum)

    def _time_of_day(self, channel: Chan, code: str) -> int:
        profile = channel.profile
        key = (profile, code)
        cum = self._hour_cum.get(key)
        if cum is None:
            boost = HOUR_BOOST.get(code, {}) if profile != "office" else {}
            cum = self._hour_cum[key] = _cumulative(
                [w * boost.get(h, 1.0) for h, w in enumerate(HOURS[profile])]
            )
        hour = self.rng.pick(range(24), cum)
        minute = self.rng.randrange(60)
        if profile == "office" and hour in (8, 13):
            minute = 30 + minute // 2
        elif profile == "office" and hour == 17:
            minute //= 2
        return hour * HOUR + minute * MINUTE + self.rng.randrange(60)

    def _complaint(
        self,
        issue: Issue,
        ts: int,
        channel: Chan,
        person: tuple[str | None, str | None],
        kind: str | None,
    ) -> PlannedComplaint:
        delay = self.rng.randint(120, 5400) if channel.forwarded else self.rng.randint(0, 180)
        created = min(ts + delay, self.now - 1)
        complaint = PlannedComplaint(issue, ts, created, channel, person, kind)
        issue.complaints.append(complaint)
        self.complaints.append(complaint)
        return complaint

    def _open_case(self, issue: Issue, complaint: PlannedComplaint, plan: YearPlan) -> None:
        case = PlannedCase(issue, [complaint])
        complaint.case = case
        issue.cases.append(case)
        self.cases.append(case)
        _CasePlanner(self, case, plan).plan()
        if len(issue.cases) == 1:
            self._register_zone(issue)
        if case.filed:
            self.open_cases.append(case)
            if case.close_ts is not None:
                self._seq += 1
                heapq.heappush(self.closing_heap, (case.close_ts, self._seq, case))

    def _plan_repeat(self, day: int, plan: YearPlan, rng: FastRandom) -> PlannedComplaint | None:
        kinds = list(REPEAT_KINDS)
        first = rng.pick(kinds, _cumulative(list(plan.kind_weights)))
        order = [first] + [k for k in kinds if k != first]
        for kind in order:
            pool = self.recur_pool if kind == "recurrence" else self.open_cases
            for _ in range(40 if pool else 0):
                case = pool[rng.randrange(len(pool))]
                found = self._try_repeat(case, kind, day, plan)
                if found is not None:
                    return found
        return None

    def _try_repeat(
        self, case: PlannedCase, kind: str, day: int, plan: YearPlan
    ) -> PlannedComplaint | None:
        rng, issue = self.rng, case.issue
        if issue.cases[-1] is not case or len(issue.complaints) >= 12:
            return None
        weight = issue.category.propensity
        if kind == "recurrence" and case.events and case.events[-1].data.get("solved") is False:
            weight *= 2.5
        if rng.random() * 6.0 > weight:
            return None
        start, last = start_of(day), issue.complaints[-1].ts
        if kind == "recurrence":
            assert case.close_ts is not None
            lo, hi = max(start, case.close_ts + 7 * DAY), min(start + DAY, case.close_ts + 56 * DAY)
        else:
            if start - last > 21 * DAY:
                return None
            gap = 20 * HOUR if kind == "same_complainant" else 2 * HOUR
            lo = max(start, last + gap, case.complaints[0].created + HOUR)
            # It joins when recorded (forwarding takes up to 1.5 h): before the case closes.
            hi = (
                start + DAY if case.close_ts is None else min(start + DAY, case.close_ts - 2 * HOUR)
            )
        hi = min(hi, self.now - 60)
        if lo >= hi:
            return None
        person = self._repeat_person(case, kind)
        if person is None:
            return None
        previous = next((c for c in reversed(issue.complaints) if c.person == person), None)
        channel = previous.channel if previous and rng.random() < 0.6 else self._pick_channel(day)
        if channel.profile == "office" and not self.cal.is_workday(day):
            channel = self._pick_channel(day)  # no letters or visits on a day off
        ts = self._time_between(channel, issue.category.code, start, lo, hi)
        if ts is None:
            channel = next((c for c in self.channels if c.code == "96310"), self.channels[0])
            ts = rng.randint(lo, hi - 1)
        complaint = self._complaint(issue, ts, channel, person, kind)
        if kind == "recurrence":
            self._open_case(issue, complaint, plan)
        else:
            self._attach(case, complaint)
        return complaint

    def _repeat_person(self, case: PlannedCase, kind: str) -> tuple[str | None, str | None] | None:
        if kind != "same_complainant":
            return texts.person(self.rng)
        known = [c.person for c in case.complaints if c.person[1] is not None]
        return self.rng.choice(known) if known else None

    def _time_between(self, channel: Chan, code: str, start: int, lo: int, hi: int) -> int | None:
        for _ in range(6):
            ts = start + self._time_of_day(channel, code)
            if lo <= ts < hi:
                return ts
        if channel.profile == "office":
            return None
        return self.rng.randint(lo, hi - 1)

    def _attach(self, case: PlannedCase, complaint: PlannedComplaint) -> None:
        """A repeat joins the open case: an ``attach`` event, maybe an urge, and supervision
        once three complaints are on the case (拱墅's graded supervision)."""
        rng = self.rng
        complaint.case = case
        case.complaints.append(complaint)
        at = complaint.created
        status = case.status_at(at)
        case.extra.append(
            Ev(
                at,
                A.attach,
                status,
                status,
                _receiver(complaint.channel),
                None,
                inc="complaint_count",
                complaint=complaint,
            )
        )
        later = at + rng.randint(10 * MINUTE, HOUR)
        if rng.random() < 0.4 and later < self.now:
            status = case.status_at(later)
            if status in (S.dispatched, S.accepted):
                case.extra.append(
                    Ev(
                        later,
                        A.urge,
                        status,
                        status,
                        "dispatcher",
                        INHERIT,
                        note=rng.choice(texts.URGE_REPEAT_NOTES),
                        inc="urge_count",
                    )
                )
        if len(case.complaints) == 3:
            later = at + rng.randint(HOUR, 6 * HOUR)
            status = case.status_at(later)
            if later < self.now and status in (S.dispatched, S.accepted, S.suspended):
                case.extra.append(
                    Ev(
                        later,
                        A.supervise,
                        status,
                        status,
                        "leader",
                        INHERIT,
                        note=rng.choice(texts.SUPERVISE_NOTES),
                    )
                )

    # -- exact hot-spot counts

    def _fix_hotspot(self, lo: int, hi: int, n_hot: int) -> None:
        """Swap the category of single-complaint issues until the period's hot-spot count is
        exact (the daily quotas leave a few over or under when repeats cluster)."""
        start, end = start_of(lo), start_of(hi)
        in_period = [c for c in self.complaints if start <= c.ts < end]
        diff = n_hot - sum(1 for c in in_period if c.issue.category.hot)
        if diff == 0:
            return
        want_hot = diff > 0
        candidates = [
            c.issue
            for c in in_period
            if len(c.issue.complaints) == 1
            and c.kind is None
            and c.issue.category.hot is not want_hot
            and c.issue.category.in_remit
        ]
        if len(candidates) < abs(diff):
            raise RuntimeError(f"cannot reach {n_hot} hot-spot complaints in {date_of(lo)}")
        for issue in self.rng.sample(candidates, abs(diff)):
            complaint = issue.complaints[0]
            month = date_of(day_of(complaint.ts)).month
            pool, weights = (self.hot, HOT_WEIGHTS) if want_hot else (self.other, OTHER_WEIGHTS)
            issue.category = self._pick_category(pool, weights, month)
            issue.locality, issue.place = self._fresh_place(issue.category, day_of(complaint.ts))
            self._register_zone(issue)
            case = issue.cases[0]
            case.events, case.extra, case.event_ts = [], [], []
            plan = THIS_YEAR if date_of(lo).year == self.year else LAST_YEAR
            _CasePlanner(self, case, plan).plan()

    # -- rendering and writing

    def _write(self, users: dict[str, User], estimate: int) -> HistoryStats:
        return _Writer(self, users, estimate).write()


def _receiver(channel: Chan) -> str | None:
    """Who records a complaint: the operator for calls, letters and visits and for forwarded
    tickets; nobody for what citizens and patrols submit themselves."""
    return "operator" if channel.kind in ("hotline", "letter", "visit") else None


def _last_activity(issue: Issue) -> int:
    """The last moment the issue was alive: its last complaint or its case's closing."""
    close = issue.cases[-1].close_ts if issue.cases else None
    return max(issue.complaints[-1].ts, close or 0)


def _cumulative(weights: list[float]) -> list[float]:
    total, result = 0.0, []
    for w in weights:
        total += w
        result.append(total)
    return result


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder apportionment: integers proportional to ``weights`` summing to
    ``total`` exactly."""
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    quotas = [total * w / weight_sum for w in weights]
    result = [int(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (result[i] - quotas[i], i))
    for i in order[: total - sum(result)]:
        result[i] += 1
    return result


# ---- one case through its lifecycle ------------------------------------------------------


class _CasePlanner:
    """Plans every event of one case, as ``cases.service`` would record them, with timings
    from the office hours and limits from the category. Events after the end of the history
    are planned too and cut off when writing, so recent cases stay open at some stage."""

    def __init__(self, gen: _Generator, case: PlannedCase, plan: YearPlan) -> None:
        self.gen, self.case, self.rates = gen, case, plan
        self.rng, self.cal = gen.rng, gen.cal
        self.cat = case.issue.category
        self.status = S.received.value
        self.unit: UnitRef | None = None
        self.accept_due = self.handle_due = 0

    def add(
        self,
        ts: int,
        action: str,
        to: str,
        actor: str | None,
        *,
        note: str | None = None,
        data: dict[str, Any] | None = None,
        sets: dict[str, Any] | None = None,
        inc: str | None = None,
        complaint: PlannedComplaint | None = None,
    ) -> int:
        case = self.case
        ts = max(ts, case.event_ts[-1]) if case.event_ts else ts
        unit_id = self.unit.id if self.unit is not None else None
        case.events.append(
            Ev(ts, action, self.status, to, actor, unit_id, note, data or {}, sets, inc, complaint)
        )
        case.event_ts.append(ts)
        self.status = to
        return ts

    def plan(self) -> None:
        rng, case = self.rng, self.case
        first = case.complaints[0]
        t = self.add(
            first.created,
            A.receive,
            S.received,
            _receiver(first.channel),
            inc="complaint_count",
            complaint=first,
        )
        t = self.centre(t + rng.randint(3 * MINUTE, HOUR))
        filer = "operator" if rng.random() < 0.75 else "dispatcher"
        if not self.cat.in_remit or rng.random() < 0.01:
            reason = texts.not_filed_reason(rng, in_remit=self.cat.in_remit)
            self.add(
                t,
                A.not_file,
                S.not_filed,
                filer,
                note=reason,
                sets={"not_filed_reason": reason, "due_at": None},
            )
            return
        case.filed = True
        t = self.add(
            t, A.file, S.filed, filer, data={"category": self.cat.code}, sets={"filed_at": t}
        )
        t = self.dispatch_and_accept(self.centre(t + rng.randint(5 * MINUTE, 90 * MINUTE)))
        t = self.extension_or_suspension(t)
        solved, t = self.handle_and_call_back(t)
        t = self.centre(t + rng.randint(10 * MINUTE, 20 * HOUR))
        note = None if solved else rng.choice(texts.CLOSE_UNSOLVED_NOTES)
        case.close_ts = self.add(
            t,
            A.close,
            S.closed,
            "dispatcher",
            note=note,
            data={"solved": solved},
            sets={"closed_at": t, "due_at": None},
        )

    # -- steps

    def dispatch_and_accept(self, t: int) -> int:
        rng, issue = self.rng, self.case.issue
        right, office = self.gen.units[issue.locality.street_key]
        if office is not None and rng.random() < STREET_OFFICE_SHARE.get(self.cat.code, 0.12):
            right = office
        others = (
            [
                u
                for u in self.gen.squadrons_of_district.get(issue.locality.district_id, [])
                if u.id != right.id
            ]
            if rng.random() < 0.04
            else []
        )
        if others:
            # Misrouted to a neighbouring squadron, which sends it back (退回).
            t = self.dispatch(t, rng.choice(others))
            back = self.cal.add_hours(t, rng.uniform(0.1, 0.9) * max(self.accept_hours, 0.5))
            self.add(
                back,
                A.return_,
                S.returned,
                "unit",
                note=rng.choice(texts.RETURN_REASONS),
                sets={"unit_id": None, "due_at": None},
                inc="returned_count",
            )
            self.unit = None
            t = self.centre(back + rng.randint(15 * MINUTE, 3 * HOUR))
        t = self.dispatch(t, right)
        if rng.random() < self.rates.late_accept:
            accepted = self.cal.add_hours(self.accept_due, rng.uniform(0.3, 12))
            urge = self.cal.add_hours(self.accept_due, rng.uniform(0.05, 0.25))
            if urge < accepted and rng.random() < 0.5:
                self.add(
                    urge,
                    A.urge,
                    S.dispatched,
                    "dispatcher",
                    inc="urge_count",
                    note="已超过签收时限，请尽快签收。",
                )
        else:
            accepted = self.cal.add_hours(t, rng.uniform(0.05, 0.9) * self.accept_hours)
        accepted = max(accepted, t + MINUTE)
        return self.add(
            accepted,
            A.accept,
            S.accepted,
            "unit",
            data={"late": accepted > self.accept_due},
            sets={"accepted_at": accepted, "due_at": self.handle_due},
        )

    @property
    def accept_hours(self) -> float:
        return self.cat.accept_hours

    def dispatch(self, t: int, unit: UnitRef) -> int:
        self.accept_due = self.cal.add_hours(t, self.accept_hours)
        self.handle_due = self.cal.due_days(t, self.cat.handle_days)
        self.unit = unit
        return self.add(
            t,
            A.dispatch,
            S.dispatched,
            "dispatcher",
            data={
                "unit": unit.code,
                "accept_due_at": iso(self.accept_due),
                "handle_due_at": iso(self.handle_due),
            },
            sets={
                "unit_id": unit.id,
                "dispatched_at": t,
                "accepted_at": None,
                "accept_due_at": self.accept_due,
                "handle_due_at": self.handle_due,
                "due_at": self.accept_due,
            },
        )

    def extension_or_suspension(self, t: int) -> int:
        rng, cat = self.rng, self.cat
        if rng.random() < EXTENSION_SHARE.get(self.cat.code, 0.03) and self.handle_due - t > HOUR:
            request = t + int(rng.uniform(0.2, 0.6) * (self.handle_due - t))
            days = rng.randint(5, 15) if cat.handle_days >= 10 else rng.randint(2, 7)
            self.add(
                request,
                A.request_extension,
                S.accepted,
                "unit",
                data={"days": days},
                note=rng.choice(texts.EXTENSION_REASONS),
                sets={"extension_requested_days": days},
            )
            t = self.centre(request + rng.randint(HOUR, 20 * HOUR))
            if rng.random() < 0.85:
                due = self.cal.due_days(self.handle_due, days)
                self.handle_due = due
                t = self.add(
                    t,
                    A.approve_extension,
                    S.accepted,
                    "dispatcher",
                    data={"days": days, "handle_due_at": iso(due)},
                    sets={"extension_requested_days": None, "handle_due_at": due, "due_at": due},
                    inc="extension_count",
                )
            else:
                t = self.add(
                    t,
                    A.refuse_extension,
                    S.accepted,
                    "dispatcher",
                    data={"days": days},
                    note=rng.choice(texts.REFUSAL_NOTES),
                    sets={"extension_requested_days": None},
                )
        if cat.handle_days >= 10 and rng.random() < 0.07:
            # 挂账: a long-standing structure waits for another body's ruling.
            t = self.centre(t + rng.randint(DAY, 3 * DAY))
            review = date_of(day_of(t) + 30).isoformat()
            self.add(
                t,
                A.suspend,
                S.suspended,
                "dispatcher",
                data={"review_on": review},
                note=rng.choice(texts.SUSPEND_NOTES),
                sets={"due_at": None},
            )
            t = self.centre(t + rng.randint(15 * DAY, 45 * DAY))
            self.add(
                t,
                A.resume,
                S.accepted,
                "dispatcher",
                note=rng.choice(texts.RESUME_NOTES),
                sets={"due_at": self.handle_due},
            )
        return t

    def handle_and_call_back(self, t: int) -> tuple[bool, int]:
        rng = self.rng
        for round_ in range(2):
            t = self.reply(t, rework=round_ > 0)
            weights = self.rates.satisfaction if round_ == 0 else (0.45, 0.45, 0.10)
            if self.case.events[-1].data["late"]:
                weights = (weights[0] * 0.8, weights[1], weights[2] * 2)
            satisfaction = rng.pick(SATISFACTION, _cumulative(list(weights)))
            solved = {
                "satisfied": True,
                "basically": rng.random() < 0.9,
                "unsatisfied": rng.random() < 0.15,
            }[satisfaction]
            t = self.callback_time(t + rng.randint(2 * HOUR, 40 * HOUR))
            t = self.add(
                t,
                A.callback,
                S.handled,
                "operator",
                note=rng.choice(texts.CALLBACK_NOTES[satisfaction]),
                data={"satisfaction": satisfaction, "solved": solved},
                sets={"satisfaction": satisfaction, "solved": solved},
            )
            if satisfaction != "unsatisfied" or round_ > 0 or rng.random() < 0.4:
                return solved, t
            t = self.centre(t + rng.randint(10 * MINUTE, 2 * HOUR))
            self.handle_due = self.cal.due_days(t, self.cat.handle_days)
            t = self.add(
                t,
                A.rework,
                S.accepted,
                "dispatcher",
                note=rng.choice(texts.REWORK_NOTES),
                data={"handle_due_at": iso(self.handle_due)},
                sets={
                    "handled_at": None,
                    "satisfaction": None,
                    "solved": None,
                    "handle_due_at": self.handle_due,
                    "due_at": self.handle_due,
                },
                inc="rework_count",
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def reply(self, t: int, *, rework: bool) -> int:
        rng, due = self.rng, self.handle_due
        if rng.random() < self.rates.late_handle or due <= t:
            replied = max(due, t) + rng.randint(HOUR, 4 * DAY)
        else:
            replied = t + int(rng.uniform(0.1, 0.95) * (due - t))
        replied = max(self.daytime(replied), t + 10 * MINUTE)
        if replied > due + 2 * HOUR and rng.random() < 0.7:
            urge = due + rng.randint(
                30 * MINUTE, max(31 * MINUTE, min(20 * HOUR, replied - due - HOUR))
            )
            self.add(
                urge,
                A.urge,
                S.accepted,
                "dispatcher",
                inc="urge_count",
                note=rng.choice(texts.URGE_LATE_NOTES),
            )
        assert self.unit is not None
        issue = self.case.issue
        staff = "执法队员" if self.unit.kind == UnitKind.squadron else "工作人员"
        reply = texts.reply_text(
            rng, self.cat.code, f"{self.unit.name}{staff}", issue.place, self.cat.name
        )
        if rework:
            reply = "返工后再次处置：" + reply
        return self.add(
            replied,
            A.reply,
            S.handled,
            "unit",
            data={"late": replied > due},
            sets={"reply_text": reply, "handled_at": replied, "due_at": None},
        )

    # -- working hours of the people involved

    def _within(self, ts: int, opens: int, closes: int, start_at: int, spread: int) -> int:
        local = (ts + OFFSET) % DAY
        if opens * HOUR <= local < closes * HOUR:
            return ts
        day = day_of(ts) + (1 if local >= closes * HOUR else 0)
        return start_of(day) + start_at + self.rng.randint(0, spread)

    def centre(self, ts: int) -> int:
        """The 96310 centre files and dispatches from 8:00 to 21:00."""
        return self._within(ts, 8, 21, 8 * HOUR, 50 * MINUTE)

    def daytime(self, ts: int) -> int:
        """Squadrons reply between 7:00 and 23:00."""
        return self._within(ts, 7, 23, 7 * HOUR + 30 * MINUTE, 90 * MINUTE)

    def callback_time(self, ts: int) -> int:
        """Call-backs to citizens between 9:00 and 20:00."""
        return self._within(ts, 9, 20, 9 * HOUR, 2 * HOUR)


# ---- writing the rows ---------------------------------------------------------------------

CASE_FIELDS = (
    "filed_at",
    "dispatched_at",
    "accepted_at",
    "handled_at",
    "closed_at",
    "accept_due_at",
    "handle_due_at",
    "due_at",
)
INITIAL_STATE: dict[str, Any] = {
    "status": S.received.value,
    "unit_id": None,
    "complaint_count": 0,
    "returned_count": 0,
    "extension_count": 0,
    "rework_count": 0,
    "urge_count": 0,
    "not_filed_reason": None,
    "reply_text": None,
    "satisfaction": None,
    "solved": None,
    "extension_requested_days": None,
    **dict.fromkeys(CASE_FIELDS),
}
# Enum members → their plain values (drivers must not see the enum types).
PLAIN: dict[str, str] = {**{a: a.value for a in CaseAction}, **{s: s.value for s in CaseStatus}}
EVENT_COLUMNS = (
    "id",
    "case_id",
    "at",
    "actor_id",
    "action",
    "from_status",
    "to_status",
    "note",
    "data",
    "unit_id",
)
CHUNK = 5000


def _event_time(ev: Ev) -> int:
    return ev.ts


def _event_order(item: tuple[int, int, int, tuple[Any, ...]]) -> tuple[int, int, int]:
    return item[0], item[1], item[2]


class _Writer:
    """Numbers, texts and ids for the planned history; the state of each case at the end of
    the history; bulk inserts in chunks."""

    def __init__(self, gen: _Generator, users: dict[str, User], estimate: int) -> None:
        self.gen, self.users, self.estimate = gen, users, estimate
        self.rng = gen.rng
        self.session = gen.session

    def write(self) -> HistoryStats:
        gen = self.gen
        complaints = sorted(gen.complaints, key=lambda c: c.ts)
        cases = sorted(gen.cases, key=lambda c: c.complaints[0].ts)
        self._texts(complaints)
        self._ids(complaints, cases)
        case_rows, event_rows = self._case_rows(cases)
        complaint_rows = [self._complaint_row(c) for c in complaints]
        planted = [
            {"complaint_id": c.id, "original_id": c.issue.complaints[0].id, "kind": c.kind}
            for c in complaints
            if c.kind
        ]
        total = (gen.end - gen.first) + len(case_rows) + len(complaint_rows) + len(event_rows)
        with self._large_sqlite_cache():
            for model, rows, label in (
                (Case, case_rows, "写入案件"),
                (Complaint, complaint_rows, "写入投诉"),
                (PlantedRepeat, planted, "写入重复投诉真值"),
            ):
                if rows:
                    self._insert(
                        model, tuple(rows[0]), [tuple(r.values()) for r in rows], total, label
                    )
            self._insert(CaseEvent, EVENT_COLUMNS, event_rows, total, "写入办理记录")
        self._advance_sequences()
        self.session.flush()
        return self._stats(complaints, case_rows, event_rows, planted)

    def _texts(self, complaints: list[PlannedComplaint]) -> None:
        rng = self.rng
        for c in complaints:
            issue = c.issue
            code, name, place = issue.category.code, issue.category.name, issue.place
            if c.kind is None:
                issue.template, c.text = texts.complaint_text(rng, code, name, place)
            else:
                earlier = [p for p in issue.complaints if p.ts < c.ts]
                mine = [p for p in earlier if p.person == c.person] or earlier
                said = {p.text for p in earlier}
                for _ in range(5):  # similar, never word for word the same
                    c.text = texts.repeat_text(
                        rng,
                        c.kind,
                        code,
                        name,
                        place,
                        template=issue.template,
                        days=(c.ts - mine[-1].ts) // DAY,
                    )
                    if c.text not in said:
                        break
                c.variant = rng.choice((0, 0, 0, 1, 2))
            c.title = texts.title(rng, code, name, place, c.text)

    def _ids(self, complaints: list[PlannedComplaint], cases: list[PlannedCase]) -> None:
        session, rng = self.session, self.rng
        next_complaint = (session.scalar(select(func.max(Complaint.id))) or 0) + 1
        next_case = (session.scalar(select(func.max(Case.id))) or 0) + 1
        self.next_event = (session.scalar(select(func.max(CaseEvent.id))) or 0) + 1
        sequences: dict[tuple[int, int], int] = {}
        for offset, c in enumerate(complaints):
            c.id = next_complaint + offset
            if c.channel.forwarded:
                key = (c.channel.id, date_of(day_of(c.ts)).year)
                seq = sequences.get(key, rng.randint(1, 500)) + rng.randint(3, 60)
                sequences[key] = seq
                c.upstream_ref = f"{_ref_prefix(c.channel.code)}-{key[1]}-{seq:07d}"
        taken = self._taken_numbers()
        self.numbers: dict[int, str] = {}
        per_day: dict[int, int] = {}
        for offset, case in enumerate(cases):
            case.id = next_case + offset
            day = day_of(case.complaints[0].ts)
            head = f"{self.gen.prefix}{date_of(day):%Y%m%d}"
            seq = per_day.get(day, taken.get(head, 0)) + 1
            per_day[day] = seq
            self.numbers[case.id] = f"{head}{seq:05d}"

    def _taken_numbers(self) -> dict[str, int]:
        """Numbers already used per day (a database that had cases before the demo)."""
        taken: dict[str, int] = {}
        prefix = self.gen.prefix
        for number in self.session.scalars(
            select(Case.number).where(Case.number.like(f"{prefix}%"))
        ):
            head, seq = number[:-5], number[-5:]
            if seq.isdigit():
                taken[head] = max(taken.get(head, 0), int(seq))
        return taken

    def _case_rows(
        self, cases: list[PlannedCase]
    ) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
        """Replay each case's events up to the end of the history into its row (as the
        actions of ``cases.service`` would have left it) and build the event rows."""
        now, users, unit_users = self.gen.now, self.users, self.gen.unit_users
        actor_ids = {role: user.id for role, user in users.items()}
        case_rows: list[dict[str, Any]] = []
        events: list[tuple[int, int, int, tuple[Any, ...]]] = []
        append = events.append
        for case in cases:
            state = dict(INITIAL_STATE)
            timeline = case.events + case.extra if case.extra else case.events
            if case.extra:
                timeline.sort(key=_event_time)
            case_id = case.id
            for order, ev in enumerate(timeline):
                if ev.ts >= now:
                    break
                unit_id = state["unit_id"] if ev.unit_id == INHERIT else ev.unit_id
                if ev.sets:
                    state.update(ev.sets)
                if ev.inc:
                    state[ev.inc] += 1
                state["status"] = ev.after
                if ev.actor == "unit":
                    user = unit_users.get(unit_id)
                    actor_id = user.id if user is not None else None
                else:
                    actor_id = actor_ids.get(ev.actor) if ev.actor else None
                data = ev.data
                if ev.complaint is not None:
                    data = {"complaint_id": ev.complaint.id, "channel": ev.complaint.channel.code}
                append(
                    (
                        ev.ts,
                        case_id,
                        order,
                        (
                            case_id,
                            ev.ts,
                            actor_id,
                            PLAIN[ev.action],
                            PLAIN[ev.before],
                            PLAIN[ev.after],
                            ev.note,
                            data,
                            unit_id,
                        ),
                    )
                )
            state["status"] = PLAIN[state["status"]]
            case_rows.append(self._case_row(case, state))
        events.sort(key=_event_order)
        rows = [(event_id, *item[3]) for event_id, item in enumerate(events, self.next_event)]
        return case_rows, rows

    def _case_row(self, case: PlannedCase, state: dict[str, Any]) -> dict[str, Any]:
        first, issue = case.complaints[0], case.issue
        row = {
            "id": case.id,
            "number": self.numbers[case.id],
            "title": first.title,
            "category_id": issue.category.id,
            "area_id": issue.locality.area_id,
            "district_id": issue.locality.district_id,
            "street_id": issue.locality.street_id,
            "address": issue.place.address(0),
            "opened_at": first.ts,
            "merged_into_id": None,
        }
        row.update(state)
        return row

    def _complaint_row(self, c: PlannedComplaint) -> dict[str, Any]:
        issue, users = c.issue, self.users
        receiver = _receiver(c.channel)
        assert c.case is not None
        return {
            "id": c.id,
            "channel_id": c.channel.id,
            "upstream_ref": c.upstream_ref,
            "received_at": c.ts,
            "complainant_name": c.person[0],
            "complainant_phone": c.person[1],
            "title": c.title,
            "text": c.text,
            "address": issue.place.address(c.variant),
            "longitude": None,
            "latitude": None,
            "category_id": issue.category.id,
            "area_id": issue.locality.area_id,
            "district_id": issue.locality.district_id,
            "street_id": issue.locality.street_id,
            "case_id": c.case.id,
            "import_batch_id": None,
            "created_at": c.created,
            "created_by_id": users[receiver].id if receiver else None,
        }

    def _insert(
        self,
        model: type,
        columns: tuple[str, ...],
        rows: list[tuple[Any, ...]],
        total: int,
        label: str,
    ) -> None:
        """Rows hold times as epoch seconds; each dialect gets them in its own form."""
        table = model.__table__  # type: ignore[attr-defined]
        times = {c for c in columns if isinstance(table.c[c].type, UTCDateTime)}
        documents = {c for c in columns if isinstance(table.c[c].type, JSON)}
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        # SQLAlchemy's per-value processing would cost more than SQLite's own work here: hand
        # the driver the values exactly as UTCDateTime/JSON would have stored them.
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        converters = [
            (i, _sqlite_time if c in times else _json_text)
            for i, c in enumerate(columns)
            if c in times or c in documents
        ]
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            if sqlite:
                params = []
                for row in chunk:
                    values = list(row)
                    for i, convert in converters:
                        if values[i] is not None:
                            values[i] = convert(values[i])
                    params.append(tuple(values))
                self.session.connection().exec_driver_sql(sql, params)  # type: ignore[arg-type]
            else:
                self.session.execute(
                    insert(table),
                    [
                        {
                            c: as_datetime(v) if c in times else v
                            for c, v in zip(columns, row, strict=True)
                        }
                        for row in chunk
                    ],
                )
            self.gen._tick(len(chunk), total, label)

    @contextmanager
    def _large_sqlite_cache(self) -> Iterator[None]:
        """Half a million rows update several indexes: with SQLite's default 2 MB page cache
        index pages are read again and again. Enlarged for the inserts, then restored."""
        if self.session.get_bind().dialect.name != "sqlite":
            yield
            return
        connection = self.session.connection()
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        connection.exec_driver_sql("PRAGMA cache_size = -131072")
        try:
            yield
        finally:
            connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")

    def _advance_sequences(self) -> None:
        """Ids were given explicitly: move PostgreSQL's sequences past them."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for table in ("complaints", "cases", "case_events"):
            self.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            )

    def _stats(
        self,
        complaints: list[PlannedComplaint],
        case_rows: list[dict[str, Any]],
        event_rows: list[tuple[Any, ...]],
        planted: list[dict[str, Any]],
    ) -> HistoryStats:
        gen = self.gen
        stats = HistoryStats(
            gen.seed,
            gen.year,
            gen.today,
            gen.scale,
            date_of(gen.first),
            date_of(gen.end - 1),
            complaints=len(complaints),
            cases=len(case_rows),
            events=len(event_rows),
            planted_repeats=len(planted),
            logins=list(self.users),
        )
        stats.repeats_by_kind = {k: sum(1 for p in planted if p["kind"] == k) for k in REPEAT_KINDS}
        for year in (gen.year - 1, gen.year):
            lo, hi = start_of(day_number(date(year, 1, 1))), start_of(day_number(date(year, 8, 1)))
            chosen = [c for c in complaints if lo <= c.ts < hi]
            stats.jan_jul[year] = PeriodFigures(
                len(chosen),
                sum(1 for c in chosen if c.issue.category.hot),
                sum(1 for c in chosen if c.kind),
            )
        now = gen.now
        open_statuses = {
            s.value
            for s in (
                S.received,
                S.filed,
                S.dispatched,
                S.returned,
                S.accepted,
                S.suspended,
                S.handled,
            )
        }
        stats.open_cases = sum(1 for r in case_rows if r["status"] in open_statuses)
        stats.overdue_cases = sum(
            1 for r in case_rows if r["due_at"] is not None and r["due_at"] < now
        )
        stats.not_filed = sum(1 for r in case_rows if r["status"] == S.not_filed.value)
        return stats


_DAY_TEXT: dict[int, str] = {}
_JSON_TEXT: dict[tuple[tuple[str, Any], ...], str] = {}


def _sqlite_time(ts: int) -> str:
    """UTCDateTime's SQLite storage: naive UTC in SQLAlchemy's DATETIME format."""
    day, second = divmod(ts, DAY)
    head = _DAY_TEXT.get(day)
    if head is None:
        head = _DAY_TEXT[day] = time.strftime("%Y-%m-%d ", time.gmtime(day * DAY))
    return f"{head}{second // HOUR:02d}:{second // MINUTE % 60:02d}:{second % 60:02d}.000000"


def _json_text(data: dict[str, Any]) -> str:
    """JSON as SQLAlchemy's JSON type writes it; the many repeated small documents are cached."""
    key = tuple(data.items())
    text_ = _JSON_TEXT.get(key)
    if text_ is None:
        text_ = json.dumps(data)
        if len(_JSON_TEXT) < 10000:
            _JSON_TEXT[key] = text_
    return text_


def _ref_prefix(code: str) -> str:
    """Ticket numbers of forwarding hotlines: "12345-2025-0001234"; named channels abbreviate."""
    return code if code.isdigit() else code.split("_")[0][:4].upper()
