"""routing.yaml and places.yaml are checked with the rest of the configuration."""

from __future__ import annotations

import shutil

import pytest

from civicdesk.config.loader import BUILTIN_DIR, read_config
from civicdesk.errors import ConfigurationError


@pytest.fixture
def city(tmp_path):
    target = tmp_path / "city"
    shutil.copytree(BUILTIN_DIR / "hangzhou", target)
    return target


def test_the_shipped_files_are_valid():
    config = read_config("hangzhou")
    assert {"routing", "places"} <= set(config.policies)


def test_unknown_codes_in_routing_are_named_with_their_line(city):
    (city / "routing.yaml").write_text(
        "rules:\n"
        "  - {category: illegal_parking, unit: sq-nowhere}\n"
        "  - {category: no_such_category, area: '999', unit_kind: squadron}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError) as caught:
        read_config(city)
    message = caught.value.message
    assert "routing.yaml:2: rules[0].unit: unknown unit 'sq-nowhere'" in message
    assert "unknown category 'no_such_category'" in message
    assert "unknown area '999'" in message


def test_a_rule_without_target_is_refused(city):
    (city / "routing.yaml").write_text("rules:\n  - {category: illegal_parking}\n", "utf-8")
    with pytest.raises(ConfigurationError, match="give either 'unit'"):
        read_config(city)


def test_places_refer_to_configured_streets(city):
    (city / "places.yaml").write_text(
        "district_names:\n  - {name: 新区, streets: ['330106004', '999999999']}\n", "utf-8"
    )
    with pytest.raises(ConfigurationError, match="unknown area '999999999'"):
        read_config(city)
