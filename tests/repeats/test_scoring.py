"""The pure core: addresses, text similarity, scores and kinds, on plain values."""

from __future__ import annotations

import pytest

from civicdesk.repeats.addresses import AddressReader, distance_m, place_similarity, usable_point
from civicdesk.repeats.scoring import (
    DUPLICATE,
    OTHER,
    RECURRENCE,
    SAME,
    CaseState,
    Facts,
    Rules,
    Taxonomy,
    block_keys,
    decide,
    score_pair,
)
from civicdesk.repeats.texts import features, similarity

READER = AddressReader(["西湖区", "西湖风景名胜区", "下城区", "拱墅区", "西溪街道"])
DAY = 86400.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("西湖区文三路398号", "杭州市西湖区文三路398号门口"),
        ("西湖区文三路398号金福杂货店", "文三路398号附近"),
        ("西湖区学院路与文二路交叉口", "文二路和学院路交叉口"),
        ("拱墅区仓基上624号", "仓基上624号门口"),  # a road name without 路/街
        ("下城区天水桥公交站", "杭州市下城区天水桥公交站"),
        ("下城区所巷与水亭址交叉口", "所巷与水亭址交叉口附近"),
        ("西湖区政苑23幢", "政苑23幢"),
        ("123 Main Street, Baltimore, MD 21215", "123 MAIN ST"),
    ],
)
def test_the_same_place_written_two_ways(a: str, b: str) -> None:
    pa, pb = READER.read(a), READER.read(b)
    assert pa is not None and pa.key == pb.key  # type: ignore[union-attr]
    assert place_similarity(pa, pb)[0] == 1.0


@pytest.mark.parametrize(
    ("address", "key"),
    [
        # A level character inside a road name is not an administrative level.
        ("江干区富春路与市民街交叉口", "j:富春路|市民街"),
        ("杭州市上城区皮市巷960号建筑工地", "d:皮市巷|960"),
        ("杭州市下城区新市街644号老陈烧烤店", "d:新市街|644"),
        ("萧山区市心北路100号", "d:市心北路|100"),
        ("西湖区园区路3号", "d:园区路|3"),
        # 超市 and 夜市 are not cities; a spot may be named by a place that is not a road.
        ("杭州市下城区水亭址超市", "s:水亭址|超市"),
        ("拱墅区仓基上地下通道附近", "s:仓基上|地下通道"),
        # Anonymised administrative names still go.
        ("A2区西地省A市A2区新岭路18号", "d:新岭路|18"),
    ],
)
def test_place_keys(address: str, key: str) -> None:
    place = READER.read(address)
    assert place is not None and place.key == key


def test_junctions_sharing_one_road_are_different_places() -> None:
    a, b = READER.read("江干区富春路与市民街交叉口"), READER.read("江干区五星路与市民街交叉口")
    assert a is not None and b is not None and a.key != b.key
    assert place_similarity(a, b)[0] < 1.0


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("文三路398号", "文三路400号", 0.5, 0.7),  # neighbouring door numbers
        ("文三路398号", "文三路100号", 0.0, 0.2),
        ("翠苑一区12幢", "翠苑一区13幢", 0.2, 0.4),
        ("6号大街360号", "2号大街360号", 0.0, 0.0),
        ("文三路398号", None, 0.0, 0.0),
    ],
)
def test_partial_places(a: str, b: str | None, low: float, high: float) -> None:
    value, _ = place_similarity(READER.read(a), READER.read(b))
    assert low <= value <= high


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("位于书院路主干道的在水一方大厦一楼人为拆除", "水一方大厦"),
        ("A市书院路在水一方大厦烂尾", "水一方大厦"),
        ("请求A市政府督促解决湖开小区市民正常供水问题", "湖开小区"),
        ("希望城管能彻底解决", None),  # "希望城" is not a compound
        ("文三路398号门口每天有人摆摊", "文三路398号"),
    ],
)
def test_places_read_from_text(text: str, place: str | None) -> None:
    found = READER.from_text(text)
    assert (found.label if found else None) == place


@pytest.mark.parametrize(
    ("lon", "lat", "usable"),
    [
        (120.15, 30.27, True),
        (None, None, False),
        (-77.0, 39.0, False),  # a whole-degree placeholder
        (0.0, 0.0, False),
        (121.5, 31.2, False),  # Shanghai: outside the configured box
    ],
)
def test_coordinates_outside_the_city_or_placeholders_are_ignored(lon, lat, usable) -> None:  # type: ignore[no-untyped-def]
    assert usable_point(lon, lat, (119.9, 30.05, 120.45, 30.45)) is usable


def test_distance() -> None:
    assert 90 < distance_m(120.150, 30.270, 120.151, 30.270) < 100


def test_text_similarity_ignores_framing_and_place() -> None:
    a = features("文三路398号的天天杂货店在人行道上搭建临时货架", drop=["文三路398号"])
    b = features(
        "又来了！文三路398号的天天杂货店在人行道上搭货架，希望彻底解决", drop=["文三路398号"]
    )
    c = features("晚上有人在绿地里放音乐跳舞，声音很大", drop=[])
    assert similarity(a, b) > 0.6
    assert similarity(a, c) < 0.15
    assert similarity(frozenset(), a) == 0.0


