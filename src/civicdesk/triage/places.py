"""``places.yaml``: the names people write for places that are not the names of configured areas
— a district's name before or after a re-districting, landmarks and roads, and the districts
outside the platform's area (recognised so that the locator can say so)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from civicdesk.triage.locator import PlacesConfig


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class DistrictName(_Strict):
    name: str = Field(min_length=2, max_length=50)
    streets: list[str] = Field(min_length=1)  # the configured street codes the name may mean
    note: str | None = Field(default=None, max_length=200)


class Landmark(_Strict):
    name: str = Field(min_length=2, max_length=50)
    street: str = Field(max_length=32)
    source: str | None = Field(default=None, max_length=200)


class PlacesFile(_Strict):
    # the platform's city as written before its districts: "苏州市姑苏区" is then another city's
    city: str = Field(default="杭州", min_length=1, max_length=20)
    district_names: list[DistrictName] = []
    landmarks: list[Landmark] = []
    outside: list[str] = []

    def as_config(self) -> PlacesConfig:
        return PlacesConfig(
            district_names={d.name: tuple(d.streets) for d in self.district_names},
            landmarks={m.name: m.street for m in self.landmarks},
            outside=tuple(self.outside),
            city=self.city,
        )


def cross_check(
    doc: PlacesFile,
    *,
    unit_codes: set[str] | None = None,
    category_codes: set[str] | None = None,
    area_codes: set[str] | None = None,
) -> list[tuple[tuple[Any, ...], str]]:
    if area_codes is None:
        return []
    problems: list[tuple[tuple[Any, ...], str]] = []
    for i, entry in enumerate(doc.district_names):
        for j, code in enumerate(entry.streets):
            if code not in area_codes:
                problems.append((("district_names", i, "streets", j), f"unknown area {code!r}"))
    for i, mark in enumerate(doc.landmarks):
        if mark.street not in area_codes:
            problems.append((("landmarks", i, "street"), f"unknown area {mark.street!r}"))
    return problems
