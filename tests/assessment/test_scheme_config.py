"""assessment.yaml through `config check`/`config load`: validation, stored versions."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from civicdesk.assessment.scheme_models import AssessmentScheme
from civicdesk.assessment.schemes import get_scheme, list_schemes, store_schemes
from civicdesk.config.loader import BUILTIN_DIR, load_config, read_config
from civicdesk.errors import ConfigurationError, NotFound

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def city(tmp_path: Path) -> Path:
    target = tmp_path / "city"
    shutil.copytree(BUILTIN_DIR / "hangzhou", target)
    return target


def edit(city: Path, change) -> None:
    path = city / "assessment.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_hangzhou_schemes_are_stored(session):
    codes = {(row.code, row.version) for row in list_schemes(session)}
    assert {("hz-complaints", 1), ("jinniu-dept", 1), ("jinniu-complaints", 1)} <= codes
    scheme, _ = get_scheme(session, "jinniu-dept")
    assert [i.weight for i in scheme.indicators] == [30, 20, 20, 20, 10]
    assert scheme.assess.unit_kinds == ["squadron"]


def test_weights_not_adding_up_is_refused_with_file_and_line(city):
    edit(city, lambda doc: doc["schemes"][1]["indicators"][0].update(weight=25))
    with pytest.raises(ConfigurationError) as caught:
        read_config(city)
    message = caught.value.message
    assert "assessment.yaml:" in message
    assert "指标权重合计应为100，现为95" in message and "disposal 25" in message


def test_unknown_measure_and_area_are_refused(city):
    def change(doc):
        doc["schemes"][0]["indicators"][3]["measure"] = "filling_rate"
        doc["area_facts"] = [{"area": "999999", "population": 1000}]

    edit(city, change)
    with pytest.raises(ConfigurationError) as caught:
        read_config(city)
    assert "unknown measure 'filling_rate'" in caught.value.message
    assert "unknown area code '999999'" in caught.value.message


def test_penalties_need_a_count_measure(city):
    def change(doc):
        doc["schemes"][0]["penalties"] = [
            {"code": "p", "name": "罚", "measure": "closure_rate", "points": 1}
        ]

    edit(city, change)
    with pytest.raises(ConfigurationError, match="measure 'closure_rate' is a rate"):
        read_config(city)


def test_reloading_is_unchanged_and_a_changed_version_is_refused(session, city):
    summary = load_config(session, city)
    assert summary["schemes"].created == 0 and summary["schemes"].unchanged == 4
    edit(city, lambda doc: doc["schemes"][0]["indicators"][0].update(target=-0.2))
    with pytest.raises(ConfigurationError, match="提高 version"):
        load_config(session, city)


def test_a_new_version_is_kept_beside_the_old(session, city):
    def change(doc):
        scheme = doc["schemes"][0]
        scheme["version"] = 2
        scheme["indicators"][0]["target"] = -0.2

    edit(city, change)
    summary = load_config(session, city)
    assert summary["schemes"].created == 1
    versions = session.scalars(
        select(AssessmentScheme.version).where(AssessmentScheme.code == "hz-complaints")
    ).all()
    assert sorted(versions) == [1, 2]
    latest, _ = get_scheme(session, "hz-complaints")
    old, _ = get_scheme(session, "hz-complaints", 1)
    assert (latest.version, latest.indicators[0].target) == (2, -0.2)
    assert old.indicators[0].target == -0.1


def test_unknown_scheme_is_named(session):
    with pytest.raises(NotFound, match="没有考核方案 nope"):
        get_scheme(session, "nope")


def test_store_without_a_file_is_a_no_op(session):
    assert store_schemes(session, None, source="x", now=NOW)[:2] == (0, 0)
