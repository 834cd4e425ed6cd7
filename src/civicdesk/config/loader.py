"""Load a city's configuration directory into the reference tables.

Two phases, so that a bad file never leaves half a configuration behind: ``read_config`` parses
and cross-checks every file without touching the database (``civicdesk config check``), then
``load_config`` upserts the rows by code. Rows the files no longer mention are kept, because
complaints and cases refer to them; the summary lists them as "kept, not in configuration".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from civicdesk.config import policies
from civicdesk.config.models import CalendarOverride, Policy, Setting
from civicdesk.config.schemas import (
    AreasFile,
    CategoriesFile,
    CategoryEntry,
    ChannelsFile,
    CityFile,
    Problems,
    UnitsFile,
    dotted,
    find_file,
    parse_file,
)
from civicdesk.core.calendar import load_overrides_file
from civicdesk.errors import ConfigurationError
from civicdesk.intake.models import Channel
from civicdesk.org.models import Area, AreaLevel, Unit, unit_areas
from civicdesk.taxonomy.models import Category

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "configs"
SCHEMAS: dict[str, type[BaseModel]] = {
    "city": CityFile,
    "areas": AreasFile,
    "units": UnitsFile,
    "categories": CategoriesFile,
    "channels": ChannelsFile,
}
OPTIONAL_FILES = ("calendar",)
KINDS = (
    "settings",
    "areas",
    "units",
    "categories",
    "channels",
    "calendar",
    "policies",
    "schemes",
)


# ---- what the loader reports --------------------------------------------------------------


@dataclass
class KindSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Codes present in the database but absent from the files: never deleted, since data
    # (complaints, cases, routing rules) may refer to them.
    kept: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class LoadSummary:
    source: str
    kinds: dict[str, KindSummary] = field(default_factory=lambda: {k: KindSummary() for k in KINDS})
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, kind: str) -> KindSummary:
        return self.kinds[kind]

    @property
    def changed(self) -> bool:
        return any(s.created or s.updated for s in self.kinds.values())


# ---- the parsed, cross-checked configuration ------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row to upsert: its code, its column values, and its parent's code."""

    code: str
    values: dict[str, Any]
    parent: str | None


@dataclass(frozen=True)
class UnitRow(Row):
    area: str | None = None
    covers: tuple[str, ...] = ()


@dataclass
class Configuration:
    """Rows in dependency order (parents before children), ready to upsert."""

    directory: Path
    settings: dict[str, str] = field(default_factory=dict)
    areas: list[Row] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    categories: list[Row] = field(default_factory=list)
    channels: list[dict[str, Any]] = field(default_factory=list)
    calendar: dict[date, bool] = field(default_factory=dict)
    # supervision.yaml, feedback.yaml (optional): name → the validated document
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "settings": len(self.settings),
            "areas": len(self.areas),
            "units": len(self.units),
            "categories": len(self.categories),
            "channels": len(self.channels),
            "calendar": len(self.calendar),
            "policies": len(self.policies),
        }


# ---- reading -----------------------------------------------------------------------------


def resolve_source(source: str | Path) -> Path:
    """A built-in name ("hangzhou") or a directory path."""
    if isinstance(source, str) and "/" not in source and "\\" not in source:
        builtin = BUILTIN_DIR / source
        if builtin.is_dir():
            return builtin
    path = Path(source).expanduser()
    if not path.is_dir():
        names = ", ".join(sorted(p.name for p in BUILTIN_DIR.iterdir() if p.is_dir()))
        raise ConfigurationError(
            f"找不到配置 / no configuration {str(source)!r}: "
            f"give a directory or a built-in name ({names})"
        )
    return path


