"""The repeat decisions over many complaints at once, in memory: the batch rebuild and the bulk
import use it; it applies exactly the rules of the online check (``scoring.decide`` on the
candidates the blocking keys give, at most ``rules.per_key`` per key, most recent first).

Blocks are the complaints filed under one key in the order they came (``Facts.order``); a
complaint sees only those before it, as the online check would have when it was recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from civicdesk.repeats.scoring import DAY, CaseState, Decision, Facts, Rules, Taxonomy, decide

# Earlier complaints whose case stayed open longer than this are beyond the look-up horizon.
HORIZON_DAYS = 180
# Blocks are in recording order, which follows receiving order up to forwarding delays: the
# backward scan may stop this far beyond the window's start.
SCAN_SLACK = 2 * DAY


def window(x: Facts, taxonomy: Taxonomy, rules: Rules) -> tuple[float, float]:
    """The received-time range searched for ``x``'s candidates (online and batch alike)."""
    lookback = taxonomy.lookback.get(x.category or -1, rules.lookback_days)
    return x.received - (lookback + HORIZON_DAYS) * DAY, x.received + rules.ahead_seconds


def recent(block: Sequence[Facts], lo: float, hi: float, limit: int) -> list[Facts]:
    """The ``limit`` most recently received members of a block within [lo, hi]."""
    found: list[Facts] = []
    for y in reversed(block):
        if y.received < lo - SCAN_SLACK:
            break
        if lo <= y.received <= hi:
            found.append(y)
    found.sort(key=lambda f: (f.received, f.id), reverse=True)
    return found[:limit]


@dataclass
class Outcome:
    decisions: dict[int, Decision]
    checked: int = 0
    without_place: int = 0  # no place, no usable point, no area: compared by caller only
    unplaced: int = 0  # not even a caller: nothing to compare by (reported, never linked)


def detect(
    ordered: Sequence[Facts],
    *,
    keys: Callable[[Facts], Iterable[int]],
    lookups: Callable[[Facts], Iterable[int]],
    cases: dict[int, CaseState],
    taxonomy: Taxonomy,
    rules: Rules,
    targets: Callable[[Facts], bool] = lambda f: True,
) -> Outcome:
    """Decide every complaint of ``ordered`` (in ``Facts.order``) for which ``targets`` holds;
    the others only serve as earlier complaints."""
    blocks: dict[int, list[Facts]] = {}
    people: dict[int, list[Facts]] = {}
    for f in ordered:
        if f.case_id is not None:
            people.setdefault(f.case_id, []).append(f)
    outcome = Outcome({})
    for x in ordered:
        if targets(x):
            outcome.checked += 1
            if x.place is None and x.point is None:
                if x.area is None and x.person() is None:
                    outcome.unplaced += 1
                else:
                    outcome.without_place += 1
            lo, hi = window(x, taxonomy, rules)
            seen: dict[int, Facts] = {}
            for key in lookups(x):
                block = blocks.get(key)
                if block:
                    for y in recent(block, lo, hi, rules.per_key):
                        seen[y.id] = y
            if seen:
                decision = decide(x, seen.values(), cases, people, taxonomy, rules)
                if decision is not None:
                    outcome.decisions[x.id] = decision
        for key in keys(x):
            blocks.setdefault(key, []).append(x)
    return outcome
