"""What the repeat check reads from configuration, once: the category tree with its look-back
windows, the thresholds (``repeats.*`` settings of city.yaml), the district and street names an
address starts with, the box coordinates must fall in, and the channel codes. Also the one
place where a complaint row becomes ``scoring.Facts``, for the online and the batch paths
alike (the same facts give the same links)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.config.models import Setting
from civicdesk.errors import ConfigurationError
from civicdesk.intake.models import Channel
from civicdesk.org.models import Area, AreaLevel
from civicdesk.repeats.addresses import AddressReader, usable_point
from civicdesk.repeats.scoring import Facts, Rules, Taxonomy
from civicdesk.taxonomy.models import Category

RECURRENCE_ACTIONS = ("new_case", "reopen")
CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class RepeatContext:
    taxonomy: Taxonomy
    rules: Rules
    reader: AddressReader
    bounds: tuple[float, float, float, float] | None
    channels: dict[int, str]  # channel id → code
    recurrence: str = "new_case"  # what a recurrence after closure does: new_case | reopen
    # Whether a confirmed repeat joins the open case of its issue by itself (docs/repeats.md).
    auto_attach: bool = False

    def facts(
        self,
        *,
        id: int,
        created: datetime | float,
        received: datetime | float,
        channel_id: int | None,
        phone: str | None,
        name: str | None,
        title: str | None,
        text: str,
        address: str | None,
        lon: float | None,
        lat: float | None,
        category: int | None,
        area: int | None,
        case_id: int | None,
        district: int | None = None,
    ) -> Facts:
        return self.facts_of_values(
            (
                id,
                created,
                received,
                channel_id,
                phone,
                name,
                title,
                text,
                address,
                lon,
                lat,
                category,
                area,
                case_id,
                district,
            )
        )

    def facts_of_values(self, values: Sequence[Any]) -> Facts:
        """``facts`` of the values in the order of its parameters (a row of the complaints
        table as the rebuild reads it: no keyword call per row)."""
        (
            id_,
            created,
            received,
            channel_id,
            phone,
            name,
            title,
            text,
            address,
            lon,
            lat,
            category,
            area,
            case_id,
            district,
        ) = values
        full = f"{title}。{text}" if title and title not in text else text
        place = self.reader.read(address)
        if place is None:
            # Only what the text says: a compound or door number it names, never a guess.
            place = self.reader.from_text(title) or self.reader.from_text(text)
        point = (lon, lat) if usable_point(lon, lat, self.bounds) else None
        return Facts(
            id_,
            created if isinstance(created, float) else created.timestamp(),
            received if isinstance(received, float) else received.timestamp(),
            self.channels.get(channel_id or -1),
            phone or None,
            (name or "").strip() or None,
            full,
            place,
            point,  # type: ignore[arg-type]
            category,
            area,
            case_id,
            district,
            address,
        )


_cache: dict[str, tuple[float, RepeatContext]] = {}


def load_context(session: Session, *, window_days: int | None = None) -> RepeatContext:
    """The context of this database (cached for a minute: configuration changes are rare and
    the online check must not read 800 area names per complaint)."""
    url = str(session.get_bind().engine.url)
    cached = _cache.get(url)
    if window_days is None and cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    context = _load(session, window_days)
    if window_days is None:
        _cache[url] = (time.monotonic(), context)
    return context


def clear_cache() -> None:
    _cache.clear()


def _load(session: Session, window_days: int | None) -> RepeatContext:
    settings = {s.key: s.value for s in session.scalars(select(Setting))}
    rules = _rules(settings)
    categories = list(session.scalars(select(Category)))
    parent = {c.id: c.parent_id for c in categories}
    top: dict[int, int] = {}
    for c in categories:
        node, seen = c.id, 0
        while parent.get(node) is not None and seen < 16:
            node, seen = parent[node], seen + 1  # type: ignore[assignment]
        top[c.id] = node
    lookback = {
        c.id: window_days or c.lookback_days or rules.lookback_days
        for c in categories
        if window_days or c.lookback_days
    }
    if window_days:
        rules = Rules(**{**_as_dict(rules), "lookback_days": window_days})
    names = session.scalars(
        select(Area.name).where(Area.level.in_((AreaLevel.district, AreaLevel.street)))
    )
    return RepeatContext(
        taxonomy=Taxonomy(parent=parent, top=top, lookback=lookback),
        rules=rules,
        reader=AddressReader(names),
        bounds=_bounds(settings.get("repeats.bounds")),
        channels={c.id: c.code for c in session.scalars(select(Channel))},
        recurrence=_recurrence(settings.get("repeats.recurrence")),
        auto_attach=settings.get("repeats.auto_attach", "false").lower() == "true",
    )


def _as_dict(rules: Rules) -> dict[str, object]:
    return {f.name: getattr(rules, f.name) for f in fields(rules)}


def _rules(settings: dict[str, str]) -> Rules:
    values: dict[str, object] = {}
    for name, kind in (
        ("suggest", float),
        ("confirm", float),
        ("lookback_days", int),
        ("duplicate_minutes", int),
    ):
        raw = settings.get(f"repeats.{name}")
        if raw is None:
            continue
        try:
            values[name] = kind(raw)
        except ValueError:
            raise ConfigurationError(f"setting repeats.{name}={raw!r} is not a number") from None
    rules = Rules(**values)  # type: ignore[arg-type]
    if not 0 < rules.suggest <= rules.confirm <= 1:
        raise ConfigurationError("repeats.suggest must be > 0 and ≤ repeats.confirm ≤ 1")
    return rules


def _bounds(raw: str | None) -> tuple[float, float, float, float] | None:
    if not raw:
        return None
    try:
        west, south, east, north = (float(v) for v in raw.split(","))
    except ValueError:
        raise ConfigurationError(
            f"setting repeats.bounds={raw!r}: give 'west,south,east,north' in degrees"
        ) from None
    return west, south, east, north


def _recurrence(raw: str | None) -> str:
    value = raw or "new_case"
    if value not in RECURRENCE_ACTIONS:
        raise ConfigurationError(f"setting repeats.recurrence={value!r}: new_case or reopen")
    return value
