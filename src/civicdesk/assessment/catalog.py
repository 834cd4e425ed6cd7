"""Reference data the engine reads once per evaluation: names, codes and order of areas, units,
categories and channels; the hot-spot mapping; and the scope filters resolved to fact ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.assessment.facts import hotspot_ancestors
from civicdesk.errors import InvalidInput, NotFound
from civicdesk.intake.models import Channel
from civicdesk.org.models import Area, AreaLevel, Unit
from civicdesk.reports.summary import resolve_area
from civicdesk.taxonomy.models import Category

UNLOCATED = "未定位"
UNCATEGORISED = "未分类"
UNASSIGNED = "未派遣"
NOT_HOTSPOT = "非热点问题"


@dataclass(frozen=True)
class Entry:
    id: int
    code: str
    name: str
    parent_id: int | None
    order: tuple[int, ...]
    level: str = ""


@dataclass(frozen=True)
class Catalog:
    areas: dict[int, Entry]
    units: dict[int, Entry]
    categories: dict[int, Entry]
    channels: dict[str, int]
    hotspots: dict[int, int]  # category id → flagged hot-spot category id
    flagged: tuple[int, ...]  # the flagged categories, in configured order

    def entries(self, column: str) -> dict[int, Entry]:
        if column in ("district_id", "street_id"):
            return self.areas
        if column == "unit_id":
            return self.units
        return self.categories

    def describe(self, by: str, key: tuple[Any, ...]) -> tuple[tuple[str | None, ...], str]:
        from civicdesk.assessment.engine import GROUPINGS

        codes: list[str | None] = []
        names: list[str] = []
        for column, value in zip(GROUPINGS[by], key, strict=True):
            entry = self.entries(column).get(value) if value is not None else None
            codes.append(entry.code if entry else None)
            names.append(entry.name if entry else _missing(column))
        return tuple(codes), "·".join(names) if names else "合计"

    def sort_key(self, by: str, key: tuple[Any, ...]) -> tuple[Any, ...]:
        from civicdesk.assessment.engine import GROUPINGS

        parts: list[Any] = []
        for column, value in zip(GROUPINGS[by], key, strict=True):
            entry = self.entries(column).get(value) if value is not None else None
            # Unknown and null keys sort last, in a stable order.
            parts.append((0, entry.order) if entry else (1, (value is None, value or 0)))
        return tuple(parts)


def _missing(column: str) -> str:
    return {
        "district_id": UNLOCATED,
        "street_id": UNLOCATED,
        "unit_id": UNASSIGNED,
        "category_id": UNCATEGORISED,
        "hotspot_category_id": NOT_HOTSPOT,
    }[column]


def load(session: Session) -> Catalog:
    # Communities are not a grouping of the engine: leave their hundreds of rows unread.
    area_rows = session.execute(
        select(Area.id, Area.code, Area.name, Area.parent_id, Area.sort_order, Area.level).where(
            Area.level != AreaLevel.community
        )
    ).all()
    area_parent = {a.id: a.parent_id for a in area_rows}
    area_order = {a.id: (a.sort_order, a.id) for a in area_rows}
    areas = {
        a.id: Entry(
            a.id, a.code, a.name, a.parent_id, _path(a.id, area_parent, area_order), a.level
        )
        for a in area_rows
    }
    units = {
        u.id: Entry(u.id, u.code, u.name, u.parent_id, (u.id,), u.kind)
        for u in session.execute(select(Unit.id, Unit.code, Unit.name, Unit.parent_id, Unit.kind))
    }
    raw = session.execute(
        select(Category.id, Category.code, Category.name, Category.parent_id, Category.sort_order)
    ).all()
    parents = {r.id: r.parent_id for r in raw}
    orders = {r.id: (r.sort_order, r.id) for r in raw}

    def path_order(cid: int) -> tuple[int, ...]:
        chain: list[int] = []
        node: int | None = cid
        while node is not None and len(chain) <= 2 * len(parents):
            chain = [*orders[node], *chain]
            node = parents.get(node)
        return tuple(chain)

    categories = {r.id: Entry(r.id, r.code, r.name, r.parent_id, path_order(r.id)) for r in raw}
    hotspots = hotspot_ancestors(session)
    flagged = tuple(sorted(set(hotspots.values()), key=lambda cid: categories[cid].order))
    channels = dict(session.execute(select(Channel.code, Channel.id)).all())
    return Catalog(areas, units, categories, channels, hotspots, flagged)


def _path(
    node_id: int, parents: dict[int, int | None], orders: dict[int, tuple[int, int]]
) -> tuple[int, ...]:
    """Sort key along the path from the root: children follow their parent's order."""
    chain: list[int] = []
    node: int | None = node_id
    while node is not None and node in orders and len(chain) <= 2 * len(orders):
        chain = [*orders[node], *chain]
        node = parents.get(node)
    return tuple(chain)


