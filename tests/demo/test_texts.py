"""The demo's Chinese texts: templates, addresses and complainants (pure functions)."""

from __future__ import annotations

import random
import re
import string

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.demo import texts
from civicdesk.org.models import Area, AreaLevel

HOT_SPOT_CODES = (
    "living_noise",
    "construction_noise",
    "street_vendor",
    "illegal_building",
    "illegal_dog",
    "vehicle_soiling",
    "illegal_parking",
    "shopfront",
    "muck_dumping",
)
CJK = re.compile(r"[\u4e00-\u9fff]")
WHERE = texts.Locality(
    "西湖区",
    "西溪街道",
    "文三社区",
    texts.roads_for("西溪街道", "西湖区", []),
    texts.compounds_for(["文三社区"], ("文三路",)),
)


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", HOT_SPOT_CODES)
def test_each_hot_spot_category_has_at_least_15_templates_and_titles(code: str) -> None:
    assert len(set(texts.TEMPLATES[code])) >= 15
    assert texts.TITLES[code]


@pytest.mark.parametrize("code", [*texts.TEMPLATES, "unknown_code"])
def test_every_template_renders_to_chinese_without_placeholders(code: str) -> None:
    rng = random.Random(1)
    known = set(texts.SLOTS) | {"place", "shopname", "category"}
    for template in texts.templates_for(code):
        assert fields(template) <= known, template
        for kind in ("door", "shop", "building", "junction", "spot", "site"):
            place = texts.make_place(rng, kind, WHERE, code)
            text = texts.render(rng, template, place, "违法停车")
            assert CJK.search(text)
            assert "{" not in text and "}" not in text


def test_shop_templates_name_the_shop_once() -> None:
    rng = random.Random(3)
    place = texts.make_place(rng, "shop", WHERE, "shopfront")
    text = texts.render(rng, "{place}的{shopname}把货物摆到店门外", place, "出店经营")
    assert place.shop is not None
    assert text.count(place.shop) == 1
    assert text.startswith(place.base)


def test_cooking_fumes_are_about_food_shops() -> None:
    rng = random.Random(4)
    for _ in range(50):
        place = texts.make_place(rng, "shop", WHERE, "cooking_fumes")
        assert place.shop is not None and place.shop.endswith(texts.SHOP_TYPES["cooking_fumes"])


@pytest.mark.parametrize("code", HOT_SPOT_CODES)
def test_titles_are_short(code: str) -> None:
    rng = random.Random(2)
    for _ in range(50):
        place = texts.make_place(rng, "shop", WHERE, code)
        title = texts.title(rng, code, "违法停车", place)
        assert 0 < len(title) <= 30


@pytest.mark.parametrize("kind", ["same_complainant", "other_complainant", "recurrence"])
def test_repeat_texts_are_similar_but_framed_as_repeats(kind: str) -> None:
    rng = random.Random(5)
    place = texts.make_place(rng, "building", WHERE, "living_noise")
    index, original = texts.complaint_text(rng, "living_noise", "生活噪声", place)
    repeats = [
        texts.repeat_text(rng, kind, "living_noise", "生活噪声", place, template=index, days=3)
        for _ in range(20)
    ]
    prefixes = [opening.split("{")[0] for opening in texts.REPEAT_OPENINGS[kind]]
    for repeat in repeats:
        assert place.short in repeat and "{" not in repeat
        assert any(repeat.startswith(prefix) for prefix in prefixes)
    assert original not in repeats


def test_person_names_and_mobiles() -> None:
    rng = random.Random(6)
    people = [texts.person(rng) for _ in range(2000)]
    phones = [phone for _, phone in people if phone]
    assert all(re.fullmatch(r"1[3-9]\d{9}", phone) for phone in phones)
    assert len(set(phones)) == len(phones)
    names = [name for name, _ in people if name]
    assert any(name.endswith("先生") for name in names)
    assert any(name.endswith("女士") for name in names)
    assert any(not name.endswith(("先生", "女士")) for name in names)
    assert 0 < sum(1 for name, _ in people if name is None) < 300  # some anonymous


