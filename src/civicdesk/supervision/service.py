"""Supervision reads and small actions: a case's grade suggestion with its reasons, the board,
a unit's notices and marking them read. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.cases.models import Case
from civicdesk.config.policies import supervision_policy
from civicdesk.core.calendar import WorkCalendar
from civicdesk.errors import NotFound, PermissionDenied
from civicdesk.supervision import repository as repo
from civicdesk.supervision import rules
from civicdesk.supervision.models import Notice
from civicdesk.supervision.policy import SupervisionPolicy


def grade_facts(session: Session, case: Case) -> rules.GradeFacts:
    complaints, people = repo.complainants(session, case.id)
    complaints = max(complaints, case.complaint_count)
    return rules.GradeFacts(
        complaints=complaints,
        complainants=max(1, people),
        repeats=max(0, complaints - max(1, people)),
        media_attention=case.media_attention,
        leader_attention=case.leader_attention,
        departments=case.departments_involved,
        long_standing=case.long_standing,
        needs_demolition=case.needs_demolition,
    )


def suggest(
    session: Session, case: Case, policy: SupervisionPolicy | None = None
) -> rules.GradeSuggestion:
    """The grade the configuration suggests for the case now, with the reasons."""
    policy = policy or supervision_policy(session)
    if policy.doc is None:
        return rules.GradeSuggestion(None, 0.0, ())
    return rules.suggest_grade(
        grade_facts(session, case), policy.doc.suggestion, list(policy.grades)
    )


@dataclass
class Board:
    counts: dict[str, int]
    lists: dict[str, list[Case]]
    by_unit: list[dict[str, Any]]
    notices: list[Notice]
    bounds: dict[str, datetime] = field(default_factory=dict)


BOARD_LISTS = ("overdue", "due_soon", "escalated", "review_due", "graded")


def board(session: Session, f: repo.BoardFilter, *, now: datetime, calendar: WorkCalendar) -> Board:
    """What a dispatcher watches: due soon, overdue, escalated, suspensions to review, graded
    cases; per unit; the latest notices."""
    bounds = rules.warning_bounds(supervision_policy(session), calendar, now)
    return Board(
        counts=repo.board_counts(session, f, now=now, bounds=bounds),
        lists={
            name: repo.board_list(session, f, name, now=now, bounds=bounds) for name in BOARD_LISTS
        },
        by_unit=repo.counts_by_unit(session, f, now=now, bounds=bounds),
        notices=repo.recent_notices(session, f),
        bounds=bounds,
    )


def mark_read(session: Session, notice_id: int, *, user: User, now: datetime) -> Notice:
    """A unit acknowledges a notice (its own unit's only; the centre any)."""
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(f"通知 {notice_id} 不存在")
    if user.role == Role.unit_staff and notice.unit_id != user.unit_id:
        raise PermissionDenied("该通知不是发给本单位的")
    if notice.read_at is None:
        session.execute(
            update(Notice)
            .where(Notice.id == notice.id, Notice.read_at.is_(None))
            .values(read_at=now, read_by_id=user.id)
        )
        session.refresh(notice)
    return notice
