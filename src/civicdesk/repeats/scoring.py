"""Repeat scoring, pure: how surely a complaint is about the same issue as an earlier one, why,
and which kind of repeat it is. No database, no clock: the online check and the batch rebuild
both call ``decide`` with the same facts, so they give the same links.

Signals (each 0..1, kept in the explanation):

- place: same normalised address, same compound, neighbouring door numbers, coordinates within
  30–300 m (``addresses``);
- category: same leaf, same parent, same top-level group;
- text: bigram similarity without place names and framing (``texts``);
- person: same phone, or the same specific name (not "王先生") when phones are missing;
- time: within the per-category look-back window of the issue's last activity;
- channel: for duplicate intake, two channels within minutes.

score = 0.40 place + 0.25 category + 0.25 text + 0.10 person; with no category on either side
the category weight goes to the text (the only evidence of the kind of problem left).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from civicdesk.repeats import texts
from civicdesk.repeats.addresses import (
    Place,
    cell_of,
    coordinate_similarity,
    distance_m,
    place_similarity,
)

DAY = 86400.0
DUPLICATE = "duplicate_intake"
SAME = "repeat_same_complainant"
OTHER = "repeat_other_complainant"
RECURRENCE = "recurrence"
KINDS = (DUPLICATE, SAME, OTHER, RECURRENCE)
REPEAT_KINDS = (SAME, OTHER, RECURRENCE)
KIND_LABELS = {
    DUPLICATE: "重复受理",
    SAME: "同一投诉人重复投诉",
    OTHER: "他人重复投诉",
    RECURRENCE: "结案后复发",
}
WEIGHTS = {"place": 0.40, "category": 0.25, "text": 0.25, "person": 0.10}
_GENERIC_NAME = re.compile(
    r"^(?:[\u4e00-\u9fff]{1,2}(?:先生|女士|小姐|师傅|阿姨|大爷|大妈|老师|同志)|匿名|市民|群众|"
    r"网友|未知|无)$"
)


@dataclass(frozen=True)
class Rules:
    """Thresholds and windows, from configuration (``repeats.*`` settings, per-category
    ``lookback_days``); the defaults are argued in docs/repeats.md."""

    suggest: float = 0.55  # a link is kept (suggested) from here
    confirm: float = 0.65  # … and confirmed without a person from here (see docs/repeats.md)
    lookback_days: int = 60
    duplicate_minutes: int = 120
    # A repeat recorded before the complaint it repeats (forwarding delays) is tolerated this far.
    ahead_seconds: float = DAY
    per_key: int = 30  # candidates read per blocking key (most recent first)


@dataclass(frozen=True)
class Taxonomy:
    """Category id → parent id, top-level id and look-back days."""

    parent: dict[int, int | None] = field(default_factory=dict)
    top: dict[int, int] = field(default_factory=dict)
    lookback: dict[int, int] = field(default_factory=dict)

    def relation(self, a: int | None, b: int | None) -> tuple[float | None, str]:
        if a is None and b is None:
            return None, "双方均未分类"
        if a is None or b is None:
            return 0.0, "一方未分类"
        if a == b:
            return 1.0, "同一类别"
        if self.parent.get(a) is not None and self.parent.get(a) == self.parent.get(b):
            return 0.5, "同一上级类别"
        if self.top.get(a, a) == self.top.get(b, b):
            return 0.25, "同一大类"
        return 0.0, "类别不同"

    def group(self, category: int | None) -> int:
        return 0 if category is None else self.top.get(category, category)


@dataclass(slots=True)
class Facts:
    """What the scorer knows of one complaint. Times are epoch seconds (UTC)."""

    id: int
    created: float
    received: float
    channel: str | None
    phone: str | None
    name: str | None
    text: str
    place: Place | None
    point: tuple[float, float] | None  # usable (lon, lat), see addresses.usable_point
    category: int | None
    area: int | None
    case_id: int | None
    district: int | None = None
    raw_address: str | None = None
    grams: frozenset[str] | None = None

    @property
    def order(self) -> tuple[float, float, int]:
        """Which of two complaints came first: recorded, then received, then id."""
        return (self.created, self.received, self.id)

    def person(self) -> str | None:
        if self.phone:
            return self.phone
        if self.name and not _GENERIC_NAME.match(self.name):
            return self.name
        return None

    def bigrams(self) -> frozenset[str]:
        if self.grams is None:
            drop = [self.raw_address or "", self.place.label if self.place else ""]
            self.grams = texts.features(self.text, drop=drop)
        return self.grams


@dataclass(frozen=True, slots=True)
class CaseState:
    """An earlier complaint's case: when it ended (closed, not filed), if it has."""

    id: int
    ended: float | None
    ended_how: str | None = None  # "closed" | "not_filed" | "merged"
    unit_id: int | None = None

    def open_at(self, t: float) -> bool:
        return self.ended is None or self.ended > t


