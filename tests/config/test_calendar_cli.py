"""The ``civicdesk calendar`` and ``civicdesk config`` commands against a fresh SQLite file.

Each test gets its own database (``CIVICDESK_DATABASE_URL``), migrated with ``db upgrade``
through the same command-line entry point a user runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicdesk import db
from civicdesk.cli import app
from civicdesk.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CIVICDESK_DATABASE_URL", url)
    get_settings.cache_clear()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    yield url
    get_settings.cache_clear()
    engine = db._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_show_a_known_year_lists_holidays_and_adjusted_workdays(cli_db: str) -> None:
    code, out = invoke("calendar", "show", "2026")
    assert code == 0, out
    assert "2026-02-17" in out and "春节" in out  # Spring Festival holiday
    assert "2026-02-28" in out and "调休上班" in out  # adjusted working Saturday
    assert "2026-03-10" not in out  # an ordinary Tuesday is listed only with --all
    assert "2026: 工作日" in out


def test_show_all_days_lists_every_day(cli_db: str) -> None:
    code, out = invoke("calendar", "show", "2026", "--all")
    assert code == 0, out
    assert "2026-03-10" in out and "2026-12-31" in out


def test_an_unknown_year_fails_until_its_notice_is_loaded(cli_db: str, tmp_path: Path) -> None:
    code, out = invoke("calendar", "show", "2027")
    assert code == 1
    assert "2027" in out and "calendar load" in out

    notice = tmp_path / "2027.yaml"
    notice.write_text(
        "holidays: [2027-01-01, 2027-02-08]\nworkdays: [2027-02-06]\n", encoding="utf-8"
    )
    code, out = invoke("calendar", "load", str(notice))
    assert code == 0, out
    assert "3" in out and "2027.yaml" in out

    code, out = invoke("calendar", "show", "2027")
    assert code == 0, out
    assert "2027-02-06" in out and "2027.yaml" in out  # where the override came from
    assert "2027-02-08" in out
    assert "2027-01-04" not in out  # an ordinary Monday


def test_assume_weekdays_shows_a_year_without_a_notice(cli_db: str) -> None:
    code, out = invoke("calendar", "show", "2031", "--assume-weekdays", "--all")
    assert code == 0, out
    assert "2031-01-01" in out and "assumed" in out


def test_loading_an_invalid_calendar_file_fails_and_writes_nothing(
    cli_db: str, tmp_path: Path
) -> None:
    notice = tmp_path / "bad.csv"
    notice.write_text("date,workday,note\n2027-01-01,0,元旦\n2027-13-01,1,bad\n", encoding="utf-8")
    code, out = invoke("calendar", "load", str(notice))
    assert code == 1
    assert "bad.csv line 3" in out
    code, out = invoke("calendar", "show", "2027")
    assert code == 1  # the valid first line was not written either


def test_config_load_twice_then_check(cli_db: str) -> None:
    code, out = invoke("config", "load")
    assert code == 0, out
    assert "685" in out and "125" in out  # areas and units created
    code, out = invoke("config", "load", "hangzhou")
    assert code == 0, out
    assert "未变" in out
    code, out = invoke("config", "check", "hangzhou")
    assert code == 0 and "valid" in out


def test_config_load_of_a_broken_directory_exits_1_with_the_reason(
    cli_db: str, tmp_path: Path
) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "city.yaml").write_text("root: [\n", encoding="utf-8")
    code, out = invoke("config", "load", str(tmp_path / "broken"))
    assert code == 1
    assert "city.yaml:" in out and "not valid YAML" in out
    assert "areas.yaml: file missing" in out
    code, out = invoke("config", "check", str(tmp_path / "broken"))
    assert code == 1 and "invalid configuration" in out
