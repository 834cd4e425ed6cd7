"""What the submission form offers: streets by district, categories by group, the map."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.config.service import category_tree
from civicdesk.org.models import Area, AreaLevel
from civicdesk.portal.geo import city_bounds


def street_groups(session: Session) -> list[tuple[str, list[tuple[str, str]]]]:
    """(district name, [(street code, street name)]) in configuration order."""
    areas = list(
        session.scalars(
            select(Area)
            .where(Area.level.in_([AreaLevel.district, AreaLevel.street]))
            .order_by(Area.sort_order, Area.code)
        )
    )
    groups: dict[int, tuple[str, list[tuple[str, str]]]] = {
        a.id: (a.name, []) for a in areas if a.level == AreaLevel.district
    }
    for area in areas:
        if area.level == AreaLevel.street and area.parent_id in groups:
            groups[area.parent_id][1].append((area.code, area.name))
    return [group for group in groups.values() if group[1]]


def category_groups(session: Session) -> list[tuple[str, list[tuple[str, str]]]]:
    """The leaves in city-management remit, under their group's name (what a citizen picks;
    matters outside the remit are left to the operator)."""
    groups = []
    for root in category_tree(session):
        if not root.category.in_remit:
            continue
        leaves = [
            (leaf.category.code, leaf.category.name)
            for node in root.children
            for leaf in ([node] if node.is_leaf else node.children)
            if leaf.category.in_remit
        ]
        if leaves:
            groups.append((root.category.name, leaves))
    return groups


def map_config(session: Session, request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    bounds = city_bounds(session)
    return {
        "tiles": settings.map_tile_url or "",
        "boundaries": "/portal/boundaries.json" if settings.map_boundaries else "",
        "bounds": json.dumps(bounds.as_list() if bounds else []),
    }


def form_choices(session: Session, request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "street_groups": street_groups(session),
        "category_groups": category_groups(session),
        "map": map_config(session, request),
        "max_text": settings.portal_max_text,
        "max_photos": settings.portal_max_photos,
        "max_photo_mb": f"{settings.portal_max_photo_mb:g}",
    }
