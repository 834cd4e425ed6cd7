"""Reading the loaded configuration: the working calendar, settings, area paths, the units that
cover an area, and the category tree. Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.config.loader import upsert_overrides
from civicdesk.config.models import CalendarOverride, Setting
from civicdesk.config.schemas import parse_period
from civicdesk.core.calendar import OfficeHours, WorkCalendar, load_overrides_file
from civicdesk.errors import ConfigurationError, NotFound
from civicdesk.org.models import Area, Unit, UnitKind, unit_areas
from civicdesk.taxonomy.models import Category

# Who answers first for a place: the squadron on the street, then the street office, then
# the district's bureau and government, then city departments and the centre itself.
_KIND_ORDER = {
    UnitKind.squadron: 0,
    UnitKind.street_office: 1,
    UnitKind.enforcement_bureau: 2,
    UnitKind.district_government: 3,
    UnitKind.department: 4,
    UnitKind.centre: 5,
}


# ---- settings and the calendar ------------------------------------------------------------


def get_setting(session: Session, key: str, default: str | None = None) -> str | None:
    """A value of ``city.yaml``'s ``settings`` as stored (text), or ``default``."""
    row = session.get(Setting, key)
    return row.value if row is not None else default


def office_hours(session: Session) -> OfficeHours:
    """The configured office periods (``settings.office_hours``), Hangzhou's when unset."""
    value = get_setting(session, "office_hours")
    if not value:
        return OfficeHours()
    try:
        return OfficeHours(tuple(parse_period(text) for text in value.split(",")))
    except ValueError as exc:
        raise ConfigurationError(f"setting office_hours={value!r} is invalid: {exc}") from None


def calendar_overrides(session: Session) -> list[CalendarOverride]:
    """Every calendar override row, by day (with the note saying where it came from)."""
    return list(session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)))


def work_calendar(session: Session, *, assume_weekdays_for_unknown: bool = False) -> WorkCalendar:
    """The platform's working-day calendar: configured office hours, official holidays from
    ``chinese_calendar``, and the overrides loaded into the database.

    A year the package does not know becomes known once its holiday notice is loaded: the
    notice lists only the exceptions, so every other day of that year follows Mon–Fri."""
    overrides = {row.day: row.workday for row in session.scalars(select(CalendarOverride))}
    return WorkCalendar(
        office_hours(session),
        {**_regular_days_of_notified_years(overrides), **overrides},
        assume_weekdays_for_unknown=assume_weekdays_for_unknown,
    )


def officially_known(year: int) -> bool:
    """Whether ``chinese_calendar`` has the State Council's notice for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def notified_years(overrides: dict[date, bool] | set[date]) -> set[int]:
    """Years that the package does not know but for which overrides were loaded."""
    return {year for year in {d.year for d in overrides} if not officially_known(year)}


def _regular_days_of_notified_years(overrides: dict[date, bool]) -> dict[date, bool]:
    regular: dict[date, bool] = {}
    for year in notified_years(overrides):
        day = date(year, 1, 1)
        while day.year == year:
            regular[day] = day.weekday() < 5
            day += timedelta(days=1)
    return regular


def load_calendar_overrides(session: Session, path: str | Path) -> int:
    """Load a holiday-notice file (CSV or YAML, see ``core.calendar.load_overrides_file``) and
    upsert its days; returns how many days the file lists. Each row notes the file's name."""
    path = Path(path)
    try:
        overrides = load_overrides_file(path)
    except FileNotFoundError:
        raise ConfigurationError(f"找不到文件 / no such file: {path}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"日历文件无效 / invalid calendar file: {exc}") from None
    upsert_overrides(session, overrides, f"文件 {path.name}")
    return len(overrides)


# ---- areas and units ----------------------------------------------------------------------


def area_path(session: Session, area_id: int) -> list[Area]:
    """The area's ancestors and itself, root first (主城区 → 西湖区 → 西溪街道 → …)."""
    path: list[Area] = []
    current = session.get(Area, area_id)
    if current is None:
        raise NotFound(f"地区不存在 / no area with id {area_id}")
    while current is not None:
        path.append(current)
        current = session.get(Area, current.parent_id) if current.parent_id is not None else None
        if len(path) > 16:  # the loader refuses cycles; never spin on a hand-edited database
            raise ConfigurationError(f"area {area_id}: parent chain does not end")
    return path[::-1]


def units_covering(session: Session, area_id: int) -> list[Unit]:
    """Units whose covered areas include the area or one of its ancestors: squadrons first,
    then street offices, bureaus, governments, departments, the centre; within a kind, the
    unit covering the most specific area first."""
    depth = {area.id: index for index, area in enumerate(area_path(session, area_id))}
    rows = session.execute(
        select(Unit, unit_areas.c.area_id)
        .join(unit_areas, unit_areas.c.unit_id == Unit.id)
        .where(unit_areas.c.area_id.in_(depth))
    ).all()
    best: dict[int, tuple[Unit, int]] = {}
    for unit, covered in rows:
        if unit.id not in best or depth[covered] > best[unit.id][1]:
            best[unit.id] = (unit, depth[covered])
    ranked = sorted(
        best.values(),
        key=lambda pair: (_KIND_ORDER.get(UnitKind(pair[0].kind), 9), -pair[1], pair[0].code),
    )
    return [unit for unit, _ in ranked]


# ---- categories ---------------------------------------------------------------------------


@dataclass
class CategoryNode:
    category: Category
    children: list[CategoryNode] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.children


def _all_categories(session: Session) -> Sequence[Category]:
    return session.scalars(select(Category).order_by(Category.sort_order, Category.id)).all()


def category_tree(session: Session) -> list[CategoryNode]:
    """The top-level categories, each with its children, in configuration order."""
    nodes = {c.id: CategoryNode(c) for c in _all_categories(session)}
    roots: list[CategoryNode] = []
    for node in nodes.values():
        parent = nodes.get(node.category.parent_id) if node.category.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def leaf_categories(session: Session) -> list[Category]:
    """Categories without children: the ones a complaint is classified into."""
    categories = _all_categories(session)
    parents = {c.parent_id for c in categories if c.parent_id is not None}
    return [c for c in categories if c.id not in parents]


def hotspot_categories(session: Session) -> list[Category]:
    """The source's nine hot-spot (热点) categories, in configuration order."""
    return list(
        session.scalars(
            select(Category).where(Category.hotspot.is_(True)).order_by(Category.sort_order)
        )
    )
