"""The portal's pure pieces: masking numbers, sniffing photos, file names, the media paths,
the gazetteer, bounds and boundaries."""

from __future__ import annotations

import json

import pytest

from civicdesk.errors import ConfigurationError, InvalidInput
from civicdesk.org.gazetteer import locate
from civicdesk.portal.geo import Bounds, area_code_at, load_boundaries
from civicdesk.portal.public import redact
from civicdesk.portal.uploads import MediaStore, Photo, clean_name, sniff
from tests.citizen import JPEG, PNG, WEBP


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话13812345678请回", "电话138****5678请回"),
        ("座机0571-87654321", "座机0571-****4321"),
        ("身份证330106199001011234", "身份证330106********1234"),
        ("邮箱 wang.li@example.com", "邮箱 [邮箱已隐藏]"),
        ("文三路478号3幢", "文三路478号3幢"),
        ("案件HZ2026031000001", "案件HZ2026031000001"),
        (None, None),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_sniff_by_magic_bytes():
    assert (sniff(JPEG[:16]), sniff(PNG[:16]), sniff(WEBP[:16])) == (
        "image/jpeg",
        "image/png",
        "image/webp",
    )
    assert sniff(b"GIF89a......") is None and sniff(b"<svg") is None and sniff(b"") is None


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Windows\\evil.jpg", "evil.jpg"),
        ("a\x00b\nc.png", "abc.png"),
        ("...", None),
        ("", None),
        ("照" * 300, "照" * 120),
    ],
)
def test_clean_name(name, cleaned):
    assert clean_name(name) == cleaned


def test_media_paths_stay_inside_the_directory(tmp_path, now):
    store = MediaStore(tmp_path)
    stored = store.save(Photo(PNG, "image/png", "x"), now=now)
    assert stored.stored_name.startswith("2026/03/") and stored.stored_name.endswith(".png")
    assert store.path(stored.stored_name).read_bytes() == PNG
    with pytest.raises(InvalidInput):
        store.path("../outside.png")
    with pytest.raises(InvalidInput):
        store.path("/etc/passwd")
    store.discard([stored])
    assert not store.path(stored.stored_name).exists()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("西湖区西溪街道文三路100号", "西溪街道"),
        ("杭州市西溪街道", "西溪街道"),
        ("文三路100号", None),
        ("", None),
    ],
)
def test_the_gazetteer_finds_street_names(session, text, name):
    place = locate(session, text)
    assert (place.name if place else None) == name


def test_a_community_name_is_the_most_specific_place(session):
    place = locate(session, "上城区清波街道劳动路社区5幢")
    assert place is not None and place.name == "劳动路社区" and place.level == "community"


def test_bounds():
    bounds = Bounds.parse("119.90,30.05,120.45,30.45")
    assert bounds.contains(120.15, 30.27) and not bounds.contains(0, 0)
    with pytest.raises(ConfigurationError):
        Bounds.parse("1,2,3")
    with pytest.raises(ConfigurationError):
        Bounds.parse("3,2,1,0")


def test_boundaries_place_a_point(tmp_path):
    square = [[120.0, 30.0], [120.2, 30.0], [120.2, 30.2], [120.0, 30.2], [120.0, 30.0]]
    hole = [[120.05, 30.05], [120.1, 30.05], [120.1, 30.1], [120.05, 30.1], [120.05, 30.05]]
    path = tmp_path / "b.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "330106004", "name": "西溪街道"},
                        "geometry": {"type": "Polygon", "coordinates": [square, hole]},
                    }
                ],
            }
        )
    )
    found = load_boundaries(path)
    assert area_code_at(found, 120.15, 30.15) == "330106004"
    assert area_code_at(found, 120.07, 30.07) is None  # inside the hole
    assert area_code_at(found, 121, 31) is None
