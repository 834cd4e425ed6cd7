"""Triage of one complaint or a batch, in memory: classify, locate, route.

``Engine`` holds everything triage reads — the active model (or the lexicon of the cold start),
the locator, the routing rules, the category tree and which units cover which area — built once
from the database by ``service.engine`` and then used without touching it, so a complaint takes
well under a millisecond and a batch goes through numpy at once (benchmarks/bench_triage.py).
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from civicdesk.triage import router
from civicdesk.triage.classifier import BODY_CHARS, Prediction, TriageModel
from civicdesk.triage.lexicon import Lexicon
from civicdesk.triage.locator import TEXT_CHARS, Location, Locator
from civicdesk.triage.text import normalise_many

LOW_CONFIDENCE = 0.6
COLD_START = "lexicon"
# Routes are remembered per (category, area): an engine's rules and units do not change (the
# service builds a new engine when the configuration does), and a city has a few thousand
# such pairs at most. The cap only bounds memory against an unexpected spread.
ROUTE_MEMO = 50_000
# Batches at least this large run with the cyclic garbage collector paused (``triage_many``).
GC_PAUSE_FROM = 100


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    name: str
    parent: str | None
    in_remit: bool
    leaf: bool


@dataclass(frozen=True)
class Classification:
    category: str | None  # category code
    label: str | None  # the model's own class (a category name or code)
    confidence: float | None
    alternatives: tuple[tuple[str, float], ...]  # (category code, probability)
    low_confidence: bool
    in_remit: bool | None
    source: str  # model version, or "lexicon"
    refined: bool = False  # a catch-all label narrowed to a category by its keywords


@dataclass(frozen=True)
class Triage:
    classification: Classification
    location: Location
    route: router.Route

    def as_dict(self, engine: Engine) -> dict[str, object]:
        c = self.classification
        categories = engine.categories
        unit = self.route.unit
        return {
            "category": c.category,
            "category_name": categories[c.category].name if c.category in categories else None,
            "confidence": c.confidence,
            "low_confidence": c.low_confidence,
            "in_remit": c.in_remit,
            "alternatives": [
                {"category": code, "name": categories[code].name, "confidence": p}
                for code, p in c.alternatives
                if code in categories
            ],
            "model_version": c.source,
            "location": self.location.as_dict()
            | {"name": self.location.area.name if self.location.area else None},
            "unit": unit,
            "unit_name": engine.unit_names.get(unit or "", None),
            "route": self.route.explanation,
        }


@dataclass
class Engine:
    categories: dict[str, CategoryInfo]
    lexicon: Lexicon
    locator: Locator
    routing: router.RoutingFile
    # area code → (unit code, unit kind, covered area name), in dispatch order
    covering: dict[str, list[tuple[str, str, str]]]
    unit_names: dict[str, str]
    model: TriageModel | None = None
    low_confidence: float = LOW_CONFIDENCE
    _by_label: dict[str, str] = field(default_factory=dict)
    _narrower: dict[str, frozenset[str]] = field(default_factory=dict)
    _routes: dict[tuple[str | None, str | None], router.Route] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.model is not None and self.model.lexicon.words == self.lexicon.words:
            # The same keywords: one automaton and one memo, so narrowing a catch-all label
            # reuses the keyword evidence the model's features just found in the same text.
            self.lexicon = self.model.lexicon
        for info in self.categories.values():
            self._by_label.setdefault(info.name, info.code)
            self._by_label[info.code] = info.code

    # ---- classification -------------------------------------------------------------------

    def category_of(self, label: str) -> str | None:
        return self._by_label.get(label)

    def classify_many(
        self, titles: Sequence[str | None], texts: Sequence[str | None]
    ) -> list[Classification]:
        return self._classify(normalise_many(titles), normalise_many(texts))

    def _classify(self, titles: list[str], texts: list[str]) -> list[Classification]:
        """Texts already normalised."""
        if self.model is None:
            return [self._cold_start(t, x) for t, x in zip(titles, texts, strict=True)]
        predictions = self.model.predict_many(titles, texts, normalised=True)
        return [
            self._from_prediction(p, t, x)
            for p, t, x in zip(predictions, titles, texts, strict=True)
        ]

    def _from_prediction(self, p: Prediction, title: str, text: str) -> Classification:
        code = self.category_of(p.label)
        refined = False
        if code is not None:
            narrower = self._refine(code, title, text)
            refined = narrower != code
            code = narrower
        alternatives = tuple(
            (c, prob) for label, prob in p.alternatives if (c := self.category_of(label))
        )
        info = self.categories.get(code or "")
        return Classification(
            code,
            p.label,
            p.confidence,
            alternatives,
            p.confidence < self.low_confidence or code is None,
            info.in_remit if info else None,
            self.model.version if self.model else COLD_START,
            refined,
        )

    def _stands_for(self, code: str) -> frozenset[str]:
        """The categories a label stands for: those of its remit the model has no class of
        (其他城管事项 for every other city-management category, 非城管事项 for its children);
        empty when the label is simply its own category."""
        if code not in self._narrower:
            info = self.categories[code]
            known = {self.category_of(str(c)) for c in self.model.classes} if self.model else set()
            found = {
                c.code
                for c in self.categories.values()
                if c.leaf and c.in_remit == info.in_remit and c.code not in known
            }
            if info.leaf:
                found.add(code)
            self._narrower[code] = frozenset(found) if len(found) > 1 else frozenset()
        return self._narrower[code]

    def _refine(self, code: str, title: str, text: str) -> str:
        """A catch-all label is narrowed to the category whose configured keywords the text uses
        most; it stays as it is when none occurs."""
        stands_for = self._stands_for(code)
        if not stands_for:
            return code
        cut = self.model.params.body_chars if self.model else BODY_CHARS
        scores = self.lexicon.scores(title, text[:cut])
        codes = self.lexicon.codes
        best = max(
            ((s, codes[i]) for i, s in scores.items() if codes[i] in stands_for), default=None
        )
        return best[1] if best else code

    def _cold_start(self, title: str, text: str) -> Classification:
        ranked = [
            (code, p)
            for code, p in self.lexicon.classify(title, text)
            if code in self.categories and self.categories[code].leaf
        ]
        if not ranked:
            return Classification(None, None, None, (), True, None, COLD_START)
        code, confidence = ranked[0]
        return Classification(
            code,
            code,
            confidence,
            tuple(ranked[1:3]),
            True,  # a keyword count is never sure enough to skip a person's look
            self.categories[code].in_remit,
            COLD_START,
        )

    # ---- the three together -----------------------------------------------------------------

    def route(self, category: str | None, location: Location) -> router.Route:
        key = (category, location.area.code if location.area else None)
        found = self._routes.get(key)
        if found is None:
            if len(self._routes) >= ROUTE_MEMO:
                self._routes.clear()
            found = self._routes[key] = self._route(category, location)
        return found

    def _route(self, category: str | None, location: Location) -> router.Route:
        chain = []
        while category is not None and category in self.categories:
            info = self.categories[category]
            chain.append(router.Named(info.code, info.name))
            category = info.parent
        areas = []
        node = location.area
        while node is not None:
            areas.append(router.Named(node.code, node.name))
            node = self.locator.areas.get(node.parent_id or 0)
        covering = self.covering.get(location.area.code, []) if location.area else []
        return router.route(
            self.routing,
            categories=chain,
            areas=areas,
            covering=covering,
            unit_names=self.unit_names,
        )

    def triage_many(
        self,
        titles: Sequence[str | None],
        texts: Sequence[str | None],
        addresses: Sequence[str | None],
        *,
        areas: Sequence[str | None] | None = None,
    ) -> list[Triage]:
        """``areas``: area codes already known (picked by the operator or the citizen).

        A large batch runs with Python's cyclic garbage collector paused: triage makes no
        reference cycles (what it allocates is freed by reference counting), yet the
        collector would scan the whole heap again and again while a batch allocates its
        results — 15–20% of a batch's time (docs/triage.md). It is restarted afterwards,
        unless it was already paused by the caller."""
        if len(titles) < GC_PAUSE_FROM or not gc.isenabled():
            return self._triage_many(titles, texts, addresses, areas=areas)
        gc.disable()
        try:
            return self._triage_many(titles, texts, addresses, areas=areas)
        finally:
            gc.enable()

    def _triage_many(
        self,
        titles: Sequence[str | None],
        texts: Sequence[str | None],
        addresses: Sequence[str | None],
        *,
        areas: Sequence[str | None] | None = None,
    ) -> list[Triage]:
        # The model reads the first ``body_chars`` of the text; the place search reads up to
        # ``TEXT_CHARS``, and only when the address alone placed no street: the rest of a
        # text is normalised for those complaints only.
        cut = self.model.params.body_chars if self.model else TEXT_CHARS
        t, x, a = (
            normalise_many(titles),
            normalise_many(texts, limit=cut),
            normalise_many(addresses),
        )
        classes = self._classify(t, x)
        locations: list[Location | None] = [None] * len(t)
        pending = []
        for i in range(len(t)):
            known = areas[i] if areas else None
            if known and known in self.locator.by_code:
                locations[i] = self.locator.placed(known)
                continue
            if a[i]:
                found = self.locator.locate_normalised(a[i])
                if found.street is not None:
                    locations[i] = found
                    continue
            pending.append(i)
        if pending:
            longer = (
                normalise_many([texts[i] for i in pending], limit=TEXT_CHARS)
                if cut < TEXT_CHARS
                else [x[i] for i in pending]
            )
            for i, text in zip(pending, longer, strict=True):
                locations[i] = self.locator.locate_normalised(a[i], t[i], text)
        placed = cast(list[Location], locations)  # every complaint has its location now
        return [
            Triage(c, location, self.route(c.category, location))
            for c, location in zip(classes, placed, strict=True)
        ]

    def triage(
        self,
        title: str | None,
        text: str | None,
        address: str | None = None,
        *,
        area: str | None = None,
    ) -> Triage:
        return self.triage_many([title], [text], [address], areas=[area])[0]
