from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class CaseSummary(BaseModel):
    number: str
    status: str
    title: str
    category: str | None
    category_name: str | None
    area: str | None
    area_name: str | None
    unit: str | None
    unit_name: str | None
    opened_at: datetime
    due_at: datetime | None
    overdue: bool
    complaint_count: int


class EventRead(BaseModel):
    at: datetime
    action: str
    from_status: str | None
    to_status: str | None
    actor: str | None
    unit: str | None
    note: str | None
    data: dict[str, object]


class ComplaintBrief(BaseModel):
    id: int
    channel: str
    channel_name: str
    upstream_ref: str | None
    received_at: datetime
    complainant_name: str | None
    complainant_phone: str | None
    text: str
    address: str | None


class CaseDetail(CaseSummary):
    address: str | None
    filed_at: datetime | None
    dispatched_at: datetime | None
    accepted_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    accept_due_at: datetime | None
    handle_due_at: datetime | None
    reply_text: str | None
    satisfaction: str | None
    solved: bool | None
    not_filed_reason: str | None
    extension_requested_days: int | None
    # Supervision and feedback (issue 5): the grade's code, the reply limit, the review date
    # of a suspension, and "fixed" vs "closed, not fixed".
    grade: str | None = None
    reply_due_at: datetime | None = None
    review_on: date | None = None
    close_outcome: str | None = None
    allowed_actions: list[str]
    complaints: list[ComplaintBrief]
    history: list[EventRead]


class CaseList(BaseModel):
    items: list[CaseSummary]
    total: int
    page: int
    pages: int


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)
    unit: str | None = Field(default=None, description="Unit code (dispatch)")
    reply_text: str | None = Field(default=None, max_length=5000)
    satisfaction: str | None = Field(
        default=None, description="satisfied | basically | unsatisfied"
    )
    solved: bool | None = None
    days: int | None = Field(default=None, description="Working days (extension request)")
    review_on: str | None = Field(default=None, description="YYYY-MM-DD (suspend)")
    grade: str | None = Field(default=None, description="Supervision grade code (set_grade)")
    media_attention: bool | None = Field(default=None, description="flag: media attention")
    leader_attention: bool | None = Field(default=None, description="flag: a leader's flag")
    long_standing: bool | None = Field(default=None, description="flag: long-standing problem")
    needs_demolition: bool | None = Field(default=None, description="flag: needs demolition")
    departments: int | None = Field(default=None, description="flag: departments involved")