@dataclass(frozen=True, slots=True)
class Match:
    earlier: Facts
    score: float
    signals: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Decision:
    complaint_id: int
    kind: str
    earlier: Facts
    score: float
    confirmed: bool
    join_case: int | None  # the open case the complaint joins (duplicate or repeat while open)
    explanation: dict[str, Any]


def stable_key(text: str) -> int:
    """A signed 64-bit hash of a blocking key, stable across processes (unlike hash()): two
    32-bit checksums side by side, ten times cheaper than a cryptographic digest. A collision
    only adds a candidate, which the scoring then rejects."""
    data = text.encode()
    value = (zlib.crc32(data) << 32) | zlib.adler32(data)
    return value - (1 << 64) if value >= 1 << 63 else value


def block_keys(f: Facts, taxonomy: Taxonomy) -> set[int]:
    """The keys a complaint is filed under: its place, its 330 m cell, its caller, and its area
    when it has neither place nor point. Each within its top-level category group."""
    return _own_keys(f, taxonomy.group(f.category), _title_key(f), None)


def query_keys(f: Facts, taxonomy: Taxonomy, own: set[int] | None = None) -> set[int]:
    """The keys to look up for a complaint: its own (``own`` when already computed), the eight
    cells around its point, and its area (earlier complaints that had only an area)."""
    g = taxonomy.group(f.category)
    title = _title_key(f)
    keys = set(own if own is not None else _own_keys(f, g, title, None))
    return _add_lookups(keys, f, g, title, None)


KeyMemo = dict[tuple[object, ...], int]


def keys_of(f: Facts, taxonomy: Taxonomy, memo: KeyMemo | None = None) -> tuple[set[int], set[int]]:
    """``block_keys`` and ``query_keys`` at once (the rebuild needs both for every complaint);
    ``memo`` keeps the hashes of the keys complaints share (places, cells, areas) for a run."""
    g = taxonomy.group(f.category)
    title = _title_key(f)
    own = _own_keys(f, g, title, memo)
    return own, _add_lookups(set(own), f, g, title, memo)


def _own_keys(f: Facts, g: int, title: str | None, memo: KeyMemo | None) -> set[int]:
    keys = set()
    if f.place is not None:
        keys.add(_shared(memo, "p", g, f.district or 0, f.place.key))
    if f.point is not None:
        cx, cy = cell_of(*f.point)
        keys.add(_shared(memo, "g", g, cx, cy))
    person = f.person()
    if person:
        keys.add(stable_key(f"h|{g}|{person}"))
    if f.place is None and f.point is None:
        if f.area is not None:
            keys.add(_shared(memo, "a", g, f.area))
        if title:
            keys.add(stable_key(f"t|{g}|{title}"))
    return keys


def _add_lookups(
    keys: set[int], f: Facts, g: int, title: str | None, memo: KeyMemo | None
) -> set[int]:
    if f.point is not None:
        cx, cy = cell_of(*f.point)
        keys.update(_shared(memo, "g", g, cx + i, cy + j) for i in (-1, 0, 1) for j in (-1, 0, 1))
    if f.area is not None:
        keys.add(_shared(memo, "a", g, f.area))
    if title:
        keys.add(stable_key(f"t|{g}|{title}"))
    return keys


