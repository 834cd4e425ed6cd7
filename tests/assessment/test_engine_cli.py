"""``civicdesk assessment measures|refresh|list`` on their own SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicdesk import db
from civicdesk.cli import app
from civicdesk.settings import get_settings
from tests.assessment.test_engine import build_march
from tests.assessment.world import make_world

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from civicdesk.config.loader import load_config
    from civicdesk.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CIVICDESK_DATABASE_URL", url)
    monkeypatch.delenv("CIVICDESK_ASSESSMENT_DUCKDB", raising=False)
    get_settings.cache_clear()
    engine = db.get_engine()
    upgrade(engine)
    with db.unit_of_work(engine) as session:
        load_config(session, "hangzhou")
        session.flush()
        build_march(make_world(session))
    yield url
    db._engines.pop(url).dispose()
    get_settings.cache_clear()


def test_measures_table_and_json(database: str) -> None:
    result = runner.invoke(
        app,
        [
            "assessment",
            "measures",
            "--period",
            "2026-03",
            "--by",
            "district",
            "--measures",
            "complaints,closure_rate",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "投诉总量" in result.output and "结案率" in result.output and "上城区" in result.output
    assert "50.00%" in result.output and "合计" in result.output
    as_json = runner.invoke(
        app,
        [
            "assessment",
            "measures",
            "--period",
            "2026-03",
            "--measures",
            "closure_rate",
            "--variant",
            "closure_rate=excl_suspended",
            "--json",
        ],
    )
    assert as_json.exit_code == 0, as_json.output
    figure = json.loads(as_json.output)["total"]["figures"]["closure_rate"]
    assert (figure["numerator"], figure["denominator"], figure["value"]) == (3, 5, 60.0)


def test_refresh_then_the_fast_path(database: str, tmp_path: Path) -> None:
    path = tmp_path / "copy.duckdb"
    done = runner.invoke(app, ["assessment", "refresh", "--path", str(path)])
    assert done.exit_code == 0, done.output
    assert "11条投诉" in "".join(done.output.split()) and path.exists()
    fast = runner.invoke(
        app,
        [
            "assessment",
            "measures",
            "--period",
            "2026-03",
            "--measures",
            "complaints",
            "--backend",
            "duckdb",
            "--duckdb",
            str(path),
        ],
    )
    assert fast.exit_code == 0, fast.output
    text = "".join(fast.output.split())
    assert "分析库" in text and "数据截至" in text and "11" in text


def test_default_copy_sits_beside_the_sqlite_file(database: str, tmp_path: Path) -> None:
    done = runner.invoke(app, ["assessment", "refresh"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "cli.assessment.duckdb").exists()


def test_errors_and_empty_period(database: str) -> None:
    bad = runner.invoke(app, ["assessment", "measures", "--period", "2026-03", "--by", "x"])
    assert bad.exit_code == 2 and "未知的分组" in bad.output
    missing = runner.invoke(
        app, ["assessment", "measures", "--period", "2026-03", "--backend", "duckdb"]
    )
    assert missing.exit_code == 2 and "assessmentrefresh" in "".join(missing.output.split())
    empty = runner.invoke(
        app, ["assessment", "measures", "--period", "2024-01", "--measures", "closure_rate"]
    )
    text = "".join(empty.output.split())
    assert empty.exit_code == 0 and "本期没有任何投诉" in text and "—" in text


def test_list_every_measure() -> None:
    result = runner.invoke(app, ["assessment", "list", "--json"])
    assert result.exit_code == 0
    listed = {m["key"]: m for m in json.loads(result.output)}
    assert listed["closure_rate"]["variants"] == {"excl_suspended": "due_close − suspended"}
    assert listed["satisfaction_rate"]["numerator"] == "satisfied + basically"
    assert runner.invoke(app, ["assessment", "list"]).exit_code == 0
