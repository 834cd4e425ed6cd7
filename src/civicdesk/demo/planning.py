"""Planning the history day by day: each day's exact quota of complaints, repeats and hot-spot
complaints; new complaints open issues at fresh places (so that the only same-place
same-category complaints are the planted repeats), and each new case is walked through its
lifecycle at once."""

from __future__ import annotations

import heapq
from collections.abc import Callable

from civicdesk.demo import texts
from civicdesk.demo.calendar_fast import DAY, FastCalendar, date_of, day_of, start_of
from civicdesk.demo.draws import Draws, FastRandom
from civicdesk.demo.lifecycle import CasePlanner
from civicdesk.demo.planned import (
    Cat,
    Chan,
    Issue,
    Locality,
    PlannedCase,
    PlannedComplaint,
    last_activity,
)
from civicdesk.demo.reference import Reference
from civicdesk.demo.repeats import RepeatPlanner
from civicdesk.demo.shape import HOT_WEIGHTS, NOT_CITY_SHARE, OTHER_WEIGHTS, YearPlan
from civicdesk.demo.volumes import Period, Span, Volumes, apportion

Progress = Callable[[int, int, str], None]


class Planner:
    """The whole history in memory: complaints, cases, and the pools repeats are drawn from
    (open cases; cases closed one to eight weeks ago)."""

    def __init__(
        self,
        span: Span,
        reference: Reference,
        rng: FastRandom,
        calendar: FastCalendar,
        volumes: Volumes,
        tick: Progress,
    ) -> None:
        self.span, self.ref, self.rng, self.cal = span, reference, rng, calendar
        self.volumes, self.tick = volumes, tick
        self.now = span.now
        self.draws = Draws(rng, calendar, reference.channels)
        self.repeats = RepeatPlanner(self)
        self.complaints: list[PlannedComplaint] = []
        self.cases: list[PlannedCase] = []
        self.zones: dict[tuple[str, int], list[Issue]] = {}
        self.open_cases: list[PlannedCase] = []
        self.closing_heap: list[tuple[int, int, PlannedCase]] = []
        self.recur_pool: list[PlannedCase] = []
        self._seq = 0
        self.crowded = 0  # new issues that found no free place (should stay near zero)

    def plan_period(self, period: Period, estimate: int) -> None:
        days = list(range(period.lo, period.hi))
        totals = apportion(period.total, [self.volumes.day_weight(d) for d in days])
        ramp = [min(1.0, (d - self.span.first + 1) / 21) for d in days]
        repeats = apportion(period.repeats, [n * r for n, r in zip(totals, ramp, strict=True)])
        plan = self.span.rates(period.lo)
        non_hot = period.total - period.hot
        p_not_city = min(1.0, NOT_CITY_SHARE * period.total / non_hot) if non_hot > 0 else 0.0
        carry = hot_so_far = done = 0
        for day, n_day, r_day in zip(days, totals, repeats, strict=True):
            self._advance_pools(day)
            made = self.repeats.plan_day(day, min(r_day + carry, n_day), plan)
            carry = r_day + carry - len(made)
            done += n_day
            hot_target = round(period.hot * done / max(period.total, 1))
            hot_repeats = sum(1 for c in made if c.issue.category.hot)
            fresh = n_day - len(made)
            hot_new = min(max(hot_target - hot_so_far - hot_repeats, 0), fresh)
            self._plan_new_of_day(day, fresh, hot_new, p_not_city, plan)
            hot_so_far += hot_new + hot_repeats
            self.tick(1, estimate, f"规划 {date_of(day):%Y-%m}")
        if carry:
            raise RuntimeError(
                f"{carry} planted repeats found no earlier issue before "
                f"{date_of(period.hi)}: the scale is too small for this period"
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

    def _plan_new_of_day(
        self, day: int, fresh: int, hot_new: int, p_not_city: float, plan: YearPlan
    ) -> None:
        flags = [True] * hot_new + [False] * (fresh - hot_new)
        self.rng.shuffle(flags)
        for hot in flags:
            self._plan_new(day, hot, p_not_city, plan)

    def _plan_new(self, day: int, hot: bool, p_not_city: float, plan: YearPlan) -> None:
        rng, ref, draws = self.rng, self.ref, self.draws
        month = date_of(day).month
        if hot:
            category = draws.category(ref.hot, HOT_WEIGHTS, month)
        elif ref.not_city and rng.random() < p_not_city:
            category = draws.category(ref.not_city, OTHER_WEIGHTS, month)
        else:
            category = draws.category(ref.other, OTHER_WEIGHTS, month)
        locality, place = self.fresh_place(category, day)
        issue = Issue(category, locality, place)
        channel = draws.channel(day)
        ts = start_of(day) + draws.time_of_day(channel, category.code)
        complaint = self.add_complaint(issue, ts, channel, texts.person(rng), None)
        self.open_case(issue, complaint, plan)

    def fresh_place(self, category: Cat, day: int) -> tuple[Locality, texts.Place]:
        """A place where no issue of this category has been active for 75 days, so that the
        only same-place same-category complaints are the planted repeats."""
        rng, ref = self.rng, self.ref
        horizon = start_of(day) - 75 * DAY
        for _ in range(30):
            locality = rng.pick(ref.localities, ref.locality_cum)
            kind = self.draws.place_kind(category.code)
            place = texts.make_place(rng, kind, locality.where, category.code)
            neighbours = self.zones.get((place.zone, category.id), [])
            if all(last_activity(other) < horizon for other in neighbours):
                return locality, place
        self.crowded += 1
        return locality, place

    def _register_zone(self, issue: Issue) -> None:
        self.zones.setdefault((issue.place.zone, issue.category.id), []).append(issue)

    def add_complaint(
        self,
        issue: Issue,
        ts: int,
        channel: Chan,
        person: tuple[str | None, str | None],
        kind: str | None,
    ) -> PlannedComplaint:
        """Received at ``ts``, recorded a little later (forwarded tickets up to 1.5 h)."""
        delay = self.rng.randint(120, 5400) if channel.forwarded else self.rng.randint(0, 180)
        created = min(ts + delay, self.now - 1)
        complaint = PlannedComplaint(issue, ts, created, channel, person, kind)
        issue.complaints.append(complaint)
        self.complaints.append(complaint)
        return complaint

    def open_case(self, issue: Issue, complaint: PlannedComplaint, plan: YearPlan) -> None:
        case = PlannedCase(issue, [complaint])
        complaint.case = case
        issue.cases.append(case)
        self.cases.append(case)
        CasePlanner(self.ref, self.rng, self.cal, case, plan).plan()
        if len(issue.cases) == 1:
            self._register_zone(issue)
        if case.filed:
            self.open_cases.append(case)
            if case.close_ts is not None:
                self._seq += 1
                heapq.heappush(self.closing_heap, (case.close_ts, self._seq, case))

    # -- exact hot-spot counts

    def fix_hotspot(self, period: Period) -> None:
        """Swap the category of single-complaint issues until the period's hot-spot count is
        exact (the daily quotas leave a few over or under when repeats cluster)."""
        start, end = start_of(period.lo), start_of(period.hi)
        in_period = [c for c in self.complaints if start <= c.ts < end]
        diff = period.hot - sum(1 for c in in_period if c.issue.category.hot)
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
            raise RuntimeError(
                f"cannot reach {period.hot} hot-spot complaints in {date_of(period.lo)}"
            )
        plan = self.span.rates(period.lo)
        for issue in self.rng.sample(candidates, abs(diff)):
            self._swap_category(issue, want_hot, plan)

    def _swap_category(self, issue: Issue, hot: bool, plan: YearPlan) -> None:
        """Another category (and so another fresh place) and the case planned again."""
        day = day_of(issue.complaints[0].ts)
        pool, weights = (self.ref.hot, HOT_WEIGHTS) if hot else (self.ref.other, OTHER_WEIGHTS)
        issue.category = self.draws.category(pool, weights, date_of(day).month)
        issue.locality, issue.place = self.fresh_place(issue.category, day)
        self._register_zone(issue)
        case = issue.cases[0]
        case.events, case.extra, case.event_ts = [], [], []
        CasePlanner(self.ref, self.rng, self.cal, case, plan).plan()
