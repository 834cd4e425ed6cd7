"""Planted repeats: a later complaint about the same issue at the same place. The same
complainant or another person joins the open case; or the problem comes back one to eight
weeks after the case closed and opens a new one (recurrence)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from civicdesk.core.workflow import CaseAction as A
from civicdesk.core.workflow import CaseStatus as S
from civicdesk.demo import texts
from civicdesk.demo.calendar_fast import DAY, HOUR, MINUTE, start_of
from civicdesk.demo.draws import cumulative
from civicdesk.demo.planned import INHERIT, Chan, Ev, PlannedCase, PlannedComplaint, receiver
from civicdesk.demo.shape import REPEAT_KINDS, YearPlan

if TYPE_CHECKING:
    from civicdesk.demo.planning import Planner

Person = tuple[str | None, str | None]


class RepeatPlanner:
    def __init__(self, planner: Planner) -> None:
        self.planner, self.rng, self.draws = planner, planner.rng, planner.draws

    def plan_day(self, day: int, want: int, plan: YearPlan) -> list[PlannedComplaint]:
        """Up to ``want`` repeats on ``day`` (fewer if no issue takes one)."""
        made: list[PlannedComplaint] = []
        for _ in range(want):
            complaint = self.plan_one(day, plan)
            if complaint is None:
                break
            made.append(complaint)
        return made

    def plan_one(self, day: int, plan: YearPlan) -> PlannedComplaint | None:
        """A repeat of the year's preferred kind, else of another kind."""
        rng, planner = self.rng, self.planner
        kinds = list(REPEAT_KINDS)
        first = rng.pick(kinds, cumulative(list(plan.kind_weights)))
        for kind in [first] + [k for k in kinds if k != first]:
            pool = planner.recur_pool if kind == "recurrence" else planner.open_cases
            for _ in range(40 if pool else 0):
                case = pool[rng.randrange(len(pool))]
                found = self._try(case, kind, day, plan)
                if found is not None:
                    return found
        return None

    def _try(
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
        window = self._window(case, kind, start_of(day))
        if window is None:
            return None
        person = self._person(case, kind)
        if person is None:
            return None
        channel, ts = self._channel_and_time(case, person, day, window)
        complaint = self.planner.add_complaint(issue, ts, channel, person, kind)
        if kind == "recurrence":
            self.planner.open_case(issue, complaint, plan)
        else:
            self.attach(case, complaint)
        return complaint

    def _window(self, case: PlannedCase, kind: str, start: int) -> tuple[int, int] | None:
        """When on the day starting at ``start`` the repeat may arrive, if at all."""
        last = case.issue.complaints[-1].ts
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
        hi = min(hi, self.planner.now - 60)
        return (lo, hi) if lo < hi else None

    def _person(self, case: PlannedCase, kind: str) -> Person | None:
        if kind != "same_complainant":
            return texts.person(self.rng)
        known = [c.person for c in case.complaints if c.person[1] is not None]
        return self.rng.choice(known) if known else None

    def _channel_and_time(
        self, case: PlannedCase, person: Person, day: int, window: tuple[int, int]
    ) -> tuple[Chan, int]:
        """People mostly use the channel they used before; letters and visits keep office
        hours, so one that finds no time becomes a call to 96310."""
        rng, draws, issue = self.rng, self.draws, case.issue
        lo, hi = window
        previous = next((c for c in reversed(issue.complaints) if c.person == person), None)
        channel = previous.channel if previous and rng.random() < 0.6 else draws.channel(day)
        if channel.profile == "office" and not self.planner.cal.is_workday(day):
            channel = draws.channel(day)  # no letters or visits on a day off
        ts = draws.time_between(channel, issue.category.code, start_of(day), lo, hi)
        if ts is None:
            channels = draws.channels
            channel = next((c for c in channels if c.code == "96310"), channels[0])
            ts = rng.randint(lo, hi - 1)
        return channel, ts

    def attach(self, case: PlannedCase, complaint: PlannedComplaint) -> None:
        """A repeat joins the open case: an ``attach`` event, maybe an urge, and supervision
        once three complaints are on the case (拱墅's graded supervision)."""
        rng, now = self.rng, self.planner.now
        complaint.case = case
        case.complaints.append(complaint)
        at = complaint.created
        status = case.status_at(at)
        actor = receiver(complaint.channel)
        case.extra.append(
            Ev(
                at,
                A.attach,
                status,
                status,
                actor,
                None,
                inc="complaint_count",
                complaint=complaint,
            )
        )
        later = at + rng.randint(10 * MINUTE, HOUR)
        if rng.random() < 0.4 and later < now:
            status = case.status_at(later)
            if status in (S.dispatched, S.accepted):
                note = rng.choice(texts.URGE_REPEAT_NOTES)
                case.extra.append(
                    Ev(later, A.urge, status, status, "dispatcher", INHERIT, note, inc="urge_count")
                )
        if len(case.complaints) == 3:
            later = at + rng.randint(HOUR, 6 * HOUR)
            status = case.status_at(later)
            if later < now and status in (S.dispatched, S.accepted, S.suspended):
                note = rng.choice(texts.SUPERVISE_NOTES)
                inc = "supervise_count"
                case.extra.append(
                    Ev(later, A.supervise, status, status, "leader", INHERIT, note, inc=inc)
                )
                # 分级督办: the leader grades the case 重点督办 at the same time (no draw).
                grade = {"grade": "key", "grade_set_at": later}
                data = {"grade": "key", "level": "区级督办", "suggested": "key"}
                case.extra.append(
                    Ev(later, A.set_grade, status, status, "leader", INHERIT, None, data, grade)
                )
