"""``civicdesk report workbook|pdf`` and ``civicdesk hotspots scan|alerts`` on their own SQLite
file, as an operator would run them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from civicdesk import db
from civicdesk.assessment.hotspot_models import HotspotAlert
from civicdesk.cli import app
from civicdesk.reports.periods import Period, default_period
from civicdesk.settings import get_settings
from tests.assessment.test_dashboard_report import Data
from tests.assessment.test_pdf import pdf_text

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from civicdesk.config.loader import load_config
    from civicdesk.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CIVICDESK_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = db.get_engine()
    upgrade(engine)
    with db.unit_of_work(engine) as session:
        load_config(session, "hangzhou")
        session.flush()
        data = Data(session)
        data.add("2026-02-01 10:00", "清波街道", "construction_noise")
        data.add("2026-06-01 10:00", "北山街道", "illegal_parking")
        data.add("2025-02-01 10:00", "清波街道", "construction_noise")
        monday = date(2026, 3, 2)
        for n in range(1, 9):
            data.add(f"{monday - timedelta(weeks=n)} 10:00", "小营街道", "cooking_fumes")
        for i in range(20):
            data.add(f"{monday + timedelta(days=i % 5)} 1{i % 10}:00", "小营街道", "cooking_fumes")
    yield url
    db._engines.pop(url).dispose()
    get_settings.cache_clear()


def test_workbook_command(database: str, tmp_path: Path) -> None:
    out = tmp_path / "报表.xlsx"
    result = runner.invoke(
        app, ["report", "workbook", "--period", "2026-01..2026-07", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "已写入Excel 报表" in result.stdout.replace("\n", "")
    book = load_workbook(BytesIO(out.read_bytes()))
    assert book["总体情况"]["B3"].value == 30 and book["总体情况"]["C3"].value == 1


def test_pdf_command(database: str, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    result = runner.invoke(app, ["report", "pdf", "--period", "2026-02", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert "2026年2月，主城区投诉总量5件，比去年同期增加4件，上升400.00%。" in text


def test_bad_period_exits_2_with_a_message(database: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", "pdf", "--period", "2026-13", "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 2
    assert "统计期间无效" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_hotspots_scan_raises_once(database: str) -> None:
    first = runner.invoke(app, ["hotspots", "scan", "--at", "2026-03-09"])
    assert first.exit_code == 0, first.output
    assert "新预警 2 条" in first.stdout  # 油烟 (category) and 小营街道 (street)
    second = runner.invoke(app, ["hotspots", "scan", "--at", "2026-03-09"])
    assert "新预警 0 条，延续 2 条" in second.stdout
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(HotspotAlert)) == 2
    listed = runner.invoke(app, ["hotspots", "alerts"], env={"COLUMNS": "200"})
    assert "小营街道" in listed.stdout and "待确认" in listed.stdout


def test_default_period_is_january_to_the_last_whole_month() -> None:
    assert default_period(date(2026, 8, 3)) == Period(date(2026, 1, 1), date(2026, 7, 31))
    assert default_period(date(2026, 1, 20)) == Period(date(2026, 1, 1), date(2026, 1, 20))
