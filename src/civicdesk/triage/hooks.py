"""Triage at intake: what ``intake.service.record_complaint`` and the bulk import call.

Before the case is opened, ``propose`` fills what the operator left empty: the category when the
classifier is sure enough (below the configured confidence it stays empty and is flagged), the
area when the locator resolved one. After the complaint is written, ``keep`` stores the
suggestion with the model version, so that the operator can confirm or correct it and every
correction becomes training data. ``propose_many``/``keep_many`` do the same for a bulk import
in one pass of the engine (the bulk path must give exactly the rows record_complaint gives).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from civicdesk.db import session_memo
from civicdesk.intake.models import Complaint
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.org.models import Area
from civicdesk.org.service import Placement
from civicdesk.taxonomy.models import Category
from civicdesk.triage import service
from civicdesk.triage.engine import Triage
from civicdesk.triage.models import Suggestion


@dataclass(frozen=True)
class Proposal:
    category: Category | None
    area: Area | None
    result: Triage
    applied: bool  # triage filled the category or the area
    given: bool = False  # the category came with the complaint: a person's decision


def _fills(result: Triage, *, has_category: bool, has_area: bool) -> tuple[str | None, bool, bool]:
    """(category code to fill, whether to fill the area) and whether anything was filled."""
    c = result.classification
    category = c.category if not has_category and c.category and not c.low_confidence else None
    area = not has_area and result.location.area is not None
    return category, area, bool(category) or area


def propose(
    session: Session, data: ComplaintCreate, *, category: Category | None, area: Area | None
) -> Proposal:
    result = service.suggest(
        session,
        title=data.title,
        text=data.text,
        address=data.address,
        area=area.code if area is not None else None,
        longitude=data.longitude,
        latitude=data.latitude,
    )
    code, fill_area, applied = _fills(
        result, has_category=category is not None, has_area=area is not None
    )
    given = category is not None
    if code is not None:
        category = _category_by_code(session, code)
    if fill_area and result.location.area is not None:
        area = session.get(Area, result.location.area.id)
    return Proposal(category, area, result, applied, given)


def _category_by_code(session: Session, code: str) -> Category | None:
    """A category by code, remembered for the session (a drain batch, a request): the
    categories do not change under an intake."""
    memo: dict[str, Category | None] = session.info.setdefault("civicdesk_category_by_code", {})
    if code not in memo:
        memo[code] = session.scalar(select(Category).where(Category.code == code))
    return memo[code]


def keep(
    session: Session,
    complaint: Complaint,
    proposal: Proposal,
    *,
    now: datetime,
    actor_id: int | None = None,
) -> None:
    given = (
        (proposal.category.id, complaint.area_id, actor_id)
        if proposal.given and proposal.category is not None
        else None
    )
    service.record(
        session, complaint, proposal.result, applied=proposal.applied, now=now, given=given
    )


def propose_many(session: Session, items: Sequence[Any]) -> list[tuple[Triage, bool, bool]]:
    """Bulk import: fill ``category_id`` and ``place`` of each row (``importing.rows.Valid``) as
    ``propose`` would, with one pass of the engine over the whole chunk."""
    engine = service.engine(session)
    category_ids, area_codes = _codes(session)
    results = engine.triage_many(
        [i.data.title for i in items],
        [i.data.text for i in items],
        [i.data.address for i in items],
        areas=[area_codes.get(i.place.area_id) if i.place.area_id else None for i in items],
    )
    out = []
    for item, result in zip(items, results, strict=True):
        result = service.with_coordinates(engine, result, item.data.longitude, item.data.latitude)
        given = item.category_id is not None
        code, fill_area, applied = _fills(
            result, has_category=given, has_area=item.place.area_id is not None
        )
        if code is not None:
            item.category_id = category_ids.get(code)
        location = result.location
        if fill_area and location.area is not None:
            item.place = Placement(
                location.area.id,
                location.district.id if location.district else None,
                location.street.id if location.street else None,
            )
        out.append((result, applied, given))
    return out


def _codes(session: Session) -> tuple[dict[str, int], dict[int, str]]:
    """Category ids by code and area codes by id (kept by a session that reuses look-ups)."""

    def read() -> tuple[dict[str, int], dict[int, str]]:
        return (
            {code: id_ for id_, code in session.execute(select(Category.id, Category.code))},
            dict(session.execute(select(Area.id, Area.code)).all()),
        )

    return session_memo(session, "civicdesk_triage_codes", read)


def keep_many(
    session: Session,
    items: Sequence[Any],
    complaint_ids: Sequence[int],
    proposals: Sequence[tuple[Triage, bool, bool]],
    *,
    now: datetime,
    actor_id: int | None,
) -> None:
    rows = []
    for item, complaint_id, (result, applied, given) in zip(
        items, complaint_ids, proposals, strict=True
    ):
        decided = (item.category_id, item.place.area_id, actor_id) if given else None
        rows.append(
            service.suggestion_values(
                session, complaint_id, result, applied=applied, now=now, given=decided
            )
        )
    if rows:
        session.execute(insert(Suggestion), rows)
