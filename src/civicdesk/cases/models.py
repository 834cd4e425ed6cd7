"""Cases (one problem at one place being worked on) and their append-only history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.core.workflow import CaseStatus
from civicdesk.db import Base

_STATUSES = ",".join(f"'{s.value}'" for s in CaseStatus)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(f"status in ({_STATUSES})", name="status"),
        CheckConstraint(
            "satisfaction is null or satisfaction in ('satisfied','basically','unsatisfied')",
            name="satisfaction",
        ),
        Index("ix_cases_status_due", "status", "due_at"),
        CheckConstraint(
            "close_outcome is null or close_outcome in ('fixed','not_fixed')",
            name="close_outcome",
        ),
        Index("ix_cases_status_complaints", "status", "complaint_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="RESTRICT"))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("areas.id", ondelete="RESTRICT"), index=True
    )
    street_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="RESTRICT"))
    address: Mapped[str | None] = mapped_column(String(300))
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(index=True)
    filed_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Deadlines are stored when work is assigned, never recomputed on read.
    # 立案: set when the case opens; 派遣: set when it is filed (null: no limit configured, or
    # a row written before the deadlines were stored).
    file_due_at: Mapped[datetime | None]
    dispatch_due_at: Mapped[datetime | None]
    accept_due_at: Mapped[datetime | None]
    handle_due_at: Mapped[datetime | None]
    # The deadline of the step the case is waiting on now (null when nobody owes a step).
    due_at: Mapped[datetime | None]
    not_filed_reason: Mapped[str | None] = mapped_column(Text)
    reply_text: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    solved: Mapped[bool | None]
    complaint_count: Mapped[int] = mapped_column(Integer, default=1)
    returned_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    urge_count: Mapped[int] = mapped_column(Integer, default=0)
    # A pending extension request: working days asked for (null when none is pending).
    extension_requested_days: Mapped[int | None] = mapped_column(Integer)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"))

    # ---- supervision and feedback (issue 5; see civicdesk.supervision) ----
    # The answer to the citizen (答复) is due this long after the unit's result.
    reply_due_at: Mapped[datetime | None]
    # 挂账: the day the suspension is reviewed (due_at holds its start while suspended).
    review_on: Mapped[date | None]
    # The unit that returned the case (退回), kept while the centre decides.
    returned_by_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL")
    )
    # 分级督办: the grade's code (supervision.yaml), set by a supervisor.
    grade: Mapped[str | None] = mapped_column(String(32))
    grade_set_at: Mapped[datetime | None]
    # Public attention and difficulty, the inputs of the grade suggestion.
    media_attention: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    leader_attention: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    leader_flagged_at: Mapped[datetime | None]
    departments_involved: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    long_standing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    needs_demolition: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The sweep's own bookkeeping (临期/超期 marks, when to look again, the next report) is in
    # supervision.models.CaseMarks, a narrow side table. The escalation level stays here: the
    # board and the case page show it.
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # What the assessment reads: counts and late flags of each step.
    supervise_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    return_refused_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    extension_refused_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    accepted_late: Mapped[bool | None]
    handled_late: Mapped[bool | None]
    # 结案 "fixed" or "closed, not fixed" (the callback said not solved and the centre closed it).
    close_outcome: Mapped[str | None] = mapped_column(String(16))


class CaseEvent(Base):
    """One row per action on a case: who, when, what, why. Never updated, never deleted."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
