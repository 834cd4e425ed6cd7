"""Pydantic models of the configuration files (``city.yaml``, ``areas.yaml``, ``units.yaml``,
``categories.yaml``, ``channels.yaml``) and the reading of one file into its model;
``docs/configuration.md`` documents the format for users.

The models check what one entry can know about itself (types, lengths, ranges); references
between entries and files (parents, covered areas, cycles, duplicates) are checked by the loader.
Lengths mirror the columns, so nothing valid here can fail in the database. Errors are collected
in ``Problems`` rather than raised one at a time, so a user fixes a file in one round.
"""

from __future__ import annotations

import itertools
import math
import re
import zoneinfo
from collections.abc import Iterable
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import charset_normalizer
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from civicdesk.errors import ConfigurationError
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
    # Repeat detection: days an issue stays "already complained about" (docs/repeats.md).
    lookback_days: int | None = Field(default=None, ge=1, le=3650)

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
    lookback_days: int = Field(default=60, ge=1, le=3650)


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


# ---- reading a file: every error names the file, the line, the entry and the field ----------

# libyaml when installed (the Hangzhou areas parse 30 times faster), else pure Python.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Problems:
    """Every error found, each naming the file, the line, the entry and the field."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.lines: list[str] = []
        # file name → YAML path → line, to point cross-reference errors at their line too
        self.line_maps: dict[str, dict[tuple[Any, ...], int]] = {}

    def add(
        self, file: str, message: str, *, line: int | None = None, at: tuple[Any, ...] = ()
    ) -> None:
        if line is None and at:
            line = line_of(self.line_maps.get(file, {}), at)
        where = f"{file}:{line}" if line else file
        self.lines.append(f"  {where}: {message}")

    def entry(self, file: str, at: tuple[Any, ...], code: str, field: str, message: str) -> None:
        self.add(
            file,
            f"entry {dotted(at)} (code {code!r}), field {field!r}: {message}",
            at=(*at, field),
        )

    def raise_if_any(self, limit: int = 50) -> None:
        if self.lines:
            count = f"{len(self.lines)} error{'s' if len(self.lines) > 1 else ''}"
            head = f"配置无效 / invalid configuration in {self.directory} ({count}):"
            more = [f"  … and {len(self.lines) - limit} more"] if len(self.lines) > limit else []
            raise ConfigurationError("\n".join([head, *self.lines[:limit], *more]))


def find_file(directory: Path, kind: str, problems: Problems) -> Path | None:
    found = [p for p in (directory / f"{kind}.yaml", directory / f"{kind}.yml") if p.is_file()]
    if len(found) > 1:
        problems.add(found[0].name, f"both {kind}.yaml and {kind}.yml exist: keep one")
    return found[0] if found else None


def parse_file(
    directory: Path,
    kind: str,
    schema: type[BaseModel],
    problems: Problems,
) -> BaseModel | None:
    """``{kind}.yaml`` of ``directory`` as a ``schema`` instance, or None with the problems
    recorded (missing file, not UTF-8, bad YAML, repeated keys, invalid fields)."""
    path = find_file(directory, kind, problems)
    if path is None:
        problems.add(f"{kind}.yaml", "file missing (every configuration needs it)")
        return None
    document = _read_yaml(path, problems)
    if document is None:
        return None
    data, lines = document
    problems.line_maps[path.name] = lines
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            _report_validation_error(path.name, data, lines, error, problems)
        return None


def _read_yaml(path: Path, problems: Problems) -> tuple[Any, dict[tuple[Any, ...], int]] | None:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        guess = charset_normalizer.from_bytes(raw).best()
        hint = f" (it looks like {guess.encoding})" if guess and guess.encoding else ""
        problems.add(
            path.name,
            f"not UTF-8 text{hint}: byte {raw[exc.start]:#04x} at offset {exc.start}; "
            "save the file as UTF-8",
            line=raw[: exc.start].count(b"\n") + 1,
        )
        return None
    loader = _YAML_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.add(path.name, "the file is empty")
            return None
        lines: dict[tuple[Any, ...], int] = {}
        if not _map_lines(node, (), lines, path.name, problems):
            return None
        return loader.construct_document(node), lines
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        problems.add(
            path.name,
            f"not valid YAML: {problem}",
            line=mark.line + 1 if mark is not None else None,
        )
        return None
    finally:
        loader.dispose()


def _map_lines(
    node: yaml.Node,
    path: tuple[Any, ...],
    lines: dict[tuple[Any, ...], int],
    file: str,
    problems: Problems,
) -> bool:
    """Record the line of every value (to point errors at it) and refuse repeated keys, which
    YAML loaders otherwise resolve silently by keeping the last one."""
    lines[path] = node.start_mark.line + 1
    ok = True
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
            if key in seen:
                problems.add(
                    file,
                    f"key {key!r} appears twice in the same entry",
                    line=key_node.start_mark.line + 1,
                )
                ok = False
            seen.add(key)
            ok = _map_lines(value_node, (*path, key), lines, file, problems) and ok
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            ok = _map_lines(item, (*path, index), lines, file, problems) and ok
    return ok


def _report_validation_error(
    file: str,
    data: Any,
    lines: dict[tuple[Any, ...], int],
    error: Any,
    problems: Problems,
) -> None:
    loc = tuple(error["loc"])
    # The deepest entry with a code along the error's path names the entry for the user.
    entry_path: tuple[Any, ...] = ()
    entry_code = None
    node = data
    for depth, key in enumerate(loc):
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "code" in node:
            entry_path, entry_code = loc[: depth + 1], node["code"]
    line = line_of(lines, loc)
    message = error["msg"]
    if not isinstance(error.get("input"), dict | list) and error["type"] != "missing":
        message += f", got {error['input']!r}"
    where = []
    if entry_path:
        where.append(f"entry {dotted(entry_path)} (code {entry_code!r})")
    field_path = dotted(loc[len(entry_path) :])
    where.append(f"field {field_path!r}" if field_path else "the document")
    problems.add(file, f"{', '.join(where)}: {message}", line=line)


def line_of(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int | None:
    """The line of the deepest part of ``path`` that is in the file (a missing field: its entry)."""
    return next((lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in lines), None)


def dotted(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
