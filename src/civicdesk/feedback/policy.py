"""``feedback.yaml``: reply templates per category and the callback rules.

A template is text with placeholders in braces, filled from the case when the unit writes its
reply; the callback rule says what a "not solved" callback does. Checked at ``config load`` and
when the server or worker starts; ``docs/configuration.md`` documents the format.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

PLACEHOLDERS = {
    "number": "案件编号",
    "title": "案件标题",
    "address": "地址",
    "category": "类别名称",
    "unit": "承办单位名称",
    "date": "处置日期",
    "result": "处置情况（承办单位填写）",
}


def _template(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("a template must not be empty")
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise ValueError(f"unbalanced braces in template: {exc}") from None
    unknown = sorted({name for name in fields if name not in PLACEHOLDERS})
    if unknown:
        raise ValueError(
            f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; "
            f"use {', '.join('{' + n + '}' for n in PLACEHOLDERS)}"
        )
    return text


Template = Annotated[str, Field(max_length=2000), AfterValidator(_template)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NotSolved(StrEnum):
    rework = "rework"  # 返工: back to the unit automatically
    keep = "keep"  # left to the dispatcher (rework, or close as not fixed with a reason)


class Templates(_Strict):
    default: Template
    by_category: dict[str, Template] = {}


class Callback(_Strict):
    not_solved: NotSolved = NotSolved.rework
    # After this many reworks a "not solved" callback no longer sends the case back: the centre
    # decides (close as "not fixed" with a reason, or suspend a long-term problem).
    max_reworks: int = Field(default=2, ge=0, le=20)


class FeedbackFile(_Strict):
    templates: Templates
    callback: Callback = Callback()


Problem = tuple[tuple[Any, ...], str]


def cross_check(doc: FeedbackFile, *, category_codes: set[str] | None) -> list[Problem]:
    if category_codes is None:
        return []
    return [
        (("templates", "by_category", code), f"unknown category {code!r}")
        for code in doc.templates.by_category
        if code not in category_codes
    ]


DEFAULT_TEMPLATE = "您好，您反映的“{title}”问题，{unit}已于{date}处理：{result}。感谢您的监督。"


@dataclass(frozen=True)
class FeedbackPolicy:
    doc: FeedbackFile | None

    def template_for(self, categories: list[str]) -> str:
        """The template of the most specific category that has one (``categories`` runs from
        the case's category up to the top), else the default."""
        if self.doc is None:
            return DEFAULT_TEMPLATE
        for code in categories:
            if code in self.doc.templates.by_category:
                return self.doc.templates.by_category[code]
        return self.doc.templates.default

    def rework_after_not_solved(self, rework_count: int) -> bool:
        callback = self.doc.callback if self.doc else Callback()
        return callback.not_solved == NotSolved.rework and rework_count < callback.max_reworks
