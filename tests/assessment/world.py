"""Cases and complaints in a known state, written as rows (the state each lifecycle step leaves,
see cases.service), so that every measure can be computed by hand in the tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case
from civicdesk.clock import SHANGHAI
from civicdesk.intake.models import Channel, Complaint
from civicdesk.org.models import Area, Unit
from civicdesk.repeats.models import RepeatLink
from civicdesk.taxonomy.models import Category
from tests import builders as b

_numbers = itertools.count(1)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@dataclass
class World:
    session: Session
    shangcheng: Area  # 上城区
    xihu: Area  # 西湖区
    qingbo: Area  # a street of 上城
    xixi: Area  # 西溪街道 (西湖)
    unit: Unit
    other_unit: Unit
    hot: Category  # 无证摊贩, a hot-spot category
    cold: Category  # a leaf category that is not a hot spot
    channel: Channel
    other_channel: Channel
    cases: list[Case] = field(default_factory=list)

    def case(
        self,
        at: str,
        *,
        status: str = "closed",
        street: Area | None = None,
        category: Category | None = None,
        unit: Unit | bool | None = True,
        complaints: int = 1,
        filed: bool = True,
        file_late: bool | None = False,
        dispatched: bool = True,
        dispatch_late: bool | None = False,
        accepted: bool = True,
        accepted_late: bool | None = False,
        handled: bool = True,
        handled_late: bool | None = False,
        handle_due: str | None = None,
        closed_in_time: bool = True,
        satisfaction: str | None = None,
        outcome: str | None = None,
        rework: int = 0,
        returned: int = 0,
        extended: int = 0,
        channel: Channel | None = None,
    ) -> tuple[Case, list[Complaint]]:
        """A case opened at local time ``at`` with ``complaints`` complaints, one per hour.

        Filed 10 minutes after opening, dispatched 10 minutes later. ``file_late`` and
        ``dispatch_late``: the stored deadline is 5 minutes (late) or an hour (in time) after
        the step's start; None stores no deadline (an old import)."""
        opened = local(at)
        filed_at = opened + timedelta(minutes=10) if filed else None
        street = street or self.qingbo
        category = category or self.hot
        chosen_unit = self.unit if unit is True else (unit or None)
        closed = status == "closed"
        case = Case(
            number=f"T{next(_numbers):08d}",
            status=status,
            title="测试案件",
            category_id=category.id,
            district_id=street.parent_id,
            street_id=street.id,
            area_id=street.id,
            unit_id=chosen_unit.id if chosen_unit and dispatched else None,
            opened_at=opened,
            filed_at=filed_at,
            file_due_at=_due(opened, file_late),
            dispatch_due_at=_due(filed_at, dispatch_late) if filed_at else None,
            dispatched_at=opened + timedelta(minutes=20) if dispatched else None,
            accepted_at=opened + timedelta(hours=1) if accepted else None,
            accepted_late=accepted_late if accepted else None,
            handle_due_at=local(handle_due) if handle_due else opened + timedelta(days=5),
            handled_at=opened + timedelta(days=2) if handled else None,
            handled_late=handled_late if handled else None,
            reply_due_at=opened + timedelta(days=3) if handled else None,
            closed_at=(
                opened + timedelta(days=2, hours=2 if closed_in_time else 30) if closed else None
            ),
            satisfaction=satisfaction,
            close_outcome=(outcome or "fixed") if closed else None,
            complaint_count=complaints,
            rework_count=rework,
            returned_count=returned,
            extension_count=extended,
            not_filed_reason="不属于城管职责" if status == "not_filed" else None,
        )
        self.session.add(case)
        self.session.flush()
        rows = [
            self.complaint(
                opened + timedelta(hours=i),
                street=street,
                category=category,
                case=case,
                channel=channel,
            )
            for i in range(complaints)
        ]
        self.cases.append(case)
        return case, rows

    def complaint(
        self,
        at: datetime | str,
        *,
        street: Area | None = None,
        category: Category | None = None,
        case: Case | None = None,
        channel: Channel | None = None,
        phone: str = "13800001111",
    ) -> Complaint:
        received = local(at) if isinstance(at, str) else at
        street = street or self.qingbo
        complaint = Complaint(
            channel_id=(channel or self.channel).id,
            received_at=received,
            created_at=received,
            text="测试投诉",
            complainant_phone=phone,
            district_id=street.parent_id,
            street_id=street.id,
            area_id=street.id,
            category_id=(category or self.hot).id,
            case_id=case.id if case else None,
        )
        self.session.add(complaint)
        self.session.flush()
        return complaint

    def link(self, complaint: Complaint, earlier: Complaint, kind: str) -> RepeatLink:
        link = RepeatLink(
            complaint_id=complaint.id,
            earlier_id=earlier.id,
            kind=kind,
            detected_kind=kind,
            score=0.95,
            status="confirmed",
            source="online",
            created_at=complaint.received_at,
            received_at=complaint.received_at,
        )
        self.session.add(link)
        self.session.flush()
        return link


def _due(start: datetime, late: bool | None) -> datetime | None:
    if late is None:
        return None
    return start + (timedelta(minutes=5) if late else timedelta(hours=1))


def make_world(session: Session) -> World:
    categories = {c.code: c for c in session.scalars(select(Category))}
    parents = {c.parent_id for c in categories.values() if c.parent_id is not None}
    cold = next(
        c
        for c in sorted(categories.values(), key=lambda c: c.id)
        if not c.hotspot
        and c.id not in parents
        and c.parent_id is not None
        and not categories_by_id(categories)[c.parent_id].hotspot
    )
    shangcheng = b.area_by_name(session, "上城区")
    qingbo = session.scalars(
        select(Area).where(Area.parent_id == shangcheng.id).order_by(Area.sort_order, Area.id)
    ).first()
    assert qingbo is not None
    channels = session.scalars(select(Channel).order_by(Channel.sort_order, Channel.id)).all()
    units = session.scalars(select(Unit).where(Unit.kind == "squadron").order_by(Unit.id)).all()
    return World(
        session=session,
        shangcheng=shangcheng,
        xihu=b.area_by_name(session, "西湖区"),
        qingbo=qingbo,
        xixi=session.scalars(select(Area).where(Area.code == b.XIXI_STREET)).one(),
        unit=units[0],
        other_unit=units[1],
        hot=categories["street_vendor"],
        cold=cold,
        channel=channels[0],
        other_channel=channels[1],
    )


def categories_by_id(categories: dict[str, Category]) -> dict[int, Category]:
    return {c.id: c for c in categories.values()}
