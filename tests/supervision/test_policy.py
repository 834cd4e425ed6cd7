"""supervision.yaml and feedback.yaml: refused at `config check`/`config load` with the file,
line and field named; a stored document that went bad is refused when the server or the worker
starts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select, update

from civicdesk.config.loader import BUILTIN_DIR, load_config, read_config
from civicdesk.config.models import Policy
from civicdesk.config.policies import check_active, supervision_policy
from civicdesk.errors import ConfigurationError

S = "supervision.yaml"
F = "feedback.yaml"


def copy(tmp_path: Path) -> Path:
    target = tmp_path / "city"
    shutil.copytree(BUILTIN_DIR / "hangzhou", target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN = {
    "negative limit": (
        S,
        "limits: {accept: 1h, reply: 1d}",
        "limits: {accept: -1h, reply: 1d}",
        "时限不能为负数",
    ),
    "grade without level": (
        S,
        "    name: 挂牌督办\n    level: city\n",
        "    name: 挂牌督办\n",
        "field 'level': Field required",
    ),
    "unknown level": (
        S,
        "    to: district",
        "    to: province",
        "rules[1].to: unknown level 'province'",
    ),
    "unknown unit": (
        S,
        "centre: centre-96310",
        "centre: centre-0571",
        "centre: unknown unit 'centre-0571'",
    ),
    "unknown category": (
        S,
        "  illegal_building:\n    # A",
        "  illegal_bldg:\n    # A",
        "unknown category 'illegal_bldg'",
    ),
    "two conditions": (
        S,
        "when: {overdue_by: 4h}",
        "when: {overdue_by: 4h, complaints_at_least: 3}",
        "exactly one condition",
    ),
    "escalation without target": (
        S,
        "    issue: escalate\n    to: district\n",
        "    issue: escalate\n",
        "needs 'to'",
    ),
    "unknown factor": (
        S,
        "    repeats: {points: 1, cap: 4}",
        "    fame: {points: 1}",
        "unknown factor(s) fame",
    ),
    "bad duration": (S, "report_every: 3d", "report_every: three days", "时限格式"),
    "template placeholder": (
        F,
        "{unit}已于{date}处理",
        "{unit}已于{when}处理",
        "unknown placeholder(s) {when}",
    ),
    "template category": (F, "    living_noise:", "    noise:", "unknown category 'noise'"),
    "callback rule": (F, "not_solved: rework", "not_solved: ignore", "field 'callback.not_solved'"),
}


@pytest.mark.parametrize("breakage", BROKEN.values(), ids=list(BROKEN))
def test_nonsense_rules_are_refused_at_config_check(tmp_path, breakage):
    file, old, new, expected = breakage
    config = copy(tmp_path)
    edit(config / file, old, new)
    with pytest.raises(ConfigurationError) as caught:
        read_config(config)
    assert expected in caught.value.message
    assert f"{file}:" in caught.value.message  # the line is named


def test_the_error_points_at_the_line(tmp_path):
    config = copy(tmp_path)
    edit(config / S, "centre: centre-96310", "centre: centre-0571")
    line = next(
        n for n, t in enumerate((config / S).read_text().splitlines(), 1) if "centre-0571" in t
    )
    with pytest.raises(ConfigurationError, match=rf"supervision\.yaml:{line}: centre"):
        read_config(config)


def test_the_rule_files_are_optional(tmp_path, session):
    config = copy(tmp_path)
    (config / S).unlink()
    (config / F).unlink()
    assert not {"supervision", "feedback"} & set(read_config(config).policies)


def test_the_policies_are_stored_and_reloading_changes_nothing(session):
    summary = load_config(session, "hangzhou")
    kind = summary["policies"]
    assert kind.unchanged >= 2 and kind.created == kind.updated == 0 and not summary.changed
    policy = supervision_policy(session)
    assert [g.name for g in policy.grades.values()] == ["一般督办", "重点督办", "挂牌督办"]
    assert str(policy.warning_before["accept"]) == "0.5h"


def test_a_stored_document_that_went_bad_is_refused_at_start_up(session):
    check_active(session)  # the shipped configuration is fine
    document = session.scalar(select(Policy.document).where(Policy.name == "supervision"))
    session.execute(
        update(Policy)
        .where(Policy.name == "supervision")
        .values(document={**document, "centre": "gone"})
    )
    with pytest.raises(ConfigurationError, match=r"supervision\.yaml centre: unknown unit 'gone'"):
        check_active(session)
    session.execute(
        update(Policy)
        .where(Policy.name == "supervision")
        .values(document={**document, "grades": [{"code": "x", "name": "x"}]})
    )
    with pytest.raises(ConfigurationError, match=r"grades\.0\.level: Field required"):
        check_active(session)
