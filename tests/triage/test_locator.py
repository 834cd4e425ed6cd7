"""The locator on the Hangzhou configuration: the forms people write addresses in."""

from __future__ import annotations

import pytest


def where(engine_, *texts):
    found = engine_.locator.locate(*texts)
    return (
        found.district.name if found.district else None,
        found.street.name if found.street else None,
        found.community.name if found.community else None,
    )


@pytest.mark.parametrize(
    ("text", "district", "street"),
    [
        ("浙江省杭州市西湖区西溪街道上马塍社区12幢", "西湖区", "西溪街道"),
        ("杭州市下城区武林街道", "下城区", "武林街道"),
        ("拱墅区武林街道", "下城区", "武林街道"),  # today's district name (since 2021)
        ("钱塘区下沙街道", "江干区", "下沙街道"),  # 江干区 split in 2021
        ("上城区凯旋街道", "江干区", "凯旋街道"),
        ("我家住在西湖区文新街道，楼下烧烤店油烟很大", "西湖区", "文新街道"),
        ("上马塍社区门口乱停车", "西湖区", "西溪街道"),  # a community alone
        ("劳动路社区", "上城区", "清波街道"),
        ("杭州西湖区留下一带", "西湖区", "留下街道"),  # short street name
        ("杭州市西湖區西溪街道", "西湖区", "西溪街道"),  # traditional characters
    ],
)
def test_resolves(engine_, text, district, street):
    assert where(engine_, text)[:2] == (district, street)


def test_community_is_given_when_named(engine_):
    assert where(engine_, "西溪街道上马塍社区")[2] == "上马塍社区"


def test_a_road_named_like_a_street_is_not_the_street(engine_):
    found = engine_.locator.locate("朝晖路")
    assert found.street is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no address"),
        ("😀😀😀", "no known place name"),
        ("北京市朝阳区建国路88号", "outside the platform's area: 北京市"),
        ("杭州市滨江区西兴街道江南大道", "outside the platform's area: 滨江区"),
        ("拱墅区", "district ambiguous"),  # today's 拱墅区 also covers the former 下城区
    ],
)
def test_unresolved_is_said(engine_, text, reason):
    found = engine_.locator.locate(text)
    assert found.street is None
    assert any(reason in note for note in found.unresolved), found.unresolved


def test_old_district_name_alone_resolves_the_district(engine_):
    assert where(engine_, "西湖区某小区")[:2] == ("西湖区", None)
    assert where(engine_, "下城区")[:2] == ("下城区", None)


def test_ambiguous_community_name_needs_its_street(engine_):
    found = engine_.locator.locate("花园社区")
    assert found.street is None and found.unresolved
    assert (
        where(engine_, "拱墅区花园社区")[1] is not None
        or engine_.locator.locate("拱墅区花园社区").unresolved
    )


def test_placed_gives_the_chain(engine_):
    found = engine_.locator.placed("330106004")
    assert (found.district.name, found.street.name, found.community) == ("西湖区", "西溪街道", None)
