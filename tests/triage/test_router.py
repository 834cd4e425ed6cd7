from __future__ import annotations

import pytest
from pydantic import ValidationError

from civicdesk.triage.router import Named, RoutingFile, RuleEntry, cross_check, route

NAMES = {"sq-x": "西溪中队", "so-x": "西溪街道办事处", "centre": "中心", "dept-t": "交警"}
COVERING = [("sq-x", "squadron", "西溪街道"), ("so-x", "street_office", "西溪街道")]
PARKING = [Named("illegal_parking", "违法停车"), Named("street_order", "街面秩序")]
XIXI = [Named("330106004", "西溪街道"), Named("330106", "西湖区"), Named("330100", "主城区")]


def doc(*rules: dict, default: dict | None = None) -> RoutingFile:
    return RoutingFile.model_validate({"rules": list(rules), "default": default or {}})


def test_default_takes_the_squadron_covering_the_place():
    r = route(doc(), categories=PARKING, areas=XIXI, covering=COVERING, unit_names=NAMES)
    assert r.unit == "sq-x" and r.rule is None
    assert "默认规则" in r.explanation and "西溪街道" in r.explanation


def test_a_rule_explains_itself():
    d = doc({"category": "illegal_parking", "area": "330106004", "unit": "sq-x"})
    r = route(d, categories=PARKING, areas=XIXI, covering=COVERING, unit_names=NAMES)
    assert r.explanation == "派往 西溪中队：规则 违法停车 × 西溪街道"


def test_most_specific_rule_wins_then_priority():
    d = doc(
        {"category": "street_order", "unit": "dept-t"},
        {"category": "illegal_parking", "unit_kind": "street_office"},
    )
    r = route(d, categories=PARKING, areas=XIXI, covering=COVERING, unit_names=NAMES)
    assert r.unit == "so-x" and r.rule == 1
    d = doc(
        {"category": "street_order", "unit": "dept-t", "priority": 5},
        {"category": "illegal_parking", "unit_kind": "street_office"},
    )
    r = route(d, categories=PARKING, areas=XIXI, covering=COVERING, unit_names=NAMES)
    assert r.unit == "dept-t"


def test_rule_for_a_kind_nobody_covers_falls_through():
    d = doc({"category": "illegal_parking", "unit_kind": "department"})
    r = route(d, categories=PARKING, areas=XIXI, covering=COVERING, unit_names=NAMES)
    assert r.unit == "sq-x"


def test_unlocated_complaint_goes_to_the_fallback():
    d = doc(default={"unit": "centre"})
    r = route(d, categories=PARKING, areas=[], covering=[], unit_names=NAMES)
    assert r.unit == "centre"
    r = route(doc(), categories=[], areas=[], covering=[], unit_names=NAMES)
    assert r.unit is None and "no rule" in r.explanation


@pytest.mark.parametrize(
    "rule",
    [
        {"category": "x"},  # no target
        {"category": "x", "unit": "a", "unit_kind": "squadron"},  # both targets
        {"unit": "a"},  # matches everything: that is the default's job
        {"category": "x", "unit_kind": "mayor"},
    ],
)
def test_invalid_rules_are_refused(rule):
    with pytest.raises(ValidationError):
        RuleEntry.model_validate(rule)


def test_cross_check_names_unknown_codes():
    d = doc({"category": "nope", "area": "999", "unit": "ghost"})
    found = cross_check(
        d, unit_codes={"sq-x"}, category_codes={"illegal_parking"}, area_codes=set()
    )
    assert [at[-1] for at, _ in found] == ["unit", "category", "area"]
