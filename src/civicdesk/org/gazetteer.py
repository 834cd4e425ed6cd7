"""Find the street or community an address names, from the configured area names.

The configuration has no road list or boundaries for Hangzhou, so the only thing an address
can be matched on is the name of a street (街道/镇) or community (社区/村) written in it:
"西湖区西溪街道文三路100号" places the complaint in 西溪街道. A community name that occurs under
several streets counts only when a street or district named in the same text tells them apart.
Used by the citizen portal, Open311 and the service-card look-up (issue 3's locator will do
better with a road gazetteer or boundaries).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.org.models import Area, AreaLevel

CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Place:
    area_id: int
    code: str
    name: str
    level: str
    parent_id: int | None


@dataclass(frozen=True)
class Gazetteer:
    places: dict[int, Place]
    # name → the places of that name, longest names first (so 西溪街道 beats 西溪)
    names: list[tuple[str, list[Place]]]

    @classmethod
    def build(cls, areas: list[Area]) -> Gazetteer:
        places = {a.id: Place(a.id, a.code, a.name, a.level, a.parent_id) for a in areas}
        by_name: dict[str, list[Place]] = {}
        for place in places.values():
            if place.level == AreaLevel.city:
                continue
            by_name.setdefault(place.name, []).append(place)
        return cls(places, sorted(by_name.items(), key=lambda item: -len(item[0])))

    def ancestors(self, place: Place) -> list[int]:
        chain, node = [], place
        while node.parent_id is not None and node.parent_id in self.places:
            chain.append(node.parent_id)
            node = self.places[node.parent_id]
        return chain

    def locate(self, text: str | None) -> Place | None:
        """The most specific area the text names unambiguously, or None."""
        if not text:
            return None
        found: list[list[Place]] = []
        rest = text
        for name, places in self.names:
            if name in rest:
                found.append(places)
                rest = rest.replace(name, "\0")  # 西溪街道 must not also count as 西溪
        named = {p.area_id for places in found if len(places) == 1 for p in places}
        best: Place | None = None
        for places in found:
            candidates = [p for p in places if len(places) == 1 or named & set(self.ancestors(p))]
            if len(candidates) != 1:
                continue
            place = candidates[0]
            if best is None or _depth(self, place) > _depth(self, best):
                best = place
        return best


def _depth(gazetteer: Gazetteer, place: Place) -> int:
    return len(gazetteer.ancestors(place))


_cache: dict[int, tuple[float, int, Gazetteer]] = {}
_lock = threading.Lock()


def gazetteer(session: Session) -> Gazetteer:
    """The areas as a gazetteer, rebuilt when the area count changes or after a minute."""
    key = id(session.get_bind().engine) if hasattr(session.get_bind(), "engine") else 0
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[2]
    count = session.scalar(select(func.count()).select_from(Area)) or 0
    if cached is not None and cached[1] == count:
        built = cached[2]
    else:
        built = Gazetteer.build(list(session.scalars(select(Area))))
    with _lock:
        _cache[key] = (now, count, built)
    return built


def locate(session: Session, text: str | None) -> Place | None:
    return gazetteer(session).locate(text)