def read_config(source: str | Path) -> Configuration:
    """Parse and cross-check every file; raise ``ConfigurationError`` listing all problems."""
    directory = resolve_source(source)
    problems = Problems(directory)
    config = Configuration(directory=directory)
    parsed = {
        kind: parse_file(directory, kind, schema, problems) for kind, schema in SCHEMAS.items()
    }
    names = (*SCHEMAS, *OPTIONAL_FILES, *policies.SCHEMAS)
    known = {f"{kind}.{ext}" for kind in names for ext in ("yaml", "yml")}
    for path in sorted(directory.glob("*.y*ml")):
        if path.name not in known:
            config.warnings.append(f"{path.name}: not a configuration file name; ignored")

    city, areas = parsed["city"], parsed["areas"]
    area_codes = None  # unknown while city.yaml or areas.yaml is broken: skip those checks
    if isinstance(city, CityFile):
        config.settings = city.settings.as_rows()
        if isinstance(areas, AreasFile):
            config.areas = _area_rows(city, areas, problems)
            area_codes = {row.code for row in config.areas}
    if isinstance(parsed["units"], UnitsFile):
        config.units = _unit_rows(parsed["units"], area_codes, problems)
    if isinstance(parsed["categories"], CategoriesFile):
        config.categories = _category_rows(parsed["categories"], problems)
    if isinstance(parsed["channels"], ChannelsFile):
        config.channels = _channel_rows(parsed["channels"], problems)
    calendar = find_file(directory, "calendar", problems)
    if calendar is not None:
        try:
            config.calendar = load_overrides_file(calendar)
        except (ValueError, UnicodeDecodeError) as exc:
            problems.add(calendar.name, str(exc).removeprefix(f"{calendar.name}").lstrip(": "))
    units_ok = isinstance(parsed["units"], UnitsFile)
    categories_ok = isinstance(parsed["categories"], CategoriesFile)
    config.policies = policies.read_documents(
        directory,
        problems,
        unit_codes={row.code for row in config.units} if units_ok else None,
        category_codes={row.code for row in config.categories} if categories_ok else None,
        area_codes=area_codes,
    )
    problems.raise_if_any()
    return config


# ---- cross-checks: references, duplicates, cycles -----------------------------------------


def _check_unique(
    codes: Iterable[tuple[str, tuple[Any, ...]]], file: str, problems: Problems
) -> None:
    first: dict[str, tuple[Any, ...]] = {}
    for code, at in codes:
        if code in first:
            where = dotted(first[code]) if first[code] else "the root in city.yaml"
            problems.entry(file, at, code, "code", f"duplicate code (first used at {where})")
        else:
            first[code] = at


def _area_rows(city: CityFile, areas: AreasFile, problems: Problems) -> list[Row]:
    root = city.root
    rows = [Row(root.code, _area_values(root, AreaLevel.city, 0), None)]
    codes: list[tuple[str, tuple[Any, ...]]] = [(root.code, ())]

    def add(entry: Any, level: AreaLevel, parent: str, at: tuple[Any, ...]) -> None:
        rows.append(Row(entry.code, _area_values(entry, level, len(rows)), parent))
        codes.append((entry.code, at))

    for d_index, district in enumerate(areas.districts):
        d_at = ("districts", d_index)
        add(district, AreaLevel.district, root.code, d_at)
        for s_index, street in enumerate(district.streets):
            s_at = (*d_at, "streets", s_index)
            add(street, AreaLevel.street, district.code, s_at)
            for c_index, community in enumerate(street.communities):
                add(community, AreaLevel.community, street.code, (*s_at, "communities", c_index))
    _check_unique(codes, "areas.yaml", problems)
    return rows


def _area_values(entry: Any, level: AreaLevel, sort_order: int) -> dict[str, Any]:
    return {
        "name": entry.name,
        "short_name": entry.short_name or entry.name,
        "level": level.value,
        "population": entry.population,
        "sort_order": sort_order,
    }


def _unit_rows(units: UnitsFile, area_codes: set[str] | None, problems: Problems) -> list[UnitRow]:
    entries = units.units
    file = "units.yaml"
    _check_unique(((u.code, ("units", i)) for i, u in enumerate(entries)), file, problems)
    parents = {u.code: u.parent for u in entries}
    for index, unit in enumerate(entries):
        at = ("units", index)
        if unit.parent is not None and unit.parent not in parents:
            problems.entry(file, at, unit.code, "parent", f"unknown unit {unit.parent!r}")
        if area_codes is None:
            continue  # city.yaml or areas.yaml is broken: their own errors are reported
        if unit.area is not None and unit.area not in area_codes:
            problems.entry(file, at, unit.code, "area", f"unknown area code {unit.area!r}")
        for code in unit.covers:
            if code not in area_codes:
                problems.entry(file, at, unit.code, "covers", f"unknown area code {code!r}")
    _check_cycles(parents, "units.yaml", "unit", problems)
    return [
        UnitRow(
            u.code,
            {"name": u.name, "kind": u.kind.value, "phone": u.phone},
            u.parent,
            u.area,
            tuple(u.covers),
        )
        for u in entries
    ]


