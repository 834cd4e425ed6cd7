"""``open311.yaml`` (optional): the jurisdiction, the contact shown by discovery, and the extra
questions (GeoReport "attributes") of some services. Checked at ``config load`` like the other
rule files; ``docs/open311.md`` documents the format."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Problem = tuple[tuple[Any, ...], str]


def _code(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", value):
        raise ValueError(f"code {value!r}: ASCII letters, digits, '_' or '-'")
    return value


Code = Annotated[str, AfterValidator(_code)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Datatype(StrEnum):
    string = "string"
    number = "number"
    datetime = "datetime"
    text = "text"
    singlevaluelist = "singlevaluelist"
    multivaluelist = "multivaluelist"


class Value(_Strict):
    key: Code
    name: str = Field(min_length=1, max_length=100)


class Attribute(_Strict):
    code: Code
    description: str = Field(min_length=1, max_length=200)
    datatype: Datatype = Datatype.string
    required: bool = False
    datatype_description: str | None = Field(default=None, max_length=200)
    values: list[Value] = []


class Open311File(_Strict):
    jurisdiction_id: str = Field(min_length=1, max_length=100)
    contact: str = Field(default="", max_length=300)
    key_service: str = Field(default="", max_length=300)
    # category code → the extra questions of that service, in order
    attributes: dict[str, list[Attribute]] = {}


def cross_check(doc: Open311File, *, category_codes: set[str] | None) -> list[Problem]:
    problems: list[Problem] = []
    for code, attributes in doc.attributes.items():
        if category_codes is not None and code not in category_codes:
            problems.append((("attributes", code), f"unknown category {code!r}"))
        for index, attribute in enumerate(attributes):
            listed = attribute.datatype in (Datatype.singlevaluelist, Datatype.multivaluelist)
            if listed != bool(attribute.values):
                problems.append(
                    (("attributes", code, index), "values are needed by (and only by) list types")
                )
    return problems
