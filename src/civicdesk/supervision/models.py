"""Supervision notices (催办, 督办, escalations, 临期/超期 reminders): rows a unit sees in its inbox
and on the case page, each also recorded in the case history."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicdesk.db import Base


class NoticeKind(enum.StrEnum):
    due_soon = "due_soon"  # 临期提醒
    overdue = "overdue"  # 超期
    urge = "urge"  # 催办
    supervise = "supervise"  # 督办
    escalate = "escalate"  # 升级督办
    review = "review"  # 挂账复查到期
    report = "report"  # 进展报告提醒


NOTICE_LABELS = {
    NoticeKind.due_soon: "临期提醒",
    NoticeKind.overdue: "超期",
    NoticeKind.urge: "催办",
    NoticeKind.supervise: "督办",
    NoticeKind.escalate: "升级督办",
    NoticeKind.review: "挂账复查到期",
    NoticeKind.report: "进展报告提醒",
}
MANUAL = "manual"  # the rule of a notice issued by hand

_KINDS = ",".join(f"'{k.value}'" for k in NoticeKind)


class Notice(Base):
    __tablename__ = "supervision_notices"
    __table_args__ = (
        CheckConstraint(f"kind in ({_KINDS})", name="kind"),
        # Exactly once: a rule issues its notice once per occasion — the deadline for time rules
        # (a new deadline is a new occasion), the flag's time for a leader's flag, the case's
        # opening for counts. Two sweeps at once cannot both insert it. Manual notices have no
        # occasion (NULL never conflicts) and may be repeated.
        UniqueConstraint("case_id", "rule", "occasion_at"),
        Index("ix_supervision_notices_unit_issued", "unit_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(64))
    occasion_at: Mapped[datetime | None]
    # The unit the notice is addressed to (the handling unit, or the one escalated to).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    # The handling unit at the time (differs from unit_id for escalations).
    handling_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL")
    )
    level: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None]  # the case's deadline when the notice was issued
    issued_at: Mapped[datetime]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]  # the in-app channel delivered it
    read_at: Mapped[datetime | None]
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CaseMarks(Base):
    """The sweep's bookkeeping for a case, in a narrow table of its own (one row per case the
    sweep has looked at). Kept off ``cases`` on purpose: the catch-up sweep marks thousands of
    cases at once, and on the wide, heavily indexed ``cases`` table each such write (it changes
    an indexed column) rewrites an entry in every index of the table; here it touches two.
    The marks hold the deadline (``cases.due_at``) they were set for, so a new deadline starts
    unmarked with no reset. docs/benchmarks.md (Supervision) has the measurements."""

    __tablename__ = "case_marks"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # 临期 and 超期: the deadline each was set for.
    warned_due_at: Mapped[datetime | None]
    overdue_due_at: Mapped[datetime | None]
    # When the sweep must look again (urging thresholds, reports).
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    # A graded case's next progress report (its grade's cadence).
    next_report_at: Mapped[datetime | None]
    # The complaint count the count rules last saw.
    complaints_seen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
