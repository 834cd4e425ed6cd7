"""Queries of the triage tables: a case's suggestions, and the quality of recent decisions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.intake.models import Complaint
from civicdesk.taxonomy.models import Category
from civicdesk.triage.models import Suggestion


def case_suggestions(session: Session, case_id: int) -> list[tuple[Complaint, Suggestion]]:
    rows = session.execute(
        select(Complaint, Suggestion)
        .join(Suggestion, Suggestion.complaint_id == Complaint.id)
        .where(Complaint.case_id == case_id)
        .order_by(Complaint.received_at, Complaint.id)
    ).all()
    return [(c, s) for c, s in rows]


@dataclass
class Quality:
    since: datetime
    decided: int = 0
    corrected: int = 0
    pending: int = 0
    low_confidence: int = 0
    # suggested category name → final category name → count
    matrix: dict[str, Counter[str]] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    # (suggested, final, count), most frequent first
    corrections: list[tuple[str, str, int]] = field(default_factory=list)
    versions: Counter[str] = field(default_factory=Counter)

    @property
    def accuracy(self) -> float | None:
        return (self.decided - self.corrected) / self.decided if self.decided else None


def quality(session: Session, *, since: datetime) -> Quality:
    """The confusion of suggested against confirmed categories on the suggestions decided since
    ``since``, and the most frequent corrections."""
    names = dict(session.execute(select(Category.id, Category.name)).all())
    result = Quality(since=since)
    rows = session.execute(
        select(
            Suggestion.category_id,
            Suggestion.final_category_id,
            Suggestion.status,
            Suggestion.model_version,
            Suggestion.low_confidence,
        ).where(Suggestion.decided_at >= since)
    ).all()
    labels: set[str] = set()
    for suggested, final, status, version, low in rows:
        before = names.get(suggested, "（未分类）") if suggested else "（未分类）"
        after = names.get(final, "（未分类）") if final else "（未分类）"
        result.matrix.setdefault(before, Counter())[after] += 1
        labels |= {before, after}
        result.decided += 1
        result.corrected += status == "corrected"
        result.low_confidence += bool(low)
        result.versions[version] += 1
        if before != after:
            result.corrections.append((before, after, 0))
    result.corrections = [
        (a, b, n) for (a, b), n in Counter((a, b) for a, b, _ in result.corrections).most_common(10)
    ]
    result.labels = sorted(labels)
    result.pending = (
        session.scalar(
            select(func.count())
            .select_from(Suggestion)
            .where(Suggestion.status == "pending", Suggestion.created_at >= since)
        )
        or 0
    )
    return result
