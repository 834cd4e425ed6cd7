"""Pydantic models of the configuration files (``city.yaml``, ``areas.yaml``, ``units.yaml``,
``categories.yaml``, ``channels.yaml``); ``docs/configuration.md`` documents them for users.

The models check what one entry can know about itself (types, lengths, ranges); references
between entries and files (parents, covered areas, cycles, duplicates) are checked by the loader.
Lengths mirror the columns, so nothing valid here can fail in the database.
"""

from __future__ import annotations

import itertools
import math
import re
import zoneinfo
from datetime import time
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from civicdesk.org.models import UnitKind

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_PERIOD = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")


def _ascii_code(value: str) -> str:
    # Codes end up in URLs, file names and routing rules: keep them plain ASCII.
    if not _CODE.fullmatch(value):
        raise ValueError(
            f"code {value!r} must be ASCII letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    return value


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


AreaCode = Annotated[str, Field(max_length=32), AfterValidator(_ascii_code)]
Code = Annotated[str, Field(max_length=64), AfterValidator(_ascii_code)]
ChannelCode = Annotated[str, Field(max_length=32), AfterValidator(_ascii_code)]
Name = Annotated[str, Field(max_length=100), AfterValidator(_stripped)]
ShortName = Annotated[str, Field(max_length=50), AfterValidator(_stripped)]


class _Strict(BaseModel):
    # Unknown keys are errors: a misspelt "handel_days" must not be silently ignored.
    # Unquoted numeric codes (``code: 330102``) are read as the string the user meant.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


def parse_period(text: str) -> tuple[time, time]:
    """``"08:30-12:00"`` → ``(time(8, 30), time(12, 0))``."""
    match = _PERIOD.fullmatch(text.strip())
    if not match:
        raise ValueError(f"office period {text!r} must look like '08:30-12:00'")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError:
        raise ValueError(f"office period {text!r} is not a time of day") from None
    if start >= end:
        raise ValueError(f"office period {text!r} ends before it starts")
    return start, end


# ---- city.yaml ---------------------------------------------------------------------------


class RootArea(_Strict):
    code: AreaCode
    name: Name
    short_name: ShortName
    population: int | None = Field(default=None, ge=0)


SettingValue = str | int | float | bool


class CitySettings(_Strict):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, frozen=True)

    office_hours: list[str] = Field(default=["08:30-12:00", "13:30-17:30"], min_length=1)
    case_number_prefix: str = Field(default="HZ", pattern=r"^[A-Z0-9]{1,8}$")
    timezone: str = "Asia/Shanghai"

    @field_validator("office_hours")
    @classmethod
    def _periods_in_order(cls, value: list[str]) -> list[str]:
        periods = [parse_period(text) for text in value]
        for before, after in itertools.pairwise(periods):
            if after[0] < before[1]:
                raise ValueError("office periods must be in order and must not overlap")
        return [text.strip() for text in value]

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. 'Asia/Shanghai')") from None
        return value

    def as_rows(self) -> dict[str, str]:
        """Every setting as the key/value strings stored in ``config_settings``."""
        rows = {
            "office_hours": ",".join(self.office_hours),
            "case_number_prefix": self.case_number_prefix,
            "timezone": self.timezone,
        }
        for key, value in (self.model_extra or {}).items():
            rows[key] = _setting_text(key, value)
        return rows


def _setting_text(key: str, value: object) -> str:
    if len(key) > 64 or not re.fullmatch(r"[a-z][a-z0-9_.]*", key):
        raise ValueError(f"setting name {key!r}: use lower-case letters, digits, '_' or '.'")
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        raise ValueError(f"setting {key!r}: give a single value (text, number or true/false)")
    if len(text) > 2000:
        raise ValueError(f"setting {key!r}: value longer than 2000 characters")
    return text


class CityFile(_Strict):
    root: RootArea
    settings: CitySettings = CitySettings()

    @field_validator("settings")
    @classmethod
    def _extra_settings(cls, value: CitySettings) -> CitySettings:
        value.as_rows()  # raises on a malformed extra setting
        return value


# ---- areas.yaml --------------------------------------------------------------------------


class CommunityEntry(_Strict):
    code: AreaCode
    name: Name
    short_name: ShortName | None = None
    population: int | None = Field(default=None, ge=0)


class StreetEntry(CommunityEntry):
    communities: list[CommunityEntry] = []


class DistrictEntry(CommunityEntry):
    streets: list[StreetEntry] = []


class AreasFile(_Strict):
    districts: list[DistrictEntry] = Field(min_length=1)


# ---- units.yaml --------------------------------------------------------------------------


class UnitEntry(_Strict):
    code: Code
    name: Name
    kind: UnitKind
    parent: Code | None = None
    area: AreaCode | None = None
    phone: str | None = Field(default=None, max_length=40)
    covers: list[AreaCode] = []

    @field_validator("covers")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        repeated = sorted({code for code in value if value.count(code) > 1})
        if repeated:
            raise ValueError(f"area code(s) listed twice: {', '.join(repeated)}")
        return value


class UnitsFile(_Strict):
    units: list[UnitEntry] = Field(min_length=1)


# ---- categories.yaml ---------------------------------------------------------------------


class Limits(_Strict):
    accept_hours: float | None = Field(default=None, ge=0)
    handle_days: int | None = Field(default=None, ge=0)
    reply_days: int | None = Field(default=None, ge=0)

    @field_validator("accept_hours")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number of working hours")
        return value


class CategoryEntry(Limits):
    code: Code
    name: Name
    name_en: str | None = Field(default=None, max_length=100)
    hotspot: bool = False
    # None: inherit from the parent (so the children of 非城管事项 are out of remit too).
    in_remit: bool | None = None
    keywords: list[Annotated[str, Field(max_length=50), AfterValidator(_stripped)]] = []
    children: list[CategoryEntry] = []

    @field_validator("keywords")
    @classmethod
    def _no_repeated_keywords(cls, value: list[str]) -> list[str]:
        repeated = sorted({word for word in value if value.count(word) > 1})
        if repeated:
            raise ValueError(f"keyword(s) listed twice: {', '.join(repeated)}")
        return value


class CategoryDefaults(_Strict):
    accept_hours: float = Field(default=2.0, ge=0, allow_inf_nan=False)
    handle_days: int = Field(default=5, ge=0)
    reply_days: int = Field(default=1, ge=0)


class CategoriesFile(_Strict):
    defaults: CategoryDefaults = CategoryDefaults()
    categories: list[CategoryEntry] = Field(min_length=1)


# ---- channels.yaml -----------------------------------------------------------------------


class ChannelKind(StrEnum):
    hotline = "hotline"
    letter = "letter"
    visit = "visit"
    web = "web"
    app = "app"
    volunteer = "volunteer"
    inspection = "inspection"


class ChannelEntry(_Strict):
    code: ChannelCode
    name: Name
    kind: ChannelKind
    # Forwarding hotlines (12345, 96345…) give their own ticket number: the upstream reference.
    forwarded: bool = False


class ChannelsFile(_Strict):
    channels: list[ChannelEntry] = Field(min_length=1)
