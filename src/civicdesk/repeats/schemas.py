"""API shapes of repeat links and candidates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class RepeatLinkRead(BaseModel):
    id: int
    complaint_id: int
    earlier_id: int
    kind: str
    detected_kind: str
    score: float
    status: str = Field(description="suggested | confirmed | rejected")
    decided_by_person: bool
    explanation: dict[str, Any]
    received_at: datetime
    place: str | None


class CandidateRead(BaseModel):
    earlier_id: int
    case_number: str | None
    score: float
    signals: dict[str, Any]


class ComplaintRepeatsRead(BaseModel):
    link: RepeatLinkRead | None
    candidates: list[CandidateRead]


class LinkDecision(BaseModel):
    kind: str | None = Field(default=None, description="Change the kind when confirming")
