"""Intake of many complaints at once: the citizen inbox's drain (``portal.inbox``).

``record_complaint`` costs several milliseconds a complaint, most of it the ORM's row-by-row
unit of work and two repeat-check queries per complaint. A batch here is written set-wise: every
row checked as ``record_complaint`` checks it (``prepare``), the cases, complaints, "receive"
events and triage suggestions by the bulk import's writer (``importing.writing.write_valid``),
then the repeat check of the whole batch (``repeats.service.check_many``: each complaint sees
the earlier ones of the batch, as if recorded one by one) and its keys and links.

What it writes is what ``record_complaint`` writes for the same complaints taken one at a time
(tests/portal/test_drain_batch.py compares every table). It covers complaints that open a case
of their own, which is every complaint when repeats are not joined automatically (the shipped
configuration); callers take the one-by-one path otherwise (``joins_automatically``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from civicdesk.errors import InvalidInput
from civicdesk.intake.importing.rows import Valid
from civicdesk.intake.importing.writing import write_valid
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.intake.service import Lookups, _area, _category, check_received_at
from civicdesk.repeats import service as repeats
from civicdesk.repeats.context import load_context


@dataclass(frozen=True)
class Written:
    case_id: int
    complaint_id: int


def prepare(
    session: Session, data: ComplaintCreate, lookups: Lookups, *, now: datetime, row: int
) -> Valid:
    """A complaint checked as ``record_complaint`` checks it (channel, time, category, area),
    ready for ``record_batch``; raises InvalidInput as it would."""
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


def record_batch(
    session: Session,
    rows: Sequence[Valid],
    *,
    now: datetime,
    case_prefix: str,
    repeat_check: bool = True,
) -> list[Written]:
    """Record ``rows`` (from ``prepare``, in the order they came), each opening its case:
    triage, the case, the complaint, its history, and the repeat check. In the caller's
    transaction; returns each row's case and complaint."""
    written = write_valid(
        session, rows, batch_id=None, actor=None, now=now, case_prefix=case_prefix
    )
    if repeat_check and rows:
        ctx = load_context(session)
        xs = [
            ctx.facts(
                id=complaint_id,
                created=now,
                received=item.received_at,
                channel_id=item.channel.id,
                phone=item.data.complainant_phone,
                name=item.data.complainant_name,
                title=item.data.title,
                text=item.data.text,
                address=item.data.address,
                lon=item.data.longitude,
                lat=item.data.latitude,
                category=item.category_id,
                area=item.place.area_id,
                case_id=case_id,
                district=item.place.district_id,
            )
            for item, (case_id, complaint_id) in zip(rows, written, strict=True)
        ]
        decisions, ctx = repeats.check_many(session, xs, now=now)
        repeats.record_many(session, xs, decisions, ctx, now=now)
    return [Written(case_id, complaint_id) for case_id, complaint_id in written]
