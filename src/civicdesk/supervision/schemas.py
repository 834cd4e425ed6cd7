"""API shapes of supervision: notices, a case's supervision panel, the board."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from civicdesk.cases.schemas import CaseSummary


class NoticeRead(BaseModel):
    id: int
    case_number: str
    case_title: str
    kind: str
    kind_name: str
    rule: str
    manual: bool
    unit: str | None
    unit_name: str | None
    handling_unit_name: str | None
    level: int
    due_at: datetime | None
    issued_at: datetime
    issued_by: str | None
    text: str
    delivered_at: datetime | None
    read_at: datetime | None


class GradeSuggestionRead(BaseModel):
    grade: str | None
    grade_name: str | None
    score: float
    reasons: list[str]


class StepLimitRead(BaseModel):
    step: str
    name: str
    limit: str  # "4h" / "2d"
    label: str  # 4个工作小时


class CaseSupervisionRead(BaseModel):
    number: str
    grade: str | None
    grade_name: str | None
    level_name: str | None
    report_every: str | None
    suggestion: GradeSuggestionRead
    limits: list[StepLimitRead]
    media_attention: bool
    leader_attention: bool
    departments_involved: int
    long_standing: bool
    needs_demolition: bool
    escalation_level: int
    urge_count: int
    supervise_count: int
    returned_count: int
    return_refused_count: int
    extension_count: int
    extension_refused_count: int
    rework_count: int
    accepted_late: bool | None
    handled_late: bool | None
    review_on: date | None
    reply_due_at: datetime | None
    close_outcome: str | None
    notices: list[NoticeRead]


class UnitLoadRead(BaseModel):
    unit: str
    unit_name: str
    open: int
    due_soon: int
    overdue: int
    escalated: int


class BoardRead(BaseModel):
    counts: dict[str, int]
    overdue: list[CaseSummary]
    due_soon: list[CaseSummary]
    escalated: list[CaseSummary]
    review_due: list[CaseSummary]
    graded: list[CaseSummary]
    by_unit: list[UnitLoadRead]
    notices: list[NoticeRead]


class NoticeList(BaseModel):
    items: list[NoticeRead]
    unread: int
