"""The repeat decisions over many complaints at once, in memory: the batch rebuild and the bulk
import use it; it applies exactly the rules of the online check (``scoring.decide`` on the
candidates the blocking keys give, at most ``rules.per_key`` per key, most recent first).

Blocks are the complaints filed under one key in the order they came (``Facts.order``); a
complaint sees only those before it, as the online check would have when it was recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

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
    stop = lo - SCAN_SLACK
    for y in reversed(block):
        received = y.received
        if received < stop:
            break
        if lo <= received <= hi:
            found.append(y)
    if len(found) > 1:
        found.sort(key=_RECEIVED_ID, reverse=True)
    return found[:limit]


_RECEIVED_ID = attrgetter("received", "id")


@dataclass
class Outcome:
    decisions: dict[int, Decision]
    checked: int = 0
    without_place: int = 0  # no place, no usable point, no area: compared by caller only
    unplaced: int = 0  # not even a caller: nothing to compare by (reported, never linked)


Keys = Callable[[Facts], Iterable[int]] | Sequence[Iterable[int]]


def detect(
    ordered: Sequence[Facts],
    *,
    keys: Keys,
    lookups: Keys,
    cases: dict[int, CaseState],
    taxonomy: Taxonomy,
    rules: Rules,
    targets: Callable[[Facts], bool] | None = None,
) -> Outcome:
    """Decide every complaint of ``ordered`` (in ``Facts.order``) for which ``targets`` holds
    (all when None); the others only serve as earlier complaints. ``keys`` and ``lookups``:
    a function of the complaint, or a sequence aligned with ``ordered``."""
    own = [keys(f) for f in ordered] if callable(keys) else keys
    look = [lookups(f) for f in ordered] if callable(lookups) else lookups
    # The complaints on each case so far: ``decide`` looks at those before x (all of them are
    # before x in ``ordered``, which is in ``Facts.order``).
    people: dict[int, list[Facts]] = {}
    outcome = Outcome({})
    blocks: dict[int, list[Facts]] = {}
    block_of = blocks.get
    spans = _spans(taxonomy, rules)
    default_span = (rules.lookback_days + HORIZON_DAYS) * DAY
    ahead, per_key = rules.ahead_seconds, rules.per_key
    for x, filed, looked in zip(ordered, own, look, strict=True):
        if targets is None or targets(x):
            outcome.checked += 1
            if x.place is None and x.point is None:
                if x.area is None and x.person() is None:
                    outcome.unplaced += 1
                else:
                    outcome.without_place += 1
            # The same bounds as window(), computed the same way.
            lo = x.received - spans.get(x.category or -1, default_span)
            hi = x.received + ahead
            seen: dict[int, Facts] = {}
            for key in looked:
                block = block_of(key)
                if block is None:
                    continue
                if len(block) == 1:
                    y = block[0]
                    if lo <= y.received <= hi:
                        seen[y.id] = y
                else:
                    for y in recent(block, lo, hi, per_key):
                        seen[y.id] = y
            if seen:
                decision = decide(x, seen.values(), cases, people, taxonomy, rules)
                if decision is not None:
                    outcome.decisions[x.id] = decision
        for key in filed:
            block = block_of(key)
            if block is None:
                blocks[key] = [x]
            else:
                block.append(x)
        if x.case_id is not None:
            on_case = people.get(x.case_id)
            if on_case is None:
                people[x.case_id] = [x]
            else:
                on_case.append(x)
    return outcome


def _spans(taxonomy: Taxonomy, rules: Rules) -> dict[int, float]:
    return {c: (days + HORIZON_DAYS) * DAY for c, days in taxonomy.lookback.items()}