def test_place_keys_and_address_variants() -> None:
    rng = random.Random(7)
    place = texts.make_place(rng, "door", WHERE)
    assert place.key.startswith("西湖区|")
    assert place.address(0) == f"西湖区{place.base}"
    assert place.address(1) == f"杭州市西湖区{place.base}"
    assert place.address(2).startswith(place.address(0))
    junction = texts.make_place(rng, "junction", WHERE)
    assert "与" in junction.base and junction.base.endswith("交叉口")


def test_roads_fall_back_from_street_to_district_to_community_names() -> None:
    assert "文三路" in texts.roads_for("西溪街道", "西湖区", [])
    assert "莫干山路" in texts.roads_for("某某街道", "拱墅区", [])
    unknown = texts.roads_for("某某街道", "某某区", ["青年路社区", "阳光社区"])
    assert "青年路" in unknown and len(unknown) >= 4
    assert texts.compounds_for(["翠苑一区社区", "青年路社区"], ("文三路",))[0] == "翠苑一区"


def test_every_configured_street_has_real_roads(session: Session) -> None:
    streets = session.scalars(select(Area).where(Area.level == AreaLevel.street)).all()
    assert streets
    missing = [s.name for s in streets if s.name not in texts.STREET_ROADS]
    assert not missing


def test_replies_and_reasons_are_chinese() -> None:
    rng = random.Random(8)
    place = texts.make_place(rng, "door", WHERE)
    reply = texts.reply_text(rng, "illegal_parking", "西溪中队执法队员", place, "违法停车")
    assert reply.startswith("经西溪中队执法队员现场核查") and place.short in reply
    assert "{" not in texts.not_filed_reason(rng, in_remit=False)
    assert CJK.search(texts.not_filed_reason(rng, in_remit=True))


@pytest.mark.parametrize("code", HOT_SPOT_CODES)
def test_templates_suit_the_kind_of_place(code: str) -> None:
    rng = random.Random(9)
    for kind in ("door", "shop", "building", "junction", "spot", "site"):
        assert texts.suitable(code, kind)
    upstairs = texts.templates_for("living_noise").index(
        "反映{place}：楼上住户{when}一直在装修，{night}还在电钻敲墙，{impact}，{ask}"
    )
    assert upstairs in texts.suitable("living_noise", "building")
    assert upstairs not in texts.suitable("living_noise", "spot")
    spot = texts.make_place(rng, "spot", WHERE, "living_noise")
    for _ in range(30):
        index, _ = texts.complaint_text(rng, "living_noise", "生活噪声", spot)
        assert index in texts.suitable("living_noise", "spot")


def test_titles_name_what_the_text_is_about() -> None:
    rng = random.Random(10)
    place = texts.make_place(rng, "building", WHERE, "living_noise")
    text = f"{place.short}附近每天晚上都有人跳广场舞，音响开得很大。"
    assert texts.title(rng, "living_noise", "生活噪声", place, text).endswith("广场舞噪音扰民")
    parked = texts.title(rng, "illegal_parking", "违法停车", place, "车辆长期停在消防通道上")
    assert parked.endswith("堵塞消防通道")


def test_other_categories_title_the_clause_naming_the_place() -> None:
    rng = random.Random(12)
    place = texts.make_place(rng, "door", WHERE, "littering")
    text = f"再次反映：{place.short}有人从楼上往下乱扔垃圾，请尽快处理。"
    assert (
        texts.title(rng, "littering", "乱扔乱倒", place, text)
        == (f"{place.short}有人从楼上往下乱扔垃圾"[:30])
    )
    assert texts.title(rng, "littering", "乱扔乱倒", place, "") == f"{place.short}乱扔乱倒"
