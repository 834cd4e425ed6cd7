"""Supervision as a given user sees it: notices with names, a case's panel, the board."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicdesk.cases.models import Case
from civicdesk.cases.presenter import Names, summary
from civicdesk.cases.schemas import CaseSummary
from civicdesk.config.policies import supervision_policy
from civicdesk.supervision import limits as time_limits
from civicdesk.supervision import repository as repo
from civicdesk.supervision import service
from civicdesk.supervision.models import MANUAL, NOTICE_LABELS, Notice, NoticeKind
from civicdesk.supervision.schemas import (
    BoardRead,
    CaseSupervisionRead,
    GradeSuggestionRead,
    NoticeRead,
    StepLimitRead,
    UnitLoadRead,
)
from civicdesk.taxonomy.models import Category

STEP_NAMES = {"accept": "签收", "handle": "处置", "reply": "答复"}


def notices(session: Session, rows: list[Notice], names: Names) -> list[NoticeRead]:
    cases = {c.id: c for c in (session.get(Case, n.case_id) for n in rows) if c is not None}
    out = []
    for n in rows:
        case = cases[n.case_id]
        unit = names.units.get(n.unit_id) if n.unit_id else None
        handling = names.units.get(n.handling_unit_id) if n.handling_unit_id else None
        out.append(
            NoticeRead(
                id=n.id,
                case_number=case.number,
                case_title=case.title,
                kind=n.kind,
                kind_name=NOTICE_LABELS[NoticeKind(n.kind)],
                rule=n.rule,
                manual=n.rule == MANUAL,
                unit=unit.code if unit else None,
                unit_name=unit.name if unit else None,
                handling_unit_name=handling.name if handling else None,
                level=n.level,
                due_at=n.due_at,
                issued_at=n.issued_at,
                issued_by=names.users.get(n.issued_by_id) if n.issued_by_id else None,
                text=n.text,
                delivered_at=n.delivered_at,
                read_at=n.read_at,
            )
        )
    return out


_CASE_FIELDS = (
    "media_attention",
    "leader_attention",
    "departments_involved",
    "long_standing",
    "needs_demolition",
    "escalation_level",
    "urge_count",
    "supervise_count",
    "returned_count",
    "return_refused_count",
    "extension_count",
    "extension_refused_count",
    "rework_count",
    "accepted_late",
    "handled_late",
    "review_on",
    "reply_due_at",
    "close_outcome",
)


def _limits(session: Session, case: Case) -> list[StepLimitRead]:
    category = session.get(Category, case.category_id) if case.category_id else None
    if category is None:
        return []
    limits = time_limits.for_grade(session, category, case.grade)
    return [
        StepLimitRead(
            step=step,
            name=name,
            limit=str(getattr(limits, step)),
            label=getattr(limits, step).label,
        )
        for step, name in STEP_NAMES.items()
    ]


def case_panel(session: Session, case: Case, names: Names) -> CaseSupervisionRead:
    policy = supervision_policy(session)
    grade = policy.grade(case.grade)
    suggestion = service.suggest(session, case, policy)
    suggested = policy.grade(suggestion.grade)
    level = policy.levels.get(grade.level) if grade else None
    return CaseSupervisionRead(
        number=case.number,
        grade=case.grade,
        grade_name=grade.name if grade else None,
        level_name=level.name if level else None,
        report_every=grade.report_every if grade else None,
        suggestion=GradeSuggestionRead(
            grade=suggestion.grade,
            grade_name=suggested.name if suggested else None,
            score=suggestion.score,
            reasons=[r.text for r in suggestion.reasons],
        ),
        limits=_limits(session, case),
        notices=notices(session, repo.case_notices(session, case.id), names),
        **{name: getattr(case, name) for name in _CASE_FIELDS},
    )


def board(session: Session, b: service.Board, names: Names, now: datetime) -> BoardRead:
    def rows(name: str) -> list[CaseSummary]:
        return [summary(c, names, now) for c in b.lists[name]]

    return BoardRead(
        counts=b.counts,
        overdue=rows("overdue"),
        due_soon=rows("due_soon"),
        escalated=rows("escalated"),
        review_due=rows("review_due"),
        graded=rows("graded"),
        by_unit=[
            UnitLoadRead(
                unit=names.units[r["unit_id"]].code,
                unit_name=names.units[r["unit_id"]].name,
                **{k: r[k] for k in ("open", "due_soon", "overdue", "escalated")},
            )
            for r in b.by_unit
            if r["unit_id"] in names.units
        ],
        notices=notices(session, b.notices, names),
    )