def resolve_filters(
    session: Session,
    cat: Catalog,
    *,
    area_code: str | None = None,
    unit_code: str | None = None,
    category_code: str | None = None,
    channel_code: str | None = None,
) -> Any:
    from civicdesk.assessment.engine import Filters

    equal: dict[str, tuple[int, ...]] = {}
    if area_code:
        area = resolve_area(session, area_code)
        if area.level == AreaLevel.district:
            equal["district_id"] = (area.id,)
        elif area.level == AreaLevel.street:
            equal["street_id"] = (area.id,)
        elif area.level != AreaLevel.city:
            raise InvalidInput(
                f"考核范围只能是市、区或街道，“{area.name}”是社区 / scope must be a city, "
                "district or street",
                field="area",
            )
    if unit_code:
        unit = next((u for u in cat.units.values() if u.code == unit_code), None)
        if unit is None:
            unit = next((u for u in cat.units.values() if u.name == unit_code), None)
        if unit is None:
            raise NotFound(f"未找到单位“{unit_code}” / unknown unit", field="unit")
        equal["unit_id"] = (unit.id,)
    if category_code:
        top = next((c for c in cat.categories.values() if category_code in (c.code, c.name)), None)
        if top is None:
            raise NotFound(f"未找到类别“{category_code}” / unknown category", field="category")
        equal["category_id"] = tuple(sorted(_descendants(cat, top.id)))
    if channel_code:
        if channel_code not in cat.channels:
            raise NotFound(f"未找到渠道“{channel_code}” / unknown channel", field="channel")
        equal["channel_id"] = (cat.channels[channel_code],)
    return Filters(equal)


def _descendants(cat: Catalog, root: int) -> set[int]:
    found = {root}
    changed = True
    while changed:
        changed = False
        for c in cat.categories.values():
            if c.parent_id in found and c.id not in found:
                found.add(c.id)
                changed = True
    return found


def members(session: Session, cat: Catalog, by: str, filters: Any) -> list[tuple[Any, ...]]:
    """Groups shown even without complaints: districts, streets, hot-spot categories in scope."""
    del session
    scope = filters.equal
    if by == "district":
        ids = [a.id for a in cat.areas.values() if a.level == AreaLevel.district]
        if "district_id" in scope:
            ids = [i for i in ids if i in scope["district_id"]]
        if "street_id" in scope:
            ids = [cat.areas[s].parent_id for s in scope["street_id"] if s in cat.areas]
    elif by == "street":
        ids = [a.id for a in cat.areas.values() if a.level == AreaLevel.street]
        if "district_id" in scope:
            ids = [i for i in ids if cat.areas[i].parent_id in scope["district_id"]]
        if "street_id" in scope:
            ids = [i for i in ids if i in scope["street_id"]]
    elif by == "hotspot_category":
        ids = list(cat.flagged)
        if "category_id" in scope:
            ids = [i for i in ids if i in scope["category_id"]]
    else:
        return []
    entries = cat.areas if by in ("district", "street") else cat.categories
    ids = [i for i in ids if i is not None]
    return [(i,) for i in sorted(set(ids), key=lambda i: entries[i].order)]