def _check_cycles(parents: dict[str, str | None], file: str, noun: str, problems: Problems) -> None:
    """Report each parent cycle once (a → b → a would make escalation loop forever)."""
    settled: set[str] = set()
    for start in parents:
        chain: list[str] = []
        code: str | None = start
        while code is not None and code in parents and code not in settled:
            if code in chain:
                cycle = [*chain[chain.index(code) :], code]
                problems.add(file, f"{noun} parent cycle: {' → '.join(cycle)}")
                break
            chain.append(code)
            code = parents[code]
        settled.update(chain)


def _category_rows(categories: CategoriesFile, problems: Problems) -> list[Row]:
    rows: list[Row] = []
    codes: list[tuple[str, tuple[Any, ...]]] = []
    defaults = categories.defaults

    def walk(entries: list[CategoryEntry], parent: Row | None, path: tuple[Any, ...]) -> None:
        for index, entry in enumerate(entries):
            here = (*path, index)
            inherited = parent.values if parent else {**defaults.model_dump(), "in_remit": True}
            values = {
                "name": entry.name,
                "name_en": entry.name_en,
                "hotspot": entry.hotspot,
                "keywords": list(entry.keywords),
                "sort_order": len(rows),
            }
            for limit in ("accept_hours", "handle_days", "reply_days", "lookback_days", "in_remit"):
                own = getattr(entry, limit)
                values[limit] = inherited[limit] if own is None else own
            values["accept_hours"] = float(values["accept_hours"])
            row = Row(entry.code, values, parent.code if parent else None)
            rows.append(row)
            codes.append((entry.code, here))
            walk(entry.children, row, (*here, "children"))

    walk(categories.categories, None, ("categories",))
    _check_unique(codes, "categories.yaml", problems)
    return rows


def _channel_rows(channels: ChannelsFile, problems: Problems) -> list[dict[str, Any]]:
    entries = channels.channels
    _check_unique(
        ((c.code, ("channels", i)) for i, c in enumerate(entries)), "channels.yaml", problems
    )
    return [
        {
            "code": c.code,
            "name": c.name,
            "kind": c.kind.value,
            "forwarded": c.forwarded,
            "sort_order": index,
        }
        for index, c in enumerate(entries)
    ]


# ---- writing -----------------------------------------------------------------------------


def load_config(session: Session, source: str | Path) -> LoadSummary:
    """Validate the whole configuration, then upsert it by code. Flushes, never commits."""
    config = read_config(source)
    summary = LoadSummary(source=str(config.directory), warnings=list(config.warnings))
    settings = [{"key": key, "value": value} for key, value in config.settings.items()]
    _sync_flat(session, Setting, "key", settings, summary["settings"])
    area_ids, outcomes = _sync_tree(session, Area, config.areas, summary["areas"])
    _tally(summary["areas"], outcomes)
    _sync_units(session, config.units, area_ids, summary["units"])
    _, outcomes = _sync_tree(session, Category, config.categories, summary["categories"])
    _tally(summary["categories"], outcomes)
    _sync_flat(session, Channel, "code", config.channels, summary["channels"])
    _sync_calendar(
        session, config.calendar, f"配置 {config.directory.name}/calendar.yaml", summary["calendar"]
    )
    rows = [{"name": name, "document": doc} for name, doc in config.policies.items()]
    _sync_flat(session, Policy, "name", rows, summary["policies"])
    _sync_schemes(session, config, summary["schemes"])
    policies.forget(session)
    session.flush()
    return summary


def _sync_schemes(session: Session, config: Configuration, summary: KindSummary) -> None:
    """Assessment schemes are stored as immutable versions (assessment.schemes)."""
    from civicdesk.assessment.schemes import store_schemes
    from civicdesk.clock import SystemClock

    summary.created, summary.unchanged, summary.kept = store_schemes(
        session,
        config.policies.get("assessment"),
        source=f"{config.directory.name}/assessment.yaml",
        now=SystemClock().now(),
    )


