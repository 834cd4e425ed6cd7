"""What a citizen's submission must look like, whichever door it came through."""

from __future__ import annotations

import re

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from civicdesk.intake.schemas import PHONE_RE

SATISFACTION = ("satisfied", "basically", "unsatisfied")


class CitizenComplaint(BaseModel):
    """A complaint as a citizen gives it (portal form or Open311 POST), before intake."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    text: str = Field(min_length=1, max_length=5000)
    phone: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=300)
    area: str | None = Field(default=None, max_length=32)
    longitude: float | None = Field(default=None, allow_inf_nan=False)
    latitude: float | None = Field(default=None, allow_inf_nan=False)
    category: str | None = Field(default=None, max_length=64)

    @field_validator("name", "address", "area", "category", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("longitude", "latitude", mode="before")
    @classmethod
    def _blank_number(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("latitude", "longitude")
    @classmethod
    def _degrees(cls, value: float | None, info: ValidationInfo) -> float | None:
        limit = 90 if info.field_name == "latitude" else 180
        if value is not None and not -limit <= value <= limit:
            raise ValueError("坐标超出范围：纬度在±90、经度在±180之间（是否填反了？）")
        return value

    @field_validator("text")
    @classmethod
    def _some_words(cls, value: str) -> str:
        # Text made only of control characters or zero-width spaces says nothing.
        if not re.sub(r"[\s\u200b-\u200f\u2060\ufeff]", "", value):
            raise ValueError("请描述您遇到的问题")
        return value.replace("\x00", "")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None or not value:
            return None
        compact = re.sub(r"[\s()（）-]", "", value).removeprefix("+86")
        # Keep the dash of a landline's area code as intake does ("0571-87654321").
        landline = re.sub(r"[\s()（）]", "", value).removeprefix("+86")
        for candidate in (compact, landline):
            if PHONE_RE.match(candidate):
                return candidate
        raise ValueError("手机号码格式不正确（11位手机号，或带区号的固定电话）")

    @model_validator(mode="after")
    def _somewhere(self) -> CitizenComplaint:
        if (self.longitude is None) != (self.latitude is None):
            raise ValueError("经度和纬度须同时填写")
        if not (self.address or self.area or self.longitude is not None):
            raise ValueError("请填写问题发生的地址、选择街道，或在地图上选点")
        return self


class PortalComplaint(CitizenComplaint):
    """The portal's form: the phone is required there (tracking, callback, duplicates)."""

    phone: str = Field(min_length=1, max_length=40)


class CitizenRatingForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    satisfaction: str
    solved: bool
    comment: str | None = Field(default=None, max_length=500)

    @field_validator("satisfaction")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SATISFACTION:
            raise ValueError("请选择满意、基本满意或不满意")
        return value