TAXONOMY = Taxonomy(parent={1: 10, 2: 10, 3: 20}, top={1: 10, 2: 10, 3: 20}, lookback={})
RULES = Rules()


def facts(id_: int, t: float, **values: object) -> Facts:
    base: dict[str, object] = {
        "created": t,
        "received": t,
        "channel": "12345",
        "phone": "13800001111",
        "name": "王先生",
        "text": "文三路398号的天天杂货店在人行道上搭建临时货架，行人无法通过",
        "place": READER.read("文三路398号"),
        "point": None,
        "category": 1,
        "area": 5,
        "case_id": 100 + id_,
        "district": 1,
    }
    base.update(values)
    return Facts(id=id_, **base)  # type: ignore[arg-type]


def test_same_place_category_and_text_score_high_with_every_signal_explained() -> None:
    match = score_pair(facts(2, DAY), facts(1, 0), TAXONOMY)
    assert match.score >= RULES.confirm
    assert set(match.signals) == {"place", "category", "text", "person"}
    assert "文三路398号" in match.signals["place"]["why"]


def test_another_category_at_the_same_door_is_not_a_repeat() -> None:
    noise = facts(
        2, DAY, category=3, text="楼上每天晚上跳广场舞，音乐声音很大", phone="13900002222"
    )
    assert score_pair(noise, facts(1, 0), TAXONOMY).score < RULES.suggest


def test_same_name_in_another_district_is_another_place() -> None:
    assert (
        score_pair(facts(2, DAY, district=2), facts(1, 0), TAXONOMY).signals["place"]["value"] == 0
    )


def test_missing_data_gives_no_link() -> None:
    """No place, no category, no person: nothing says it is the same issue."""
    bare = facts(2, DAY, place=None, category=None, phone=None, name=None, area=None, text="有问题")
    earlier = facts(
        1, 0, place=None, category=None, phone=None, name=None, area=None, text="有问题"
    )
    assert score_pair(bare, earlier, TAXONOMY).score < RULES.suggest
    assert block_keys(bare, TAXONOMY) == set()


def test_only_a_phone_links_nothing_without_similar_words() -> None:
    a = facts(2, DAY, place=None, area=None, category=None, text="小区门口垃圾没人清运")
    b = facts(1, 0, place=None, area=None, category=None, text="楼上装修噪音扰民")
    assert score_pair(a, b, TAXONOMY).score < RULES.suggest


def open_case(case_id: int) -> CaseState:
    return CaseState(case_id, None)


def closed_case(case_id: int, at: float) -> CaseState:
    return CaseState(case_id, at, "closed", unit_id=7)


@pytest.mark.parametrize(
    ("later", "earlier_case", "kind"),
    [
        # the same phone again while the case is open
        ({"received": 2 * DAY, "created": 2 * DAY}, open_case(101), SAME),
        # another person while the case is open
        (
            {"received": 2 * DAY, "created": 2 * DAY, "phone": "13900002222", "name": "李女士"},
            open_case(101),
            OTHER,
        ),
        # after the case was closed: the problem came back
        (
            {"received": 20 * DAY, "created": 20 * DAY, "phone": "13900002222"},
            closed_case(101, 5 * DAY),
            RECURRENCE,
        ),
        # the same words and person minutes later through another hotline
        ({"received": 600, "created": 5400, "channel": "96345"}, open_case(101), DUPLICATE),
    ],
)
def test_kinds(later: dict[str, object], earlier_case: CaseState, kind: str) -> None:
    first = facts(1, 0)
    second = facts(2, 0, **later)
    decision = decide(second, [first], {101: earlier_case}, {101: [first]}, TAXONOMY, RULES)
    assert decision is not None and decision.kind == kind
    assert decision.earlier is first and decision.confirmed


def test_beyond_the_look_back_window_is_a_new_issue() -> None:
    first = facts(1, 0)
    late = facts(2, 62 * DAY, phone="13900002222")
    assert decide(late, [first], {101: closed_case(101, DAY)}, {}, TAXONOMY, RULES) is None
    # the window runs from the closure, not from the first complaint
    after_long_case = facts(3, 100 * DAY, phone="13900002222")
    states = {101: closed_case(101, 50 * DAY)}
    assert decide(after_long_case, [first], states, {}, TAXONOMY, RULES) is not None


def test_per_category_window() -> None:
    short = Taxonomy(parent=TAXONOMY.parent, top=TAXONOMY.top, lookback={1: 10})
    first, later = facts(1, 0), facts(2, 12 * DAY, phone="13900002222")
    assert decide(later, [first], {101: closed_case(101, DAY)}, {}, short, RULES) is None


def test_only_earlier_complaints_count() -> None:
    first, second = facts(1, 0), facts(2, DAY)
    assert decide(first, [second], {102: open_case(102)}, {}, TAXONOMY, RULES) is None