def _apply(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _tally(summary: KindSummary, outcomes: dict[str, str]) -> None:
    for outcome in outcomes.values():
        setattr(summary, outcome, getattr(summary, outcome) + 1)


def _sync_tree(
    session: Session,
    model: type[Area] | type[Category] | type[Unit],
    rows: list[Row],
    summary: KindSummary,
    *,
    extra: Callable[[Any], dict[str, Any]] | None = None,
) -> tuple[dict[str, int], dict[str, str]]:
    """Upsert a parent/child table, shallowest rows first: flushing when a row's parent is still
    pending gives that parent its id, so a tree costs one flush per level.
    Returns code → id, and code → "created" | "updated" | "unchanged"."""
    existing = {row.code: row for row in session.scalars(select(model))}
    wanted = {row.code for row in rows}
    summary.kept = sorted(code for code in existing if code not in wanted)
    outcomes: dict[str, str] = {}
    for row in sorted(rows, key=_depth_in(rows)):
        parent = existing[row.parent] if row.parent is not None else None
        if parent is not None and parent.id is None:
            session.flush()
        values = {
            **row.values,
            **(extra(row) if extra else {}),
            "parent_id": parent.id if parent is not None else None,
        }
        current = existing.get(row.code)
        if current is None:
            existing[row.code] = model(code=row.code, **values)
            session.add(existing[row.code])
            outcomes[row.code] = "created"
        else:
            outcomes[row.code] = "updated" if _apply(current, values) else "unchanged"
    session.flush()
    return {code: row.id for code, row in existing.items()}, outcomes


def _depth_in(rows: list[Row]) -> Callable[[Row], int]:
    parents = {row.code: row.parent for row in rows}

    def depth(row: Row) -> int:
        count, code = 0, row.parent
        while code is not None:
            count, code = count + 1, parents.get(code)
        return count

    return depth


def _sync_units(
    session: Session, rows: list[UnitRow], area_ids: dict[str, int], summary: KindSummary
) -> None:
    unit_ids, outcomes = _sync_tree(
        session,
        Unit,
        list(rows),
        summary,
        extra=lambda row: {"area_id": area_ids[row.area] if row.area else None},
    )
    have: dict[int, set[int]] = {}
    for unit_id, area_id in session.execute(select(unit_areas.c.unit_id, unit_areas.c.area_id)):
        have.setdefault(unit_id, set()).add(area_id)
    additions: list[dict[str, int]] = []
    for row in rows:
        unit_id = unit_ids[row.code]
        wanted, current = {area_ids[code] for code in row.covers}, have.get(unit_id, set())
        if wanted == current:
            continue
        additions += [{"unit_id": unit_id, "area_id": a} for a in sorted(wanted - current)]
        if current - wanted:
            session.execute(
                delete(unit_areas).where(
                    unit_areas.c.unit_id == unit_id, unit_areas.c.area_id.in_(current - wanted)
                )
            )
        if outcomes[row.code] == "unchanged":
            outcomes[row.code] = "updated"  # only the covered areas changed
    if additions:
        session.execute(insert(unit_areas), additions)
    _tally(summary, outcomes)


def _sync_flat(
    session: Session,
    model: type[Channel] | type[Setting] | type[Policy],
    key: str,
    rows: list[dict[str, Any]],
    summary: KindSummary,
) -> None:
    """Upsert a table without parents by its key column (channel code, setting key)."""
    existing = {getattr(row, key): row for row in session.scalars(select(model))}
    wanted = {values[key] for values in rows}
    summary.kept = sorted(code for code in existing if code not in wanted)
    for values in rows:
        current = existing.get(values[key])
        if current is None:
            session.add(model(**values))
            summary.created += 1
        elif _apply(current, values):
            summary.updated += 1
        else:
            summary.unchanged += 1


def _sync_calendar(
    session: Session, overrides: dict[date, bool], note: str, summary: KindSummary
) -> None:
    """Upsert by day; days from other files (``civicdesk calendar load``) are left alone."""
    created, updated = upsert_overrides(session, overrides, note)
    summary.created, summary.updated = created, updated
    summary.unchanged = len(overrides) - created - updated


def upsert_overrides(session: Session, overrides: dict[date, bool], note: str) -> tuple[int, int]:
    """Write calendar overrides by day; returns (created, updated)."""
    if not overrides:
        return 0, 0
    days = sorted(overrides)
    existing = {
        row.day: row
        for row in session.scalars(select(CalendarOverride).where(CalendarOverride.day.in_(days)))
    }
    created = updated = 0
    for day in days:
        values = {"workday": overrides[day], "note": note[:100]}
        current = existing.get(day)
        if current is None:
            session.add(CalendarOverride(day=day, **values))
            created += 1
        elif _apply(current, values):
            updated += 1
    session.flush()
    return created, updated
