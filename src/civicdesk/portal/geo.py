"""The city's bounding box (``city.bounds`` in city.yaml) and optional boundaries (GeoJSON).

Coordinates are WGS84 (what browsers' geolocation and Open311 give). Points from Chinese map
apps (GCJ-02, BD-09) are offset by a few hundred metres and must be converted by the client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from civicdesk.config.service import get_setting
from civicdesk.errors import ConfigurationError, InvalidInput

# Read in this order: the city's own box, else the one repeat detection uses.
BOUNDS_SETTINGS = ("city.bounds", "repeats.bounds")


@dataclass(frozen=True)
class Bounds:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, text: str) -> Bounds:
        try:
            west, south, east, north = (float(part) for part in text.split(","))
        except ValueError:
            raise ConfigurationError(
                f"city.bounds={text!r}: give west,south,east,north in degrees"
            ) from None
        if not (west < east and south < north):
            raise ConfigurationError(f"city.bounds={text!r}: west<east and south<north")
        return cls(west, south, east, north)

    def contains(self, longitude: float, latitude: float) -> bool:
        return self.west <= longitude <= self.east and self.south <= latitude <= self.north

    def as_list(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]


def city_bounds(session: Session) -> Bounds | None:
    for key in BOUNDS_SETTINGS:
        value = get_setting(session, key)
        if value:
            return Bounds.parse(value)
    return None


def check_point(session: Session, longitude: float | None, latitude: float | None) -> None:
    """Refuse a point outside the city (a 0,0 placeholder, swapped coordinates, another city)."""
    if longitude is None or latitude is None:
        return
    bounds = city_bounds(session)
    if bounds is not None and not bounds.contains(longitude, latitude):
        raise InvalidInput(
            "所选位置不在本市范围内，请检查坐标（经度、纬度是否填反）或改为填写地址",
            field="latitude",
        )


# ---- boundaries ---------------------------------------------------------------------------

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class Boundary:
    code: str | None
    name: str
    polygons: list[list[Ring]]  # each polygon: outer ring, then holes

    def contains(self, lon: float, lat: float) -> bool:
        for rings in self.polygons:
            if (
                rings
                and _inside(rings[0], lon, lat)
                and not any(_inside(hole, lon, lat) for hole in rings[1:])
            ):
                return True
        return False


def _inside(ring: Ring, x: float, y: float) -> bool:
    inside = False
    j = len(ring) - 1
    for i, (xi, yi) in enumerate(ring):
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


@lru_cache(maxsize=4)
def load_boundaries(path: Path) -> tuple[Boundary, ...]:
    """Polygons of a GeoJSON FeatureCollection; ``properties.code`` names the area (optional),
    ``properties.name`` labels it."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"map_boundaries {path}: cannot read GeoJSON ({exc})") from None
    return tuple(_feature(f) for f in document.get("features", []) if _has_polygon(f))


def _has_polygon(feature: dict[str, Any]) -> bool:
    geometry = feature.get("geometry") or {}
    return geometry.get("type") in ("Polygon", "MultiPolygon")


def _feature(feature: dict[str, Any]) -> Boundary:
    geometry = feature["geometry"]
    props = feature.get("properties") or {}
    coords = geometry["coordinates"]
    polygons = coords if geometry["type"] == "MultiPolygon" else [coords]
    rings = [[[(float(p[0]), float(p[1])) for p in ring] for ring in poly] for poly in polygons]
    code = props.get("code")
    return Boundary(str(code) if code is not None else None, str(props.get("name", "")), rings)


def area_code_at(boundaries: tuple[Boundary, ...], lon: float, lat: float) -> str | None:
    for boundary in boundaries:
        if boundary.code and boundary.contains(lon, lat):
            return boundary.code
    return None