def _shared(memo: KeyMemo | None, *parts: object) -> int:
    """The key of a place, a cell or an area: shared by many complaints, so hashed once."""
    if memo is None:
        return _shared_key(*parts)
    value = memo.get(parts)
    if value is None:
        value = memo[parts] = stable_key("|".join(map(str, parts)))
    return value


@lru_cache(maxsize=1 << 14)
def _shared_key(*parts: object) -> int:
    return stable_key("|".join(map(str, parts)))


_NOT_TITLE = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]")


def _title_key(f: Facts) -> str | None:
    """A text with nothing else to go by is also filed under its opening words (a repost
    under the same title finds the first)."""
    first = f.text.partition("。")[0]
    # The pattern drops single characters: the head of a prefix is the head of the whole.
    head = _NOT_TITLE.sub("", first[:64])[:24]
    if len(head) < 24 and len(first) > 64:
        head = _NOT_TITLE.sub("", first)[:24]
    return head if len(head) >= 8 else None


def score_pair(x: Facts, y: Facts, taxonomy: Taxonomy) -> Match:
    """How surely ``x`` is about the same issue as ``y``, with every signal explained."""
    place, place_why = place_similarity(x.place, y.place)
    if place and x.district and y.district and x.district != y.district:
        place, place_why = 0.0, "同名地址但不在同一区"
    if x.point is not None and y.point is not None:
        d = distance_m(*x.point, *y.point)
        near = coordinate_similarity(d)
        # Two different door numbers a few metres apart are two buildings: the points only
        # count fully when an address does not say otherwise.
        if x.place is not None and y.place is not None and place < 0.3:
            near = min(near, 0.3)
        if near > place:
            place, place_why = near, f"相距约{round(d)}米"
    category, category_why = taxonomy.relation(x.category, y.category)
    text = texts.similarity(x.bigrams(), y.bigrams())
    same_person = _same_person(x, y)
    weights = dict(WEIGHTS)
    if category is None:
        weights["text"] += weights.pop("category")
        category = 0.0
    score = (
        weights["place"] * place
        + weights.get("category", 0.0) * category
        + weights["text"] * text
        + weights["person"] * (1.0 if same_person else 0.0)
    )
    # Two known, different categories at one spot are usually two problems (noise and a stall
    # at one door): only a text that says the same thing can carry such a link.
    if category < 1.0 and x.category is not None and y.category is not None and text < 0.45:
        score = min(score, 0.5)
    # The same words from the same person within the window: the same issue, wherever it is.
    if same_person and text >= 0.8:
        score = max(score, 0.8)
    # Nothing but the words (no place, no category on either side): a long text said again
    # almost word for word is worth a person's look, never counted by itself.
    if (
        text >= 0.85
        and place == 0
        and x.category is None
        and y.category is None
        and min(len(x.bigrams()), len(y.bigrams())) >= 20
    ):
        score = max(score, 0.6)
    # The same title (its opening words) on both, where nothing else places them: worth a look.
    # (Only without categories: where text is a request type, its "title" is the category.)
    same_title = x.place is None and y.place is None and x.category is None and y.category is None
    same_title = same_title and _title_key(x) is not None
    same_title = same_title and _title_key(x) == _title_key(y)
    if same_title:
        score = max(score, 0.6)
    signals = {
        "place": {"value": round(place, 3), "why": place_why},
        "category": {"value": round(category, 3), "why": category_why},
        "text": {"value": round(text, 3), "why": f"文本相似度{round(text * 100)}%"},
        "person": {
            "value": 1.0 if same_person else 0.0,
            "why": "同一投诉人" if same_person else "投诉人不同或未知",
        },
    }
    if same_title:
        signals["title"] = {"value": 1.0, "why": "标题相同"}
    return Match(y, round(min(score, 1.0), 3), signals)


def _same_person(x: Facts, y: Facts) -> bool:
    if x.phone and y.phone:
        return x.phone == y.phone
    px, py = x.person(), y.person()
    return px is not None and px == py


