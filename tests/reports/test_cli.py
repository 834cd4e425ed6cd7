"""``civicdesk report summary`` against its own SQLite file, as an operator would run it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from civicdesk import db
from civicdesk.clock import SHANGHAI
from civicdesk.intake.models import Channel, Complaint
from civicdesk.org.models import Area
from civicdesk.reports.cli import app
from civicdesk.settings import get_settings
from civicdesk.taxonomy.models import Category

runner = CliRunner()


def _complaint(session: Session, local: str, district: str | None, category: str | None) -> None:
    at = datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
    channel = session.scalars(select(Channel).order_by(Channel.id)).first()
    assert channel is not None
    district_id = category_id = None
    if district:
        district_id = session.scalars(
            select(Area.id).where(Area.short_name == district, Area.level == "district")
        ).one()
    if category:
        category_id = session.scalars(select(Category.id).where(Category.name == category)).one()
    session.add(
        Complaint(
            channel_id=channel.id,
            received_at=at,
            created_at=at,
            text="测试",
            district_id=district_id,
            category_id=category_id,
        )
    )


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite file named by CIVICDESK_DATABASE_URL, migrated, configured, with data."""
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
        _complaint(session, "2026-01-31 23:30", "上城", "生活噪声")
        _complaint(session, "2026-03-01 10:00", "上城", "违法停车")
        _complaint(session, "2026-04-01 10:00", "拱墅", "生活噪声")
        _complaint(session, "2026-08-01 00:10", "拱墅", "生活噪声")  # outside 1-7月
        _complaint(session, "2025-02-01 10:00", "上城", "生活噪声")
        _complaint(session, "2025-03-01 10:00", "西湖", None)
    yield url
    db._engines.pop(url).dispose()
    get_settings.cache_clear()


def invoke(*args: str) -> object:
    return runner.invoke(app, ["summary", *args])


def test_summary_tables_and_narrative(database: str) -> None:
    result = runner.invoke(app, ["summary", "--from", "2026-01-01", "--to", "2026-07-31"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "杭州" in out or "主城区" in out
    for heading in ("区域", "类别", "本期", "去年同期", "增减量", "增减幅"):
        assert heading in out
    assert "★ 生活噪声" in out
    assert "上城区" in out and "未分类" in out
    opening = "2026年1-7月，主城区投诉总量3件，比去年同期增加1件，上升50.00%。"
    assert opening in out.replace("\n", "")


@pytest.mark.parametrize("area", ["上城区", "上城", "330102"])
def test_area_by_name_short_name_or_code(database: str, area: str) -> None:
    result = runner.invoke(
        app, ["summary", "--from", "2026-01-01", "--to", "2026-07-31", "--area", area, "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["area"]["name"] == "上城区"
    assert payload["total"] == {"current": 2, "previous": 1, "change": 1, "percent": 100.0}
    assert payload["child_level"] == "street"
    assert payload["narrative"].startswith("2026年1-7月，上城投诉总量2件，比去年同期增加1件")


def test_json_for_the_root(database: str) -> None:
    result = runner.invoke(app, ["summary", "--from", "2026-01-01", "--to", "2026-07-31", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["area"]["short_name"] == "主城区"
    assert payload["total"]["current"] == 3
    assert payload["hotspot"]["current"] == 3
    districts = {a["short_name"]: a["current"] for a in payload["areas"]}
    assert districts["上城"] == 2 and districts["拱墅"] == 1


def test_csv_file(database: str, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["summary", "--from", "2026-01-01", "--to", "2026-07-31", "--csv", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    with target.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert ["投诉总量", "3", "2", "1", "50.00"] in rows


def test_unknown_area_lists_districts(database: str) -> None:
    result = runner.invoke(
        app, ["summary", "--from", "2026-01-01", "--to", "2026-07-31", "--area", "滨江"]
    )
    assert result.exit_code == 2
    assert "未找到区域“滨江”" in result.stderr
    for name in ("上城区", "下城区", "江干区", "拱墅区", "西湖区"):
        assert name in result.stderr


def test_from_after_to(database: str) -> None:
    result = runner.invoke(app, ["summary", "--from", "2026-07-31", "--to", "2026-01-01"])
    assert result.exit_code == 2
    assert "晚于结束日期" in result.stderr


@pytest.mark.parametrize("bad", ["2026-02-30", "2026-13-01", "yesterday"])
def test_impossible_dates(database: str, bad: str) -> None:
    result = runner.invoke(app, ["summary", "--from", bad, "--to", "2026-07-31"])
    assert result.exit_code == 2
    assert "日期无效" in result.stderr
    assert bad in result.stderr


def test_registered_under_civicdesk_report(database: str) -> None:
    from civicdesk.cli import app as main_app

    result = runner.invoke(
        main_app, ["report", "summary", "--from", "2026-03-01", "--to", "2026-03-31", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"]["current"] == 1
