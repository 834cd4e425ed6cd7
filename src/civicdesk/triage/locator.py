"""Chinese address text → district → street → community of the configured area tree.

One Aho–Corasick automaton (``pyahocorasick``) holds every name a place goes by: districts (and
their other names, before and after the 2021 re-districting, from ``places.yaml``), streets
(full: 西溪街道; short: 西溪), communities (full: 上马塍社区; short: 上马塍), landmarks and roads
that ``places.yaml`` maps, and the districts outside the platform's area (to say so rather than
fail). One pass finds every name in the text; the longest names win where matches overlap
(西溪街道 is not also 西溪). Each street then collects the evidence that points at it:

| evidence | weight |
|---|---|
| the street's full name | 8 |
| a community of the street, full name | 6 (shared between the streets having one of that name) |
| a landmark or road of ``places.yaml`` | 4 |
| a community's short name | 3 (shared) |
| the street's short name | 2 |
| a district (or another name of it) the street lies in | +1 to each of its streets |

The street with the most evidence is the answer when it beats the next one; a tie is reported
as ambiguous, never settled by a coin. Without street evidence, a district is resolved only when
every street it may mean lies in one configured district (拱墅区 written today also covers the
former 下城区, so on its own it resolves nothing). What could not be resolved is said in
``Location.unresolved``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter

import ahocorasick

from civicdesk.triage.text import normalise

WEIGHTS = {
    "street": 8.0,
    "community": 6.0,
    "landmark": 4.0,
    "community_short": 3.0,
    "street_short": 2.0,
    "district": 1.0,
}
# Only the start of a complaint's text is searched for places: an address is given early, and
# the rest of a long text (quotations, history) names other places.
TEXT_CHARS = 500
# Suffixes that make a street's short name part of another word: 朝晖路 is a road (which may
# cross several streets), 西溪湿地 a park; the short name counts only when none follows it.
_NOT_A_STREET_AFTER = set("路街巷弄桥道湿")
# Sort keys of matches: length × this outweighs any position in a searched text.
_LONGER = 1 << 20
# "苏州市姑苏区", "北京市东城区": a city followed by one of its districts. Only this full shape
# counts as another city's address — 超市, 夜市, 城市 alone are not cities.
_CITY_DISTRICT = re.compile(r"([\u4e00-\u9fff]{2,3})市[\u4e00-\u9fff]{1,4}?[区县]")


@dataclass(frozen=True)
class AreaInfo:
    id: int
    code: str
    name: str
    short_name: str
    level: str
    parent_id: int | None


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    label: str  # the kinds of place the name is, e.g. "community/street_short"
    outside: bool
    district: bool
    short_street: bool
    # (street id, weight, community id or 0, by the street's full name)
    contributions: tuple[tuple[int, float, int, bool], ...]
    length: int = 0


@dataclass(frozen=True)
class PlacesConfig:
    """``places.yaml``: the names people write that are not area names."""

    # other name → the street codes it may mean (a district's current or former extent)
    district_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # landmark or road → street code
    landmarks: dict[str, str] = field(default_factory=dict)
    # names of districts outside the platform's area
    outside: tuple[str, ...] = ()
    # the platform's own city, as written before its districts ("杭州"): "X市Y区" with another
    # X is another city's address
    city: str = "杭州"


@dataclass(frozen=True)
class Location:
    district: AreaInfo | None = None
    street: AreaInfo | None = None
    community: AreaInfo | None = None
    # (kind, name as written) of every name found
    evidence: tuple[tuple[str, str], ...] = ()
    unresolved: tuple[str, ...] = ()

    @property
    def area(self) -> AreaInfo | None:
        """The most specific area found."""
        return self.community or self.street or self.district

    @property
    def resolved(self) -> bool:
        return self.area is not None

    def as_dict(self) -> dict[str, object]:
        return {
            "district": self.district.code if self.district else None,
            "street": self.street.code if self.street else None,
            "community": self.community.code if self.community else None,
            "evidence": [list(e) for e in self.evidence],
            "unresolved": list(self.unresolved),
        }


class Locator:
    def __init__(self, areas: Iterable[AreaInfo], places: PlacesConfig | None = None) -> None:
        places = places or PlacesConfig()
        self.areas = {a.id: a for a in areas}
        self.by_code = {a.code: a for a in self.areas.values()}
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[str, int]]] = {}

        def add(name: str, kind: str, target: int) -> None:
            name = normalise(name)
            if len(name) >= 2:
                entries.setdefault(name, []).append((kind, target))

        for area in self.areas.values():
            if area.level == "district":
                add(area.name, "district", area.id)
            elif area.level == "street":
                add(area.name, "street", area.id)
                if area.short_name != area.name:
                    add(area.short_name, "street_short", area.id)
            elif area.level == "community":
                add(area.name, "community", area.id)
                short = area.name.removesuffix("社区")
                if short != area.name:
                    add(short, "community_short", area.id)
        self._district_streets: dict[str, set[int]] = {}
        for area in self.areas.values():
            if area.level == "street" and area.parent_id in self.areas:
                district = normalise(self.areas[area.parent_id].name)
                self._district_streets.setdefault(district, set()).add(area.id)
        for name, codes in places.district_names.items():
            key = normalise(name)
            streets = {self.by_code[c].id for c in codes if c in self.by_code}
            self._district_streets[key] = self._district_streets.get(key, set()) | streets
            if not any(kind == "district" for kind, _ in entries.get(key, [])):
                add(name, "district_name", 0)
        for name, code in places.landmarks.items():
            if code in self.by_code:
                add(name, "landmark", self.by_code[code].id)
        for name in places.outside:
            add(name, "outside", 0)
        for name, targets in entries.items():
            self._automaton.add_word(name, self._entry(name, tuple(targets)))
        if entries:
            self._automaton.make_automaton()
        self._empty = not entries
        self._city = places.city

    def _entry(self, name: str, targets: tuple[tuple[str, int], ...]) -> _Entry:
        """Everything the decision needs of a name, worked out once when the automaton is built:
        per street it points at, the weight, the community named (0: none), whether by the
        street's full name."""
        kinds = {kind for kind, _ in targets}
        contributions = []
        for kind, target in targets:
            if kind in ("street", "street_short", "landmark"):
                contributions.append((target, WEIGHTS[kind], 0, kind == "street"))
            elif kind in ("community", "community_short"):
                street = self.areas[target].parent_id or 0
                contributions.append((street, WEIGHTS[kind] / len(targets), target, False))
        return _Entry(
            name,
            "/".join(sorted(kinds)),
            "outside" in kinds,
            bool(kinds & {"district", "district_name"}),
            kinds == {"street_short"},
            tuple(contributions),
            len(name),
        )

    # ---- finding names ------------------------------------------------------------------------

    def _matches(self, text: str) -> list[_Entry]:
        """Non-overlapping names, longest first where they overlap, in text order."""
        # Sorted by one integer: longer names first, then by where they start (a name and a
        # position identify a match, so no two keys are equal and entries are never compared).
        found = [
            (end + 1 - e.length * (_LONGER + 1), end - e.length + 1, end, e)
            for end, e in self._automaton.iter(text)
        ]
        if len(found) == 1 and not found[0][3].short_street:
            return [found[0][3]]
        found.sort()
        used = bytearray(len(text))  # 1 where a chosen name lies
        chosen = []
        for _, start, end, entry in found:
            if used.find(1, start, end + 1) >= 0:
                continue
            # A street's short name followed by 路/街/桥… names a road or a park, not the street.
            if entry.short_street and end + 1 < len(text) and text[end + 1] in _NOT_A_STREET_AFTER:
                continue
            used[start : end + 1] = b"\x01" * entry.length
            chosen.append((start, entry))
        chosen.sort(key=itemgetter(0))
        return [entry for _, entry in chosen]

    def placed(self, code: str, how: str = "picked") -> Location:
        """The Location of a known area (picked by a person, or found by coordinates)."""
        chain: dict[str, AreaInfo] = {}
        node = self.by_code.get(code)
        while node is not None:
            chain[node.level] = node
            node = self.areas.get(node.parent_id or 0)
        return Location(
            chain.get("district"),
            chain.get("street"),
            chain.get("community"),
            ((how, code),),
        )

    def locate(self, *texts: str | None) -> Location:
        """The place the texts name (an address first, then the complaint text): the evidence of
        all of them together."""
        if len(texts) == 1:  # an address alone: the common case, without the generic path
            return self._locate(normalise(texts[0], limit=TEXT_CHARS))
        return self.locate_normalised(*(normalise(t, limit=TEXT_CHARS) for t in texts if t))

    def locate_normalised(self, *texts: str) -> Location:
        """``locate`` of texts already normalised (``text.normalise_many``). The first text (the
        address) alone when it places a street; otherwise all of them together."""
        first = texts[0] if texts else ""
        if len(texts) == 1:
            return self._locate(first[:TEXT_CHARS])
        if first:
            found = self._locate(first[:TEXT_CHARS])
            if found.street is not None:
                return found
        return self._locate(" | ".join(t[:TEXT_CHARS] for t in texts if t))

    def _locate(self, joined: str) -> Location:
        if not joined or self._empty:
            return Location(unresolved=("没有地址或地名 / no address or place name",))
        others = (
            [m.group(1) for m in _CITY_DISTRICT.finditer(joined) if m.group(1) != self._city]
            if "市" in joined
            else []
        )
        return self._decide(self._matches(joined), [f"{name}市" for name in others])

    def _decide(self, matches: list[_Entry], others: list[str]) -> Location:
        scores: dict[int, float] = {}
        named_streets: dict[int, float] = {}  # by their full names only
        communities: dict[int, list[int]] = {}  # street id → community ids named
        allowed: set[int] = set()
        outside: list[str] = list(others)
        for entry in matches:
            if entry.outside:
                outside.append(entry.name)
            if entry.district:
                allowed |= self._district_streets.get(entry.name, set())
            for street, weight, community, full in entry.contributions:
                scores[street] = scores.get(street, 0.0) + weight
                if full:
                    named_streets[street] = named_streets.get(street, 0.0) + weight
                if community:
                    communities.setdefault(street, []).append(community)
        if outside and not allowed:
            # A district outside the platform is named and none of ours: only a street's full
            # name still counts (人民路 of 滨江区 is not the 人民路社区 of ours).
            scores = dict(named_streets)
            communities = {}
        for street in allowed & scores.keys():
            scores[street] += WEIGHTS["district"]
        evidence = [(e.label, e.name) for e in matches]
        return self._result(scores, communities, allowed, evidence, outside)

    def _result(
        self,
        scores: dict[int, float],
        communities: dict[int, list[int]],
        allowed: set[int],
        evidence: list[tuple[str, str]],
        outside: list[str],
    ) -> Location:
        unresolved: list[str] = []
        # Stable: streets of equal evidence keep the order they were found in.
        ranked = sorted(scores.items(), key=itemgetter(1), reverse=True)
        street = None
        if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
            street = self.areas[ranked[0][0]]
        elif ranked:
            tied = [self.areas[s].name for s, v in ranked if v == ranked[0][1]]
            unresolved.append(f"街道不确定 / street ambiguous: {'、'.join(tied[:4])}")
        district = None
        if street is not None:
            district = self.areas.get(street.parent_id or 0)
        else:
            candidates = {s for s, v in ranked if v == ranked[0][1]} if ranked else allowed
            parents = {self.areas[s].parent_id for s in candidates if s in self.areas}
            if len(parents) == 1 and None not in parents:
                district = self.areas[parents.pop() or 0]
            elif allowed:
                unresolved.append("区不确定（区划调整前后同名）/ district ambiguous")
        community = None
        if street is not None:
            named = sorted(set(communities.get(street.id, [])))
            if len(named) == 1:
                community = self.areas[named[0]]
        if street is None and district is None:
            if outside:
                unresolved.append(f"不在本平台范围 / outside the platform's area: {outside[0]}")
            elif not evidence:
                unresolved.append("未找到可识别的地名 / no known place name")
        elif street is None:
            unresolved.append("未能确定街道 / street not resolved")
        return Location(district, street, community, tuple(evidence), tuple(unresolved))
