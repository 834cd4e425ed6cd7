"""Intake of many complaints at once: the citizen inbox's drain (``portal.inbox``).

``record_complaint`` costs several milliseconds a complaint, most of it the ORM's row-by-row
unit of work and two repeat-check queries per complaint. A batch here is written set-wise: every
row checked as ``record_complaint`` checks it (``prepare``); then ``plan`` works out what needs
only reading — triage's proposals, the filing deadlines, the repeat check of the whole batch
(``repeats.service.check_many``: each complaint sees the earlier ones of the batch, as if
recorded one by one) — and ``write`` writes the cases, complaints, "receive" events and triage
suggestions by the bulk import's writer (``importing.writing.write_valid``), then the repeat
keys and links. The two may run in separate transactions (the drain on SQLite plans before it
takes the write lock; ``still_holds`` says whether the plan is still good under it).

What it writes is what ``record_complaint`` writes for the same complaints taken one at a time
(tests/portal/test_drain_batch.py compares every table). It covers complaints that open a case
of their own, which is every complaint when repeats are not joined automatically (the shipped
configuration); callers take the one-by-one path otherwise (``joins_automatically``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.cases.deadlines import FileDeadlines
from civicdesk.errors import InvalidInput
from civicdesk.intake.importing.rows import Valid
from civicdesk.intake.importing.writing import write_valid
from civicdesk.intake.models import Complaint
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.intake.service import Lookups, _area, _category, check_received_at
from civicdesk.repeats import service as repeats
from civicdesk.repeats.context import RepeatContext, load_context
from civicdesk.repeats.scoring import Decision, Facts
from civicdesk.triage import hooks as triage_hooks
from civicdesk.triage.engine import Triage


@dataclass(frozen=True)
class Written:
    case_id: int
    complaint_id: int


def prepare(
    session: Session, data: ComplaintCreate, lookups: Lookups, *, now: datetime, row: int
) -> Valid:
    """A complaint checked as ``record_complaint`` checks it (channel, time, category, area),
    ready for ``plan`` and ``write``; raises InvalidInput as it would."""
    channel = lookups.channels.get(data.channel)
    if channel is None:
        raise InvalidInput(f"未知渠道：{data.channel}", field="channel")
    if data.case_number:
        raise InvalidInput("批量受理不能并入指定案件", field="case_number")
    received_at = check_received_at(data.received_at or now, now)
    category = _category(lookups, data.category)
    area = _area(session, data.area, lookups)
    return Valid(
        row=row,
        data=data,
        channel=channel,
        category_id=category.id if category else None,
        place=lookups.placement(session, area),
        received_at=received_at,
    )


def joins_automatically(session: Session) -> bool:
    """Whether the repeat check may join a complaint to an open case by itself (then each
    complaint changes what the next one sees, and intake goes one by one)."""
    return load_context(session).auto_attach


@dataclass
class Planned:
    """A batch worked out before it is written (``plan``): what needs only reading — triage's
    proposals, the filing deadlines, the repeat check's decisions with provisional ids for the
    batch's own complaints — so that the write transaction holds its lock for the statements
    alone (on SQLite one writer at a time: the citizens' submissions wait behind it)."""

    rows: list[Valid]
    proposals: list[tuple[Triage, bool, bool]]
    file_due_at: list[datetime | None]
    facts: list[Facts] | None  # the repeat check's view of the rows (provisional ids)
    decisions: list[Decision | None]
    context: RepeatContext | None
    marker: int  # the last complaint id on record when planned


# The batch's complaints and cases before they have ids: after every real id (Facts.order).
PROVISIONAL = 2**62


def plan(
    session: Session, rows: Sequence[Valid], *, now: datetime, repeat_check: bool = True
) -> Planned:
    """Triage, deadlines and the repeat check of ``rows`` (reads only)."""
    rows = list(rows)
    proposals = triage_hooks.propose_many(session, rows)  # fills category and place
    deadlines = FileDeadlines.of(session)
    file_due_at = [deadlines.due(item.category_id, item.received_at) for item in rows]
    facts, decisions, ctx = None, [], None
    if repeat_check and rows:
        ctx = load_context(session)
        facts = [
            _facts(ctx, item, PROVISIONAL + n, PROVISIONAL + n, now) for n, item in enumerate(rows)
        ]
        decisions, ctx = repeats.check_many(session, facts, now=now)
    return Planned(rows, proposals, file_due_at, facts, decisions, ctx, last_complaint(session))


def last_complaint(session: Session) -> int:
    return int(session.scalar(select(func.max(Complaint.id))) or 0)


def still_holds(session: Session, planned: Planned) -> bool:
    """No complaint was recorded since the batch was planned (by another channel, in the
    moment between planning and the write lock): its repeat check saw what is on record."""
    return last_complaint(session) == planned.marker


def write(session: Session, planned: Planned, *, now: datetime, case_prefix: str) -> list[Written]:
    """Write a planned batch: the cases, complaints, history and suggestions, then the repeat
    keys and links with the batch's real ids."""
    written = write_valid(
        session,
        planned.rows,
        batch_id=None,
        actor=None,
        now=now,
        case_prefix=case_prefix,
        proposals=planned.proposals,
        file_due_at=planned.file_due_at,
    )
    if planned.facts is not None and planned.context is not None:
        real = {
            PROVISIONAL + n: ids for n, ids in enumerate(written)
        }  # provisional id → (case id, complaint id)
        xs = [
            replace(x, id=complaint_id, case_id=case_id)
            for x, (case_id, complaint_id) in zip(planned.facts, written, strict=True)
        ]
        decisions = [
            None if d is None else _real(d, real, x.id)
            for d, x in zip(planned.decisions, xs, strict=True)
        ]
        repeats.record_many(session, xs, decisions, planned.context, now=now)
    return [Written(case_id, complaint_id) for case_id, complaint_id in written]


def _real(decision: Decision, real: dict[int, tuple[int, int]], complaint_id: int) -> Decision:
    earlier = decision.earlier
    if earlier.id in real:  # an earlier complaint of the same batch
        case_id, earlier_id = real[earlier.id]
        earlier = replace(earlier, id=earlier_id, case_id=case_id)
    join = decision.join_case
    if join is not None and join >= PROVISIONAL:
        join = real[join][0]
    return replace(decision, complaint_id=complaint_id, earlier=earlier, join_case=join)


def _facts(ctx: RepeatContext, item: Valid, id_: int, case_id: int, now: datetime) -> Facts:
    return repeats.intake_facts(
        ctx, item.data, id=id_, created=now, received=item.received_at,
        channel_id=item.channel.id, category_id=item.category_id, place=item.place,
        case_id=case_id,
    )  # fmt: skip
