"""Reference data for an import, loaded once: channels, categories and areas by code or by the
Chinese names hotline exports write, and an area's placement without a query per row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.intake.models import Channel
from civicdesk.intake.service import Lookups
from civicdesk.org.models import Area, AreaLevel
from civicdesk.org.service import Placement


class AreaIndex:
    """All areas in memory: resolve a code or a Chinese name, and place an area (as placement())."""

    _PREFERENCE = (AreaLevel.street, AreaLevel.district, AreaLevel.community, AreaLevel.city)

    def __init__(self, session: Session) -> None:
        self.areas = {a.id: a for a in session.scalars(select(Area))}
        self.by_code = {a.code: a for a in self.areas.values()}
        self.by_name: dict[str, list[Area]] = {}
        self.by_short: dict[str, list[Area]] = {}
        for area in self.areas.values():
            self.by_name.setdefault(area.name, []).append(area)
            self.by_short.setdefault(area.short_name, []).append(area)
        self._placements: dict[int, Placement] = {}
        self._resolved: dict[str, Area | str] = {}  # text → area, or the error message

    def resolve(self, text: str) -> Area:
        """By code; by full name (a street before a district before a community); by
        "区+街道"; by short name if unique. ValueError names the ambiguity."""
        if text not in self._resolved:
            try:
                self._resolved[text] = self._resolve(text)
            except ValueError as exc:
                self._resolved[text] = str(exc)
        found = self._resolved[text]
        if isinstance(found, str):
            raise ValueError(found)
        return found

    def _resolve(self, text: str) -> Area:
        if text in self.by_code:
            return self.by_code[text]
        candidates = self.by_name.get(text) or self._qualified(text)
        if candidates:
            for level in self._PREFERENCE:
                at_level = [a for a in candidates if a.level == level]
                if len(at_level) == 1:
                    return at_level[0]
                if at_level:
                    raise self._ambiguous(text, at_level)
        short = self.by_short.get(text, [])
        if len(short) == 1:
            return short[0]
        if short:
            raise self._ambiguous(text, short)
        raise ValueError(f"未知区域 {text}")

    def _ambiguous(self, text: str, areas: list[Area]) -> ValueError:
        options = "、".join(f"{self._path(a)}（{a.code}）" for a in areas[:5])
        return ValueError(f"区域名称“{text}”不唯一：{options}，请填写代码")

    def _qualified(self, text: str) -> list[Area]:
        # "西湖区西溪街道", "西湖区/西溪街道": a parent's name, then a name below it.
        for name, parents in self.by_name.items():
            if len(name) >= 2 and text.startswith(name) and len(text) > len(name):
                rest = text[len(name) :].strip(" /-·、,，")
                below = [
                    a
                    for a in self.by_name.get(rest, [])
                    if any(self._is_below(a, p) for p in parents)
                ]
                if below:
                    return below
        return []

    def _is_below(self, area: Area, ancestor: Area) -> bool:
        node = self.areas.get(area.parent_id) if area.parent_id else None
        while node is not None:
            if node.id == ancestor.id:
                return True
            node = self.areas.get(node.parent_id) if node.parent_id else None
        return False

    def _path(self, area: Area) -> str:
        parent = self.areas.get(area.parent_id) if area.parent_id else None
        if parent is None or parent.level == AreaLevel.city:
            return area.name
        return f"{parent.name}{area.name}"

    def placement(self, area: Area | None) -> Placement:
        """The same walk as ``org.service.placement``, without a query per row."""
        if area is None:
            return Placement(None, None, None)
        if area.id not in self._placements:
            district_id = street_id = None
            node: Area | None = area
            while node is not None:
                if node.level == AreaLevel.district:
                    district_id = node.id
                elif node.level == AreaLevel.street:
                    street_id = node.id
                node = self.areas.get(node.parent_id) if node.parent_id else None
            self._placements[area.id] = Placement(area.id, district_id, street_id)
        return self._placements[area.id]


@dataclass
class References:
    lookups: Lookups
    areas: AreaIndex
    channel_names: dict[str, Channel]
    category_names: dict[str, list[Any]]

    @classmethod
    def load(cls, session: Session) -> References:
        lookups = Lookups.load(session)
        category_names: dict[str, list[Any]] = {}
        for category in lookups.categories.values():
            category_names.setdefault(category.name, []).append(category)
        return cls(
            lookups,
            AreaIndex(session),
            {c.name: c for c in lookups.channels.values()},
            category_names,
        )

    def channel(self, text: str) -> Channel:
        found = self.lookups.channels.get(text) or self.channel_names.get(text)
        if found is None:
            raise ValueError(f"未知渠道 {text}")
        return found

    def category(self, text: str) -> str:
        if text in self.lookups.categories:
            return text
        named = self.category_names.get(text, [])
        if len(named) == 1:
            return str(named[0].code)
        if named:
            raise ValueError(f"类别名称“{text}”不唯一，请填写类别代码")
        raise ValueError(f"未知类别 {text}")
