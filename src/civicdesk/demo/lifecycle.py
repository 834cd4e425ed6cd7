"""One case walked through its lifecycle: every event as ``cases.service`` would record it, with
timings from the office hours and limits from the category. Events after the end of the
history are planned too and cut off when writing, so recent cases stay open at some stage."""

from __future__ import annotations

from typing import Any

from civicdesk.core.workflow import CaseAction as A
from civicdesk.core.workflow import CaseStatus as S
from civicdesk.demo import texts
from civicdesk.demo.calendar_fast import (
    DAY,
    HOUR,
    MINUTE,
    OFFSET,
    FastCalendar,
    date_of,
    day_of,
    iso,
    start_of,
)
from civicdesk.demo.draws import FastRandom, cumulative
from civicdesk.demo.planned import Ev, PlannedCase, PlannedComplaint, UnitRef, receiver
from civicdesk.demo.reference import Reference
from civicdesk.demo.shape import EXTENSION_SHARE, SATISFACTION, STREET_OFFICE_SHARE, YearPlan
from civicdesk.org.models import UnitKind
from civicdesk.supervision.policy import Duration

Urge = tuple[int, str]  # when, the dispatcher's note
# The share of cases the centre files, and dispatches, after the limit (centre_limits of
# supervision.yaml): a busy shift, a case waiting for a call back to the complainant. Taken from
# the same draw as the usual delay, so the demo's other draws do not move.
LATE_FILE = 0.04
LATE_DISPATCH = 0.06