def decide(
    x: Facts,
    candidates: Iterable[Facts],
    cases: dict[int, CaseState],
    people: dict[int, Sequence[Facts]],
    taxonomy: Taxonomy,
    rules: Rules,
) -> Decision | None:
    """The link for ``x``: the kind, the earlier complaint, the score and the explanation; None
    when no earlier complaint in the window scores ``rules.suggest``.

    ``cases``: the candidates' cases; ``people``: complaints on each of those cases (for "the
    same complainant again"). Only complaints before ``x`` (``Facts.order``) are considered.
    """
    lookback = taxonomy.lookback.get(x.category or -1, rules.lookback_days) * DAY
    matches: list[Match] = []
    mine, latest = x.order, x.received + rules.ahead_seconds
    for y in candidates:
        if y.id == x.id or y.order >= mine or y.received > latest:
            continue
        case = cases.get(y.case_id or -1)
        last = y.received
        if case is not None and case.ended is not None and case.ended <= x.created:
            last = max(last, case.ended)
        if x.received - last > lookback:
            continue
        match = score_pair(x, y, taxonomy)
        if match.score >= rules.suggest:
            gap_days, window_days = (x.received - last) / DAY, int(lookback / DAY)
            match.signals["time"] = {
                "value": round(1 - max(0.0, gap_days) / window_days, 3),
                "why": f"距上次{_gap_text(x.received - y.received)}（回溯期{window_days}天）",
            }
            matches.append(match)
    if not matches:
        return None
    return _kind_of(x, matches, cases, people, rules)


def _kind_of(
    x: Facts,
    matches: list[Match],
    cases: dict[int, CaseState],
    people: dict[int, Sequence[Facts]],
    rules: Rules,
) -> Decision:
    def state(m: Match) -> CaseState | None:
        return cases.get(m.earlier.case_id or -1)

    def is_open(m: Match) -> bool:
        s = state(m)
        return s is not None and s.open_at(x.created)

    duplicates = [m for m in matches if _duplicate(x, m, rules)]
    if duplicates:
        best = max(duplicates, key=lambda m: (m.score, m.earlier.order))
        join = best.earlier.case_id if is_open(best) else None
        return _decision(x, DUPLICATE, best, join, rules)
    opened = [m for m in matches if is_open(m)]
    if opened:
        best = max(opened, key=lambda m: (m.score, m.earlier.order))
        on_case = [p for p in people.get(best.earlier.case_id or -1, ()) if p.order < x.order]
        same = any(_same_person(x, p) for p in on_case) or _same_person(x, best.earlier)
        return _decision(x, SAME if same else OTHER, best, best.earlier.case_id, rules)
    best = max(matches, key=lambda m: (m.score, m.earlier.order))
    ended = state(best)
    if ended is not None and ended.ended_how == "closed":
        return _decision(x, RECURRENCE, best, None, rules)
    # The earlier case was never handled (not filed): a repeat, but nothing came back.
    return _decision(x, SAME if _same_person(x, best.earlier) else OTHER, best, None, rules)


def _duplicate(x: Facts, m: Match, rules: Rules) -> bool:
    """The same complaint reaching the platform twice: the same person and words within minutes,
    through two channels (forwarded by both 12345 and 96345)."""
    y = m.earlier
    gap = abs(x.received - y.received)
    if gap > rules.duplicate_minutes * 60 or m.signals["person"]["value"] < 1.0:
        return False
    if x.channel == y.channel:
        return False  # the same channel twice is a re-send (same ticket) or a repeat
    m.signals["channel"] = {"value": 1.0, "why": f"{y.channel}与{x.channel}相隔{_gap_text(gap)}"}
    return bool(m.signals["text"]["value"] >= 0.6)


def _decision(x: Facts, kind: str, best: Match, join: int | None, rules: Rules) -> Decision:
    explanation = {
        "score": best.score,
        "kind": kind,
        "signals": best.signals,
        "thresholds": {"suggest": rules.suggest, "confirm": rules.confirm},
    }
    confirmed = best.score >= rules.confirm
    return Decision(x.id, kind, best.earlier, best.score, confirmed, join, explanation)


def _gap_text(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))}分钟"
    if seconds < DAY:
        return f"{round(seconds / 3600, 1):g}小时"
    return f"{round(seconds / DAY)}天"
