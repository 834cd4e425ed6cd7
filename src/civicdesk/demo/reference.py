"""The configuration the demo history is planned on, read once into plain values: categories by
flag, channels, the localities complaints come from and the units answering for each street."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.config.service import get_setting, leaf_categories, units_covering
from civicdesk.demo import texts
from civicdesk.demo.draws import FastRandom, cumulative
from civicdesk.demo.planned import Cat, Chan, Locality, UnitRef
from civicdesk.demo.shape import PROFILE_OF_KIND, REPEAT_PROPENSITY
from civicdesk.intake.models import Channel
from civicdesk.org.models import Area, AreaLevel, Unit, UnitKind
from civicdesk.supervision import limits as time_limits
from civicdesk.taxonomy.models import Category


@dataclass(eq=False)
class Reference:
    hot: list[Cat]
    other: list[Cat]
    not_city: list[Cat]
    channels: list[Chan]
    prefix: str
    localities: list[Locality] = field(default_factory=list)
    locality_cum: list[float] = field(default_factory=list)
    # street (or district) id → (its squadron, its street office if any)
    units: dict[int, tuple[UnitRef, UnitRef | None]] = field(default_factory=dict)
    # district id → the squadrons whose own area is one of its streets
    squadrons_of_district: dict[int, list[UnitRef]] = field(default_factory=dict)


def load_reference(session: Session, rng: FastRandom) -> Reference:
    leaves = leaf_categories(session)
    hot = [_category(session, c) for c in leaves if c.hotspot]
    other = [_category(session, c) for c in leaves if not c.hotspot and c.in_remit]
    if not hot or not other:
        raise ValueError("the configuration has no hot-spot or no other categories: load it")
    channels = [
        Chan(c.id, c.code, c.kind, bool(c.forwarded), PROFILE_OF_KIND.get(c.kind, "hotline"))
        for c in session.scalars(select(Channel).order_by(Channel.sort_order, Channel.id))
    ]
    if not channels:
        raise ValueError("no channels configured: load the configuration first")
    reference = Reference(
        hot,
        other,
        [_category(session, c) for c in leaves if not c.in_remit],
        channels,
        get_setting(session, "case_number_prefix", "HZ") or "HZ",
    )
    _load_areas(session, reference, rng)
    return reference


def _category(session: Session, row: Category) -> Cat:
    return Cat(
        row.id,
        row.code,
        row.name,
        bool(row.hotspot),
        bool(row.in_remit),
        float(row.accept_hours),
        int(row.handle_days),
        REPEAT_PROPENSITY.get(row.code, 0.8) if row.in_remit else 0.0,
        int(row.reply_days),
        time_limits.centre_limit(session, row, None, "file"),
        time_limits.centre_limit(session, row, None, "dispatch"),
    )


def _load_areas(session: Session, reference: Reference, rng: FastRandom) -> None:
    """Localities weighted by population: a district's people shared among its streets (each
    a little busier or quieter), a street's among its communities."""
    areas = list(session.scalars(select(Area).order_by(Area.sort_order, Area.code)))
    children: dict[int | None, list[Area]] = {}
    for area in areas:
        children.setdefault(area.parent_id, []).append(area)
    districts = [a for a in areas if a.level == AreaLevel.district]
    if not districts:
        raise ValueError("no districts configured: load the configuration first")
    known = [d.population for d in districts if d.population]
    fallback = (sum(known) / len(known) if known else 1.0) * 0.25
    weights: list[float] = []
    for district in districts:
        streets = [a for a in children.get(district.id, []) if a.level == AreaLevel.street]
        share = (district.population or fallback) / max(len(streets), 1)
        for street in streets or [district]:
            street_weight = share * rng.uniform(0.6, 1.4)
            _street_units(session, reference, street, district)
            localities = _localities(street, district, children)
            reference.localities.extend(localities)
            weights.extend(street_weight / len(localities) for _ in localities)
    reference.locality_cum = cumulative(weights)


def _localities(
    street: Area, district: Area, children: dict[int | None, list[Area]]
) -> list[Locality]:
    """The street's communities (or the street itself if it has none)."""
    communities = [a for a in children.get(street.id, []) if a.level == AreaLevel.community]
    names = [c.name for c in communities]
    roads = texts.roads_for(street.name, district.name, names)
    result = []
    for area in communities or [street]:
        own = [area.name] if area is not street else names
        where = texts.Locality(
            district.name,
            street.name,
            area.name if area is not street else None,
            roads,
            texts.compounds_for(own, roads),
        )
        street_id = street.id if street is not district else None
        result.append(Locality(area.id, street_id, district.id, street.id, where, area.code))
    return result


def _street_units(session: Session, reference: Reference, street: Area, district: Area) -> None:
    """The squadron and the street office answering for the street (most specific first)."""
    units = [UnitRef(u.id, u.code, u.name, u.kind) for u in units_covering(session, street.id)]
    area_of = {
        u.id: u.area_id
        for u in session.scalars(select(Unit).where(Unit.id.in_([u.id for u in units])))
    }
    if not units:
        raise ValueError(f"no unit covers {street.name}: check the units configuration")
    squadrons = [u for u in units if u.kind == UnitKind.squadron]
    offices = [u for u in units if u.kind == UnitKind.street_office]
    reference.units[street.id] = (
        squadrons[0] if squadrons else units[0],
        offices[0] if offices else None,
    )
    for unit in squadrons:
        if area_of[unit.id] == street.id:
            reference.squadrons_of_district.setdefault(district.id, []).append(unit)
