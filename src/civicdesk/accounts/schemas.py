from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class TokenCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
