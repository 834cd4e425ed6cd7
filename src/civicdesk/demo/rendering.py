"""The planned history made into rows: texts, ids and case numbers, and each case's events
replayed up to the end of the history into the state its row holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.core.workflow import CaseAction, CaseStatus
from civicdesk.demo import texts
from civicdesk.demo.calendar_fast import DAY, date_of, day_of
from civicdesk.demo.draws import FastRandom
from civicdesk.demo.logins import Actors
from civicdesk.demo.notices import ACTIONS as NOTICE_ACTIONS
from civicdesk.demo.notices import NoticeRows
from civicdesk.demo.planned import INHERIT, Ev, PlannedCase, PlannedComplaint, receiver
from civicdesk.intake.models import Complaint

CASE_FIELDS = (
    "file_due_at",
    "dispatch_due_at",
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
    "status": CaseStatus.received.value,
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
    # supervision and feedback (issue 5), as the actions of cases.service leave them
    "reply_due_at": None,
    "review_on": None,
    "accepted_late": None,
    "handled_late": None,
    "close_outcome": None,
    "grade": None,
    "grade_set_at": None,
    "supervise_count": 0,
    "extension_refused_count": 0,
    "escalation_level": 0,
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

EventItem = tuple[int, int, int, tuple[Any, ...]]  # time, case id, order in case, the row


@dataclass
class Rows:
    complaints: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    events: list[tuple[Any, ...]]  # in EVENT_COLUMNS order
    planted: list[dict[str, Any]]
    notices: list[dict[str, Any]]  # supervision notices (demo.notices)


def render(
    session: Session,
    rng: FastRandom,
    *,
    complaints: list[PlannedComplaint],
    cases: list[PlannedCase],
    now: int,
    prefix: str,
    actors: Actors,
) -> Rows:
    """``complaints`` and ``cases`` in the order of their first complaint."""
    write_texts(rng, complaints)
    next_event, numbers = assign_ids(session, rng, complaints, cases, prefix)
    notices = NoticeRows.load(session, now, actors.by_unit)
    case_rows, event_rows = replay(
        cases,
        now=now,
        numbers=numbers,
        actors=actors,
        first_event_id=next_event,
        notices=notices,
    )
    return Rows(
        [complaint_row(c, actors) for c in complaints],
        case_rows,
        event_rows,
        [
            {"complaint_id": c.id, "original_id": c.issue.complaints[0].id, "kind": c.kind}
            for c in complaints
            if c.kind
        ],
        notices.rows,
    )


def write_texts(rng: FastRandom, complaints: list[PlannedComplaint]) -> None:
    for c in complaints:
        issue = c.issue
        code, name, place = issue.category.code, issue.category.name, issue.place
        if c.kind is None:
            issue.template, c.text = texts.complaint_text(rng, code, name, place)
        else:
            earlier = [p for p in issue.complaints if p.ts < c.ts]
            mine = [p for p in earlier if p.person == c.person] or earlier
            said = {p.text for p in earlier}
            days = (c.ts - mine[-1].ts) // DAY
            for _ in range(5):  # similar, never word for word the same
                c.text = texts.repeat_text(
                    rng, c.kind, code, name, place, template=issue.template, days=days
                )
                if c.text not in said:
                    break
            c.variant = rng.choice((0, 0, 0, 1, 2))
        c.title = texts.title(rng, code, name, place, c.text)


def assign_ids(
    session: Session,
    rng: FastRandom,
    complaints: list[PlannedComplaint],
    cases: list[PlannedCase],
    prefix: str,
) -> tuple[int, dict[int, str]]:
    """Ids after what the database holds, upstream ticket numbers, case numbers per day;
    returns the first event id and the case numbers by case id."""
    next_complaint = (session.scalar(select(func.max(Complaint.id))) or 0) + 1
    next_case = (session.scalar(select(func.max(Case.id))) or 0) + 1
    next_event = (session.scalar(select(func.max(CaseEvent.id))) or 0) + 1
    sequences: dict[tuple[int, int], int] = {}
    for offset, c in enumerate(complaints):
        c.id = next_complaint + offset
        if c.channel.forwarded:
            key = (c.channel.id, date_of(day_of(c.ts)).year)
            seq = sequences.get(key, rng.randint(1, 500)) + rng.randint(3, 60)
            sequences[key] = seq
            c.upstream_ref = f"{_ref_prefix(c.channel.code)}-{key[1]}-{seq:07d}"
    taken = _taken_numbers(session, prefix)
    numbers: dict[int, str] = {}
    per_day: dict[int, int] = {}
    for offset, case in enumerate(cases):
        case.id = next_case + offset
        day = day_of(case.complaints[0].ts)
        head = f"{prefix}{date_of(day):%Y%m%d}"
        seq = per_day.get(day, taken.get(head, 0)) + 1
        per_day[day] = seq
        numbers[case.id] = f"{head}{seq:05d}"
    return next_event, numbers


def _taken_numbers(session: Session, prefix: str) -> dict[str, int]:
    """Numbers already used per day (a database that had cases before the demo)."""
    taken: dict[str, int] = {}
    for number in session.scalars(select(Case.number).where(Case.number.like(f"{prefix}%"))):
        head, seq = number[:-5], number[-5:]
        if seq.isdigit():
            taken[head] = max(taken.get(head, 0), int(seq))
    return taken


def _ref_prefix(code: str) -> str:
    """Ticket numbers of forwarding hotlines: "12345-2025-0001234"; named channels abbreviate."""
    return code if code.isdigit() else code.split("_")[0][:4].upper()


def replay(
    cases: list[PlannedCase],
    *,
    now: int,
    numbers: dict[int, str],
    actors: Actors,
    first_event_id: int,
    notices: NoticeRows,
) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """Each case's events before ``now`` replayed into its row (as the actions of
    ``cases.service`` would have left it) and its supervision notices; the event rows numbered
    in time order."""
    case_rows: list[dict[str, Any]] = []
    events: list[EventItem] = []
    for case in cases:
        state = dict(INITIAL_STATE)
        subject = f"{numbers[case.id]}「{case.complaints[0].title}」"
        _replay_case(case, state, now, actors, events, notices, subject)
        state["status"] = PLAIN[state["status"]]
        case_rows.append(_case_row(case, numbers[case.id], state))
    events.sort(key=_event_order)
    rows = [(event_id, *item[3]) for event_id, item in enumerate(events, first_event_id)]
    return case_rows, rows


def _replay_case(
    case: PlannedCase,
    state: dict[str, Any],
    now: int,
    actors: Actors,
    events: list[EventItem],
    notices: NoticeRows,
    subject: str,
) -> None:
    by_role, by_unit, append = actors.by_role, actors.by_unit, events.append
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
            actor_id = by_unit.get(unit_id) if unit_id is not None else None
        else:
            actor_id = by_role.get(ev.actor) if ev.actor else None
        data = ev.data
        if ev.complaint is not None:
            data = {"complaint_id": ev.complaint.id, "channel": ev.complaint.channel.code}
        elif ev.action in NOTICE_ACTIONS:
            data, unit_id = notices.add(
                case_id=case_id,
                subject=subject,
                action=ev.action,
                ts=ev.ts,
                status=ev.after,
                unit_id=unit_id,
                due_at=state["due_at"],
                actor_id=actor_id,
                note=ev.note,
                data=data,
            )
        row = (case_id, ev.ts, actor_id, PLAIN[ev.action], PLAIN[ev.before], PLAIN[ev.after])
        append((ev.ts, case_id, order, (*row, ev.note, data, unit_id)))


def _event_time(ev: Ev) -> int:
    return ev.ts


def _event_order(item: EventItem) -> tuple[int, int, int]:
    return item[0], item[1], item[2]


def _case_row(case: PlannedCase, number: str, state: dict[str, Any]) -> dict[str, Any]:
    first, issue = case.complaints[0], case.issue
    row = {
        "id": case.id,
        "number": number,
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


def complaint_row(c: PlannedComplaint, actors: Actors) -> dict[str, Any]:
    issue = c.issue
    recorder = receiver(c.channel)
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
        "created_by_id": actors.by_role[recorder] if recorder else None,
    }
