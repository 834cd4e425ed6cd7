"""What the measures count, as SQL conditions on ``complaints`` (reports.summary uses them):
a confirmed duplicate intake is not a complaint of its own (merged, counted once); a repeat
complaint is one with a confirmed repeat link, unless a person judged its caller malicious
(kept apart, see measures.malicious)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select

from civicdesk.intake.models import Complaint
from civicdesk.repeats.models import CallerReview, RepeatLink
from civicdesk.repeats.scoring import DUPLICATE, REPEAT_KINDS


def counted() -> ColumnElement[bool]:
    """Not a confirmed duplicate intake."""
    duplicates = select(RepeatLink.complaint_id).where(
        RepeatLink.kind == DUPLICATE, RepeatLink.status == "confirmed"
    )
    return Complaint.id.not_in(duplicates)


def malicious_caller() -> ColumnElement[bool]:
    """From a caller a person judged possibly malicious."""
    judged = select(CallerReview.caller).where(CallerReview.status == "malicious")
    return or_(
        Complaint.complainant_phone.in_(judged),
        and_(Complaint.complainant_phone.is_(None), Complaint.complainant_name.in_(judged)),
    )


def repeat(kinds: tuple[str, ...] = REPEAT_KINDS) -> ColumnElement[bool]:
    """A repeat complaint of one of ``kinds`` (confirmed), not from a malicious caller."""
    linked = select(RepeatLink.complaint_id).where(
        RepeatLink.kind.in_(kinds), RepeatLink.status == "confirmed"
    )
    return and_(Complaint.id.in_(linked), ~malicious_caller())
