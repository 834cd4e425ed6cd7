"""``civicdesk import`` against its own SQLite file, as an operator at the 96310 centre runs it."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from civicdesk import db
from civicdesk.cli import app
from civicdesk.intake.models import Complaint, ImportBatch
from civicdesk.settings import get_settings

runner = CliRunner()
HEADER = [
    "来源",
    "工单号",
    "来电时间",
    "投诉人",
    "联系电话",
    "投诉内容",
    "事发地址",
    "问题类别",
    "街道",
]


def line(ref: str, **changes: str) -> list[str]:
    values = {
        "来源": "12345",
        "工单号": ref,
        "来电时间": "2025年3月4日 9时12分",
        "投诉人": "王先生",
        "联系电话": "13800001111",
        "投诉内容": "小区门口夜间施工，噪声很大",
        "事发地址": "文三路100号",
        "问题类别": "施工噪声",
        "街道": "西溪街道",
    }
    values.update(changes)
    return [values[name] for name in HEADER]


def write(
    path: Path, rows: list[list[str]], *, header: list[str] = HEADER, encoding: str = "gbk"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite file named by CIVICDESK_DATABASE_URL, migrated and configured."""
    from civicdesk.config.loader import load_config
    from civicdesk.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CIVICDESK_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps long Chinese lines at 80 otherwise
    get_settings.cache_clear()
    engine = db.get_engine()
    upgrade(engine)
    with db.unit_of_work(engine) as session:
        load_config(session, "hangzhou")
    yield url
    db._engines.pop(url).dispose()
    get_settings.cache_clear()


def invoke(*args: Any) -> Any:
    return runner.invoke(app, ["import", *map(str, args)])


def complaints() -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Complaint)) or 0


def test_import_then_rerun(database, tmp_path):
    path = write(tmp_path / "12345.csv", [line("T1"), line("T2"), line("T2")])
    result = invoke(path)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "读取行数" in out and "新导入" in out and "行/秒" in out
    assert "已导入 2 条投诉，跳过已存在 1 行" in out
    assert complaints() == 2
    again = invoke(path)
    assert again.exit_code == 0, again.output
    assert "没有新投诉：已存在 3 行" in again.output
    assert "同一文件（内容相同）已于" in again.output
    assert complaints() == 2
    with db.unit_of_work() as session:
        batches = session.scalars(select(ImportBatch).order_by(ImportBatch.id)).all()
        assert [(b.rows_imported, b.rows_already_present) for b in batches] == [(2, 1), (0, 3)]


def test_validation_failure_imports_nothing_and_exits_1(database, tmp_path):
    path = write(
        tmp_path / "bad.csv",
        [line("B1"), line("B2", 来电时间="2025-02-30 10:00"), line("B3", 联系电话="12")],
    )
    result = invoke(path)
    assert result.exit_code == 1, result.output
    assert "第3行 来电时间：日期不存在 2025-02-30 10:00" in result.output
    assert "第4行 联系电话：" in result.output
    assert "整个文件未导入" in result.output and "--skip-invalid" in result.output
    assert complaints() == 0
    report = tmp_path / "bad.csv.errors.csv"
    assert report.exists()  # the full list, even when nothing was imported


def test_skip_invalid_writes_the_report(database, tmp_path):
    path = write(tmp_path / "mixed.csv", [line("M1"), line("M2", 投诉内容="")])
    target = tmp_path / "out" / "failures.csv"
    target.parent.mkdir()
    result = invoke(path, "--skip-invalid", "--report", target)
    assert result.exit_code == 0, result.output
    assert "1 行失败未导入" in result.output
    assert complaints() == 1
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["行号", "问题", *HEADER]
    assert rows[1][:2] == ["3", "投诉内容：不能为空"]


def test_first_twenty_errors_are_shown(database, tmp_path):
    path = write(tmp_path / "many.csv", [line(f"X{i}", 来电时间="昨天") for i in range(25)])
    result = invoke(path)
    assert result.exit_code == 1
    assert "第21行 来电时间" in result.output and "第22行" not in result.output
    assert "另有 5 个问题" in result.output


def test_dry_run(database, tmp_path):
    result = invoke(write(tmp_path / "d.csv", [line("D1")]), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "试运行，未写入数据库：将导入 1 行" in result.output
    assert complaints() == 0


def test_channel_option_and_excel(database, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "96345"
    sheet.append(HEADER[1:])
    sheet.append(line("W1")[1:])
    book.save(tmp_path / "96345.xlsx")
    missing = invoke(tmp_path / "96345.xlsx")
    assert missing.exit_code == 2
    assert "缺少必需的列：渠道（channel）" in missing.output
    assert "文件中的列（第1行）：工单号、来电时间" in missing.output
    result = invoke(tmp_path / "96345.xlsx", "--channel", "96345", "--sheet", "96345")
    assert result.exit_code == 0, result.output
    assert "Excel 工作表“96345”" in result.output and complaints() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x80\xff\x80\xff,\x81\n\xfe\xfe\x80", "无法识别文件编码"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "不支持旧版 Excel"),
    ],
)
def test_unreadable_files_exit_2(database, tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    result = invoke(path)
    assert result.exit_code == 2 and message in result.output


def test_missing_file_and_size_guard(database, tmp_path):
    assert invoke(tmp_path / "nope.csv").exit_code == 2
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * (1024 * 1024 + 1))  # refused before it is read
    result = invoke(path, "--max-mb", "1")
    assert result.exit_code == 2 and "文件过大" in result.output


def test_markup_in_file_content_is_printed_literally(database, tmp_path):
    path = write(tmp_path / "m.csv", [line("[bold]X[/bold]", 来电时间="[red]坏[/red]")])
    result = invoke(path)
    assert result.exit_code == 1
    assert "[red]坏[/red]" in result.output
