"""How well the detected links match a truth: the demo's planted repeats (``demo_planted_repeats``)
per kind, precision and recall. A detected link is right when its complaint was planted with
the same kind and its earlier complaint belongs to the same issue (the planted original, or a
complaint planted as a repeat of it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.demo.models import PlantedRepeat
from civicdesk.repeats.models import RepeatLink
from civicdesk.repeats.scoring import OTHER, RECURRENCE, REPEAT_KINDS, SAME

PLANTED_KIND = {"same_complainant": SAME, "other_complainant": OTHER, "recurrence": RECURRENCE}


@dataclass
class KindScore:
    kind: str
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    @property
    def precision(self) -> float | None:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else None

    @property
    def recall(self) -> float | None:
        planted = self.true_positive + self.false_negative
        return self.true_positive / planted if planted else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "true_positive": self.true_positive,
            "false_positive": self.false_positive,
            "false_negative": self.false_negative,
            "precision": None if self.precision is None else round(self.precision, 4),
            "recall": None if self.recall is None else round(self.recall, 4),
        }


@dataclass
class Evaluation:
    counted_only: bool
    kinds: dict[str, KindScore] = field(default_factory=dict)
    planted: int = 0
    links: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "links": "confirmed" if self.counted_only else "all (confirmed and suggested)",
            "planted": self.planted,
            "detected": self.links,
            "kinds": [k.to_dict() for k in self.kinds.values()],
        }


def evaluate(
    truth: Iterable[tuple[int, int, str]],
    links: Iterable[tuple[int, int, str]],
    *,
    counted_only: bool,
) -> Evaluation:
    """``truth``: (complaint, original, planted kind); ``links``: (complaint, earlier, kind)."""
    planted = {cid: (original, PLANTED_KIND.get(kind, kind)) for cid, original, kind in truth}
    result = Evaluation(counted_only, {k: KindScore(k) for k in REPEAT_KINDS}, planted=len(planted))

    def issue(cid: int) -> int:
        return planted[cid][0] if cid in planted else cid

    found: set[int] = set()
    for cid, earlier, kind in links:
        result.links += 1
        score = result.kinds.setdefault(kind, KindScore(kind))
        expected = planted.get(cid)
        if expected is not None and expected[1] == kind and issue(earlier) == expected[0]:
            score.true_positive += 1
            found.add(cid)
        else:
            score.false_positive += 1
    for cid, (_, kind) in planted.items():
        if cid not in found:
            result.kinds.setdefault(kind, KindScore(kind)).false_negative += 1
    return result


def evaluate_demo(session: Session, *, counted_only: bool = True) -> Evaluation:
    truth = session.execute(
        select(PlantedRepeat.complaint_id, PlantedRepeat.original_id, PlantedRepeat.kind)
    )
    query = select(RepeatLink.complaint_id, RepeatLink.earlier_id, RepeatLink.kind)
    query = (
        query.where(RepeatLink.status == "confirmed")
        if counted_only
        else query.where(RepeatLink.status != "rejected")
    )
    return evaluate(truth, session.execute(query), counted_only=counted_only)  # type: ignore[arg-type]
