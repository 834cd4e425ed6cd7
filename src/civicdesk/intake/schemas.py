"""What a complaint must look like when it arrives, from any channel."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from civicdesk.clock import from_local

# Mainland mobile numbers, or a landline with optional area code and extension.
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{7,8})$")
MAX_TEXT = 5000


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    channel: str = Field(min_length=1, max_length=32, description="Channel code, e.g. 12345")
    upstream_ref: str | None = Field(
        default=None, max_length=64, description="The forwarding hotline's ticket number"
    )
    received_at: datetime | None = Field(
        default=None, description="When the citizen complained; a time without zone is Beijing time"
    )
    complainant_name: str | None = Field(default=None, max_length=100)
    complainant_phone: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=200)
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    address: str | None = Field(default=None, max_length=300)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    category: str | None = Field(default=None, max_length=64, description="Category code")
    area: str | None = Field(
        default=None, max_length=32, description="Area code (street/community)"
    )
    case_number: str | None = Field(
        default=None, max_length=32, description="Attach to this open case instead of opening one"
    )

    @field_validator(
        "upstream_ref",
        "complainant_name",
        "complainant_phone",
        "title",
        "address",
        "category",
        "area",
        "case_number",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("complainant_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = re.sub(r"[\s()（）]", "", value)
        if not PHONE_RE.match(compact):
            raise ValueError("电话号码格式不正确（手机11位，或带区号的固定电话）")
        return compact

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return from_local(value) if value is not None else None

    @model_validator(mode="after")
    def _coordinates_together(self) -> ComplaintCreate:
        if (self.longitude is None) != (self.latitude is None):
            raise ValueError("经度和纬度须同时提供")
        return self


class ComplaintRead(BaseModel):
    id: int
    channel: str
    upstream_ref: str | None
    received_at: datetime
    complainant_name: str | None
    complainant_phone: str | None
    title: str | None
    text: str
    address: str | None
    longitude: float | None
    latitude: float | None
    category: str | None
    area: str | None
    case_number: str | None
    created: bool = Field(description="False when this complaint was already on record")