class CasePlanner:
    def __init__(
        self,
        reference: Reference,
        rng: FastRandom,
        calendar: FastCalendar,
        case: PlannedCase,
        plan: YearPlan,
    ) -> None:
        self.ref, self.rng, self.cal = reference, rng, calendar
        self.case, self.rates = case, plan
        self.cat = case.issue.category
        self.status = S.received.value
        self.unit: UnitRef | None = None
        self.accept_due = self.handle_due = 0
        self.dispatch_due: int | None = None

    def due_after(self, ts: int, limit: Duration | None) -> int | None:
        """As ``Duration.after`` on the official calendar; None without a limit."""
        if limit is None:
            return None
        if limit.unit == "h":
            return self.cal.add_hours(ts, limit.amount)
        return self.cal.due_days(ts, int(limit.amount))

    def late_or(self, due: int | None, usual: int, u: float, share: float) -> int:
        """The step's time: ``usual``, or, for a ``share`` of cases (the low draws), a little
        after the deadline ``due`` (6 minutes to 2 working hours)."""
        if due is None or u >= share:
            return usual
        return self.cal.add_hours(due, 0.1 + 1.9 * u / share)

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
        """Append an event (never before the previous one); returns its time."""
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
        # 立案 is due this long after the case opens (cases.deadlines, at intake).
        file_due = self.due_after(first.ts, self.cat.file_limit)
        t = self.add(
            first.created,
            A.receive,
            S.received,
            receiver(first.channel),
            sets={"file_due_at": file_due} if file_due is not None else None,
            inc="complaint_count",
            complaint=first,
        )
        # The usual delay is randint(3 min, 1 h) from the very same draw.
        u = rng.random()
        usual = t + 3 * MINUTE + int(u * (HOUR - 3 * MINUTE + 1))
        t = self.centre(self.late_or(file_due, usual, u, LATE_FILE))
        filer = "operator" if rng.random() < 0.75 else "dispatcher"
        if not self.cat.in_remit or rng.random() < 0.01:
            reason = texts.not_filed_reason(rng, in_remit=self.cat.in_remit)
            sets = {"not_filed_reason": reason, "due_at": None}
            self.add(t, A.not_file, S.not_filed, filer, note=reason, sets=sets)
            return
        case.filed = True
        self.dispatch_due = self.due_after(t, self.cat.dispatch_limit)
        data: dict[str, Any] = {"category": self.cat.code}
        sets: dict[str, Any] = {"filed_at": t}
        if self.dispatch_due is not None:
            data["dispatch_due_at"] = iso(self.dispatch_due)
            sets["dispatch_due_at"] = self.dispatch_due
        t = self.add(t, A.file, S.filed, filer, data=data, sets=sets)
        # Dispatched within 5–55 minutes, or late for a share (one draw either way).
        u = rng.random()
        usual = t + 5 * MINUTE + int((u - LATE_DISPATCH) / (1 - LATE_DISPATCH) * 50 * MINUTE)
        t = self.dispatch_and_accept(
            self.centre(self.late_or(self.dispatch_due, usual, u, LATE_DISPATCH))
        )
        t = self.extension_or_suspension(t)
        solved, t = self.handle_and_call_back(t)
        self.close(self.centre(t + rng.randint(10 * MINUTE, 20 * HOUR)), solved)

    # -- steps

    def dispatch_and_accept(self, t: int) -> int:
        issue = self.case.issue
        right, office = self.ref.units[issue.locality.street_key]
        if office is not None and self.rng.random() < STREET_OFFICE_SHARE.get(self.cat.code, 0.12):
            right = office
        t = self.misroute(t, right)
        return self.accept(self.dispatch(t, right))

    def misroute(self, t: int, right: UnitRef) -> int:
        """Now and then dispatched to a neighbouring squadron, which sends it back (退回)."""
        rng, district_id = self.rng, self.case.issue.locality.district_id
        others = (
            [u for u in self.ref.squadrons_of_district.get(district_id, []) if u.id != right.id]
            if rng.random() < 0.04
            else []
        )
        if not others:
            return t
        t = self.dispatch(t, rng.choice(others))
        back = self.cal.add_hours(t, rng.uniform(0.1, 0.9) * max(self.cat.accept_hours, 0.5))
        # Back with the centre: a new dispatch step with its own limit (cases.service._return).
        sets: dict[str, Any] = {"unit_id": None, "due_at": None}
        self.dispatch_due = self.due_after(back, self.cat.dispatch_limit)
        if self.dispatch_due is not None:
            sets["dispatch_due_at"] = self.dispatch_due
        self.add(
            back,
            A.return_,
            S.returned,
            "unit",
            note=rng.choice(texts.RETURN_REASONS),
            sets=sets,
            inc="returned_count",
        )
        self.unit = None
        return self.centre(back + rng.randint(15 * MINUTE, 3 * HOUR))

    def dispatch(self, t: int, unit: UnitRef) -> int:
        self.accept_due = self.cal.add_hours(t, self.cat.accept_hours)
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
                "accepted_late": None,
                "handled_late": None,
            },
        )

    def accept(self, t: int) -> int:
        """Signed for within the limit, or late (and maybe urged first)."""
        rng, cal = self.rng, self.cal
        urges: list[Urge] = []
        if rng.random() < self.rates.late_accept:
            accepted = cal.add_hours(self.accept_due, rng.uniform(0.3, 12))
            urge = cal.add_hours(self.accept_due, rng.uniform(0.05, 0.25))
            if urge < accepted and rng.random() < 0.5:
                urges.append((urge, "已超过签收时限，请尽快签收。"))
        else:
            accepted = cal.add_hours(t, rng.uniform(0.05, 0.9) * self.cat.accept_hours)
        accepted = max(accepted, t + MINUTE)
        self.while_late(self.accept_due, accepted, S.dispatched, urges)
        late = accepted > self.accept_due
        return self.add(
            accepted,
            A.accept,
            S.accepted,
            "unit",
            data={"late": late},
            sets={"accepted_at": accepted, "due_at": self.handle_due, "accepted_late": late},
        )

    def while_late(self, due: int, done: int, status: str, urges: list[Urge]) -> None:
        """While a step is late: the dispatcher's urges, and what the supervision sweep (which
        runs every minute) issued — 超期 a minute after the deadline, 升级督办 to the district
        level (the rule ``escalate-district``: one working day late). In time order; no draws."""
        marks: list[tuple[int, int, str, str | None]] = [(ts, 1, A.urge, n) for ts, n in urges]
        if done > due + MINUTE:
            marks.append((due + MINUTE, 0, A.mark_overdue, None))
            escalate = self.cal.due_days(due, 1) + MINUTE
            if done > escalate:
                marks.append((escalate, 2, A.escalate, None))
        for ts, _, action, note in sorted(marks):
            if action == A.urge:
                self.add(ts, A.urge, status, "dispatcher", inc="urge_count", note=note)
            elif action == A.mark_overdue:
                self.add(ts, action, status, None, data={"rule": "overdue", "due": due})
            else:
                data = {"rule": "escalate-district", "due": due, "level": 1}
                self.add(ts, action, status, None, data=data, sets={"escalation_level": 1})

    def extension_or_suspension(self, t: int) -> int:
        rng, cat = self.rng, self.cat
        if rng.random() < EXTENSION_SHARE.get(cat.code, 0.03) and self.handle_due - t > HOUR:
            t = self.extension(t)
        if cat.handle_days >= 10 and rng.random() < 0.07:
            t = self.suspension(t)
        return t

    def extension(self, t: int) -> int:
        """The unit asks for more days; the centre mostly grants them."""
        rng = self.rng
        request = t + int(rng.uniform(0.2, 0.6) * (self.handle_due - t))
        days = rng.randint(5, 15) if self.cat.handle_days >= 10 else rng.randint(2, 7)
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
        if rng.random() >= 0.85:  # one request in seven is refused
            note = rng.choice(texts.REFUSAL_NOTES)
            sets = {"extension_requested_days": None}
            data = {"days": days}
            return self.add(
                t,
                A.refuse_extension,
                S.accepted,
                "dispatcher",
                data=data,
                note=note,
                sets=sets,
                inc="extension_refused_count",
            )
        due = self.handle_due = self.cal.due_days(self.handle_due, days)
        return self.add(
            t,
            A.approve_extension,
            S.accepted,
            "dispatcher",
            data={"days": days, "handle_due_at": iso(due)},
            sets={"extension_requested_days": None, "handle_due_at": due, "due_at": due},
            inc="extension_count",
        )

    def suspension(self, t: int) -> int:
        """挂账: a long-standing structure waits for another body's ruling."""
        rng = self.rng
        t = self.centre(t + rng.randint(DAY, 3 * DAY))
        review_day = day_of(t) + 30
        review = date_of(review_day).isoformat()
        note = rng.choice(texts.SUSPEND_NOTES)
        # As cases.service: the clock stops; due_at holds the review day's opening.
        opens = start_of(review_day) + self.cal.periods[0][0]
        sets: dict[str, Any] = {"due_at": opens, "review_on": date_of(review_day)}
        self.add(
            t,
            A.suspend,
            S.suspended,
            "dispatcher",
            data={"review_on": review},
            note=note,
            sets=sets,
        )
        t = self.centre(t + rng.randint(15 * DAY, 45 * DAY))
        note = rng.choice(texts.RESUME_NOTES)
        sets = {"due_at": self.handle_due, "review_on": None}
        self.add(t, A.resume, S.accepted, "dispatcher", note=note, sets=sets)
        return t

    def handle_and_call_back(self, t: int) -> tuple[bool, int]:
        """Reply, call back; an unsatisfied citizen sometimes gets one round of rework."""
        for round_ in range(2):
            t = self.reply(t, rework=round_ > 0)
            satisfaction, solved, t = self.callback(t, round_)
            if satisfaction != "unsatisfied" or round_ > 0 or self.rng.random() < 0.4:
                return solved, t
            t = self.rework(self.centre(t + self.rng.randint(10 * MINUTE, 2 * HOUR)))
        raise AssertionError("unreachable")  # pragma: no cover

    def callback(self, t: int, round_: int) -> tuple[str, bool, int]:
        rng = self.rng
        weights = self.rates.satisfaction if round_ == 0 else (0.45, 0.45, 0.10)
        if self.case.events[-1].data["late"]:
            weights = (weights[0] * 0.8, weights[1], weights[2] * 2)
        satisfaction = rng.pick(SATISFACTION, cumulative(list(weights)))
        # Both draws are made whatever the answer (the stream must not depend on it).
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
        return satisfaction, solved, t

    def rework(self, t: int) -> int:
        self.handle_due = self.cal.due_days(t, self.cat.handle_days)
        return self.add(
            t,
            A.rework,
            S.accepted,
            "dispatcher",
            note=self.rng.choice(texts.REWORK_NOTES),
            data={"handle_due_at": iso(self.handle_due)},
            sets={
                "handled_at": None,
                "satisfaction": None,
                "solved": None,
                "handle_due_at": self.handle_due,
                "due_at": self.handle_due,
                "handled_late": None,
                "reply_due_at": None,
            },
            inc="rework_count",
        )

    def reply(self, t: int, *, rework: bool) -> int:
        rng, due = self.rng, self.handle_due
        if rng.random() < self.rates.late_handle or due <= t:
            replied = max(due, t) + rng.randint(HOUR, 4 * DAY)
        else:
            replied = t + int(rng.uniform(0.1, 0.95) * (due - t))
        replied = max(self.daytime(replied), t + 10 * MINUTE)
        urges: list[Urge] = []
        if replied > due + 2 * HOUR and rng.random() < 0.7:
            most = max(31 * MINUTE, min(20 * HOUR, replied - due - HOUR))
            urge = due + rng.randint(30 * MINUTE, most)
            urges.append((urge, rng.choice(texts.URGE_LATE_NOTES)))
        self.while_late(due, replied, S.accepted, urges)
        assert self.unit is not None
        staff = "执法队员" if self.unit.kind == UnitKind.squadron else "工作人员"
        place, name = self.case.issue.place, self.cat.name
        reply = texts.reply_text(rng, self.cat.code, f"{self.unit.name}{staff}", place, name)
        if rework:
            reply = "返工后再次处置：" + reply
        # As cases.service: the centre answers the citizen within the category's reply limit.
        answer_by = self.cal.due_days(replied, self.cat.reply_days)
        late = replied > due
        return self.add(
            replied,
            A.reply,
            S.handled,
            "unit",
            data={"late": late, "reply_due_at": iso(answer_by)},
            sets={
                "reply_text": reply,
                "handled_at": replied,
                "due_at": answer_by,
                "reply_due_at": answer_by,
                "handled_late": late,
            },
        )

    def close(self, t: int, solved: bool) -> None:
        note = None if solved else self.rng.choice(texts.CLOSE_UNSOLVED_NOTES)
        outcome = "fixed" if solved else "not_fixed"  # "closed, not fixed" kept apart
        self.case.close_ts = self.add(
            t,
            A.close,
            S.closed,
            "dispatcher",
            note=note,
            data={"solved": solved, "outcome": outcome},
            sets={"closed_at": t, "due_at": None, "close_outcome": outcome},
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
