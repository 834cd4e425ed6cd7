"""Two complaints given as plain values (e.g. a labelled pair of messages), judged by the same
scoring as the platform: same issue or not, the score and why. Used by ``civicdesk repeats
pairs`` on a CSV of pairs; no complaint needs to be stored."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from civicdesk.intake.importing.rows import parse_datetime
from civicdesk.repeats.context import RepeatContext
from civicdesk.repeats.scoring import Facts, score_pair

SIDES = ("a", "b")
FIELDS = ("title", "detail", "text", "user", "phone", "time", "address")


def _value(row: dict[str, str], side: str, name: str) -> str | None:
    for key in (f"{name}_{side}", f"{side}_{name}", f"{name}{side}"):
        if row.get(key):
            return row[key].strip() or None
    return None


def facts_of(row: dict[str, str], side: str, ctx: RepeatContext, fallback_id: int) -> Facts:
    title, detail = _value(row, side, "title"), _value(row, side, "detail")
    text = _value(row, side, "text") or "。".join(p for p in (title, detail) if p) or ""
    raw_time = _value(row, side, "time")
    when = (
        parse_datetime(raw_time).replace(tzinfo=UTC)
        if raw_time
        else datetime(2000, 1, 1, tzinfo=UTC)
    )
    return ctx.facts(
        id=fallback_id,
        created=when,
        received=when,
        channel_id=None,
        phone=_value(row, side, "phone"),
        name=_value(row, side, "user"),
        title=title,
        text=text,
        address=_value(row, side, "address"),
        lon=None,
        lat=None,
        category=None,
        area=None,
        case_id=None,
    )


def judge(rows: Iterator[dict[str, str]], ctx: RepeatContext) -> Iterator[dict[str, Any]]:
    """Each pair with ``same_issue`` (score ≥ the suggest threshold), ``score`` and ``why``."""
    for index, row in enumerate(rows):
        a, b = facts_of(row, "a", ctx, 2 * index + 1), facts_of(row, "b", ctx, 2 * index + 2)
        later, earlier = (a, b) if a.received >= b.received else (b, a)
        match = score_pair(later, earlier, ctx.taxonomy)
        why = "；".join(s["why"] for s in match.signals.values())
        yield {
            **row,
            "same_issue": int(match.score >= ctx.rules.suggest),
            "score": f"{match.score:.3f}",
            "why": why,
        }


def judge_file(source: Path, target: Path, ctx: RepeatContext) -> tuple[int, int]:
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        results = list(judge(iter(reader), ctx))
    if not results:
        target.write_text("", encoding="utf-8")
        return 0, 0
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(results[0]))
        writer.writeheader()
        writer.writerows(results)
    return len(results), sum(r["same_issue"] for r in results)
