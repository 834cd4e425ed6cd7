"""The shape of the demo history, all plain data: the published figures it reproduces, how
volumes vary by month, channel, category and hour, and the rates that differ between the two
years. Tuned by reading, not by code: change a number here and the history follows."""

from __future__ import annotations

from dataclasses import dataclass

# The source's January–July figures: (complaints, hot-spot complaints, repeat complaints).
LAST_YEAR_JAN_JUL = (32971, 20345, 6483)
THIS_YEAR_JAN_JUL = (16676, 13021, 2460)
REPEAT_KINDS = ("same_complainant", "other_complainant", "recurrence")
SATISFACTION = ("satisfied", "basically", "unsatisfied")

MONTH_FACTOR = {
    1: 0.95,
    2: 0.85,
    3: 0.95,
    4: 1.0,
    5: 1.05,
    6: 1.12,
    7: 1.2,
    8: 1.2,
    9: 1.05,
    10: 0.95,
    11: 0.9,
    12: 0.88,
}
CHANNEL_WEIGHTS = {
    "12345": 30,
    "96310": 27,
    "12319": 7,
    "96345": 7,
    "district_hotline": 6,
    "96666": 2,
    "web": 8,
    "app": 3,
    "letter": 2,
    "visit": 2,
    "volunteer": 2,
    "inspection": 4,
}
HOT_WEIGHTS = {
    "illegal_parking": 24,
    "living_noise": 20,
    "street_vendor": 17,
    "shopfront": 14,
    "construction_noise": 10,
    "illegal_building": 6,
    "muck_dumping": 4,
    "illegal_dog": 3,
    "vehicle_soiling": 2,
}
OTHER_WEIGHTS = {
    "outdoor_ads": 12,
    "cooking_fumes": 12,
    "occupying_road": 12,
    "garbage_clearing": 10,
    "littering": 8,
    "dust": 8,
    "road_damage": 7,
    "other_city": 6,
    "manhole_covers": 5,
    "street_lights": 5,
    "greening": 5,
    "public_toilets": 3,
    "open_burning": 3,
    "property_management": 40,
    "traffic_policy": 25,
    "other_matters": 20,
    "consultation": 15,
}
SEASON = {
    "living_noise": {6: 1.35, 7: 1.45, 8: 1.45, 9: 1.2, 12: 0.8, 1: 0.8, 2: 0.75},
    "construction_noise": {2: 0.5, 3: 1.1, 4: 1.15, 5: 1.15, 11: 1.1},
    "street_vendor": {6: 1.2, 7: 1.3, 8: 1.3, 9: 1.1, 1: 0.8, 2: 0.7},
    "cooking_fumes": {6: 1.2, 7: 1.3, 8: 1.3},
    "dust": {3: 1.3, 4: 1.3, 11: 1.2},
}
# How likely an issue is to be complained about again (noise keeps people awake every night).
REPEAT_PROPENSITY = {
    "living_noise": 3.0,
    "construction_noise": 2.6,
    "street_vendor": 2.2,
    "illegal_building": 2.0,
    "shopfront": 1.8,
    "illegal_dog": 1.8,
    "cooking_fumes": 2.0,
    "muck_dumping": 1.5,
    "illegal_parking": 1.3,
    "vehicle_soiling": 1.2,
}
HOURS = {
    "hotline": (
        1,
        0.6,
        0.4,
        0.3,
        0.3,
        0.5,
        1,
        3,
        7,
        10,
        10,
        9,
        5,
        5,
        8,
        9,
        9,
        8,
        5,
        4,
        4,
        3.5,
        3,
        2,
    ),
    "web": (2, 1, 0.6, 0.4, 0.3, 0.4, 1, 2, 4, 6, 6, 6, 5, 5, 6, 6, 6, 5, 5, 6, 7, 7, 6, 4),
    "office": (0, 0, 0, 0, 0, 0, 0, 0, 3, 8, 8, 6, 0, 3, 7, 7, 6, 2, 0, 0, 0, 0, 0, 0),
    "field": (0, 0, 0, 0, 0, 0, 0, 0.5, 4, 6, 6, 5, 2, 3, 6, 6, 5, 3, 1, 1.5, 1.5, 1, 0, 0),
}
PROFILE_OF_KIND = {
    "hotline": "hotline",
    "web": "web",
    "app": "web",
    "letter": "office",
    "visit": "office",
    "volunteer": "field",
    "inspection": "field",
}
HOUR_BOOST = {
    "living_noise": {19: 3, 20: 3.5, 21: 4, 22: 4, 23: 3, 0: 2.5, 1: 1.5, 6: 1.5, 7: 1.5},
    "street_vendor": {6: 1.5, 7: 1.5, 17: 2, 18: 2.5, 19: 3, 20: 3, 21: 2.5, 22: 2},
    "construction_noise": {22: 5, 23: 6, 0: 6, 1: 6, 2: 5, 3: 4, 4: 3, 5: 3, 6: 2},
    "muck_dumping": {22: 2, 23: 2, 0: 2, 1: 2, 2: 2, 3: 2, 4: 2},
    "vehicle_soiling": {22: 2, 23: 2, 0: 2, 1: 2, 2: 2},
    "cooking_fumes": {11: 2, 12: 2, 17: 2, 18: 2, 19: 2},
}
NOT_CITY_SHARE = 0.04  # of all complaints: matters of other departments (不予立案)
# Facility problems are often the street office's to fix rather than the squadron's.
STREET_OFFICE_SHARE = {
    "road_damage": 0.5,
    "manhole_covers": 0.5,
    "street_lights": 0.5,
    "greening": 0.5,
    "garbage_clearing": 0.4,
    "public_toilets": 0.5,
}
EXTENSION_SHARE = {"illegal_building": 0.25, "muck_dumping": 0.08, "dust": 0.08}


@dataclass(frozen=True)
class YearPlan:
    """Rates that differ between the two years (this year's management is better)."""

    kind_weights: tuple[float, float, float]
    late_accept: float
    late_handle: float
    satisfaction: tuple[float, float, float]  # satisfied, basically, unsatisfied


LAST_YEAR = YearPlan((0.36, 0.30, 0.34), 0.10, 0.12, (0.66, 0.26, 0.08))
THIS_YEAR = YearPlan((0.42, 0.33, 0.25), 0.06, 0.08, (0.74, 0.20, 0.06))
