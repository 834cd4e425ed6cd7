"""Helpers for server-rendered forms: turn pydantic errors into per-field Chinese messages."""

from __future__ import annotations

from pydantic import ValidationError

# Pydantic's English messages, said in Chinese for the operator.
_MESSAGES = {
    "missing": "必填",
    "string_too_short": "必填",
    "string_too_long": "内容过长",
    "float_parsing": "应为数字",
    "greater_than_equal": "超出范围",
    "less_than_equal": "超出范围",
    "datetime_from_date_parsing": "时间格式应为 YYYY-MM-DD HH:MM",
    "datetime_parsing": "时间格式应为 YYYY-MM-DD HH:MM",
}


def field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "__all__"
        message = _MESSAGES.get(err["type"]) or str(err["msg"]).removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors
