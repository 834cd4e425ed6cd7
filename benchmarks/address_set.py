"""The address accuracy set: Hangzhou addresses in the forms people write them, with the truth.

Built deterministically (a seeded random generator) from the shipped configuration only:
the 46 administrative streets of ``areas.yaml`` and their communities, the current district
names of ``places.yaml`` (the 2021 re-districting), and house numbers. No message text and no
invented road: the roads that appear are those that communities are named after (劳动路社区 →
劳动路), which is where those communities are. Each street gets one address of every form:

| form | example |
|---|---|
| full | 浙江省杭州市下城区武林街道竹竿巷社区12幢3单元502室 |
| full_current | 杭州市拱墅区武林街道竹竿巷社区8号 (today's district name) |
| district_first | 下城区竹竿巷社区24号 (no street) |
| street_only | 武林街道35号 |
| community_only | 竹竿巷社区6栋 |
| short | 杭州拱墅武林竹竿巷 (short names, no suffixes) |
| sentence | 您好，我住在拱墅区武林街道竹竿巷社区，楼下烧烤摊每晚油烟很大，请尽快处理。 |
| old_name_sentence | 下城区武林那边竹竿巷社区门口天天乱停车 |

plus addresses that must NOT resolve to a street: other cities (truth: none) and the Hangzhou
districts outside the platform's area (truth: outside). Honest limits, also in docs/triage.md:
the names come from the same configuration the locator reads, so the set measures how well the
locator parses the forms, not how many real-world names (roads, buildings) it knows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml

CONFIG = Path(__file__).resolve().parents[1] / "src/civicdesk/configs/hangzhou"
PROVINCE = ["浙江省杭州市", "杭州市", "浙江杭州", ""]
SENTENCES = [
    "您好，我住在{place}，楼下烧烤摊每晚油烟很大，请尽快处理。",
    "{place}门口天天有人乱停车，消防通道都堵了",
    "投诉：{place}附近工地夜间施工，噪音扰民严重！",
    "请城管管一管{place}的流动摊贩",
]
# Real addresses of other cities (well-known streets), which must not resolve.
ELSEWHERE = [
    "北京市东城区东长安街1号",
    "上海市黄浦区南京东路100号",
    "广州市天河区天河路208号",
    "深圳市福田区深南大道6008号",
    "南京市玄武区中山路18号",
    "苏州市姑苏区人民路1号",
    "宁波市海曙区中山西路2号",
    "成都市锦江区春熙路9号",
    "武汉市江汉区解放大道688号",
    "绍兴市越城区解放北路",
    "Room 5, 1 Main Street, London",
    "嘉兴市南湖区中山路",
]


@dataclass(frozen=True)
class Address:
    text: str
    form: str
    district: str | None  # configured district code
    street: str | None  # configured street code
    # district names an outside parser may answer (the configured one and today's)
    district_names: tuple[str, ...] = ()
    street_name: str | None = None
    outside: bool = False


def _street_entries() -> list[tuple[dict, dict, list[str]]]:
    areas = yaml.safe_load((CONFIG / "areas.yaml").read_text(encoding="utf-8"))
    places = yaml.safe_load((CONFIG / "places.yaml").read_text(encoding="utf-8"))
    current: dict[str, list[str]] = {}
    for entry in places.get("district_names", []):
        for code in entry["streets"]:
            current.setdefault(code, []).append(entry["name"])
    out = []
    for district in areas["districts"]:
        if not district["code"].isdigit():
            continue  # the scenic area's offices are not written in addresses
        for street in district["streets"]:
            names = [district["name"], *current.get(street["code"], [])]
            out.append((district, street, list(dict.fromkeys(names))))
    return out


def build(seed: int = 3) -> list[Address]:
    rng = random.Random(seed)
    result: list[Address] = []
    for district, street, district_names in _street_entries():
        communities = street.get("communities") or [{"name": ""}]
        today = district_names[-1]
        names = tuple(district_names)
        short_street = street.get("short_name", street["name"])

        def add(
            text: str, form: str, district: dict = district, street: dict = street, names=names
        ) -> None:
            result.append(
                Address(text, form, district["code"], street["code"], names, street["name"])
            )

        for round_ in range(3):  # three communities of each street, each in every form
            community = rng.choice(communities)["name"]
            bare = community.removesuffix("社区")
            n, m, k = rng.randint(1, 60), rng.randint(1, 6), rng.randint(101, 1802)
            add(f"{rng.choice(PROVINCE)}{district['name']}{street['name']}{community}{n}幢{m}单元{k}室",
                "full")  # fmt: skip
            add(f"杭州市{today}{street['name']}{community}{n}号", "full_current")
            add(f"{district['name']}{community or street['name']}{n}号", "district_first")
            if round_ == 0:
                add(f"{street['name']}{n}号", "street_only")
            add(f"{community or street['name']}{n}栋", "community_only")
            add(f"杭州{today.removesuffix('区')}{short_street}{bare}", "short")
            place = f"{rng.choice([district['name'], today])}{street['name']}{community}"
            add(rng.choice(SENTENCES).format(place=place), "sentence")
            add(
                f"{district['name']}{short_street}那边{community}门口天天乱停车",
                "old_name_sentence",
            )
    for text in ELSEWHERE:
        result.append(Address(text, "other_city", None, None))
    places = yaml.safe_load((CONFIG / "places.yaml").read_text(encoding="utf-8"))
    for name in places.get("outside", []):
        for n in (8, 88):
            result.append(Address(f"杭州市{name}人民路{n}号", "outside", None, None, outside=True))
    return result
