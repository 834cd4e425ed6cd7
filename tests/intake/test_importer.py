"""Bulk import against a real session: encodings, headers, row errors, all-or-nothing,
idempotency, and the bulk path writing exactly what ``record_complaint`` writes."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.clock import SHANGHAI
from civicdesk.intake.importing import UnreadableFile, import_file, write_error_report
from civicdesk.intake.importing.reading import detect_encoding
from civicdesk.intake.importing.references import AreaIndex
from civicdesk.intake.importing.rows import parse_datetime
from civicdesk.intake.models import Channel, Complaint, ImportBatch
from civicdesk.org.models import Area, AreaLevel
from civicdesk.org.service import placement
from civicdesk.taxonomy.models import Category
from tests import builders as b

ZH = [
    "渠道",
    "工单号",
    "来电时间",
    "投诉人",
    "联系电话",
    "标题",
    "投诉内容",
    "事发地址",
    "经度",
    "纬度",
    "问题类别",
    "街道",
]
EN = [
    "channel",
    "upstream_ref",
    "received_at",
    "complainant_name",
    "complainant_phone",
    "title",
    "text",
    "address",
    "longitude",
    "latitude",
    "category",
    "area",
]


def row(ref: str, **changes: Any) -> list[Any]:
    values = {
        "channel": "12345",
        "upstream_ref": ref,
        "received_at": "2026-03-09 09:12",
        "complainant_name": "王先生",
        "complainant_phone": "13800001111",
        "title": "",
        "text": "文三路100号门口每天晚上有人占道摆摊卖烧烤，油烟很大，影响通行",
        "address": "文三路100号",
        "longitude": "120.123456",
        "latitude": "30.276543",
        "category": "street_vendor",
        "area": b.XIXI_STREET,
    }
    values.update(changes)
    return [values[name] for name in EN]


def write_csv(
    path: Path, rows: list[list[Any]], *, header: list[str] = ZH, encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Complaint, Case, CaseEvent, ImportBatch)
    }


def complaint(session: Session, ref: str, channel: str = "12345") -> Complaint:
    return session.scalars(
        select(Complaint)
        .join(Channel, Channel.id == Complaint.channel_id)
        .where(Channel.code == channel, Complaint.upstream_ref == ref)
    ).one()


# ---- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_chinese_csv_in_each_encoding_imports_every_row(session, now, tmp_path, encoding):
    path = write_csv(
        tmp_path / "12345.csv", [row("E1"), row("E2", text="楼下KTV噪声扰民")], encoding=encoding
    )
    report = import_file(session, path, now=now)
    assert (report.rows_read, report.imported, report.failed) == (2, 2, 0)
    assert report.written and not report.errors
    assert complaint(session, "E2").text == "楼下KTV噪声扰民"  # never mojibake
    assert report.encoding == ("gb18030" if encoding.startswith("gb") else "utf-8-sig")


def test_excel_unicode_text_export_utf16_tab_separated(session, now, tmp_path):
    path = tmp_path / "unicode.txt"
    with path.open("w", encoding="utf-16", newline="") as handle:
        csv.writer(handle, delimiter="\t").writerows([ZH, row("U1", text="占道经营，影响通行")])
    report = import_file(session, path, now=now)
    assert report.encoding == "utf-16" and report.imported == 1
    assert complaint(session, "U1").text == "占道经营，影响通行"


def test_english_headers_and_every_field_stored(session, now, tmp_path):
    path = write_csv(tmp_path / "a.csv", [row("F1", title="占道烧烤")], header=EN)
    report = import_file(session, path, now=now)
    assert report.imported == 1
    stored = complaint(session, "F1")
    xixi = b.area_by_name(session, "西溪街道")
    assert stored.received_at == datetime(2026, 3, 9, 1, 12, tzinfo=UTC)  # 09:12 Beijing
    assert (stored.complainant_name, stored.complainant_phone) == ("王先生", "13800001111")
    assert (stored.title, stored.address) == ("占道烧烤", "文三路100号")
    assert (stored.longitude, stored.latitude) == (120.123456, 30.276543)
    assert (
        stored.category_id
        == session.scalars(select(Category.id).where(Category.code == "street_vendor")).one()
    )
    assert (stored.area_id, stored.street_id, stored.district_id) == (
        xixi.id,
        xixi.id,
        xixi.parent_id,
    )
    assert stored.import_batch_id == report.batch_id and stored.created_at == now
    case = session.get_one(Case, stored.case_id)
    assert case.number.startswith("HZ20260309") and case.status == "received"
    assert case.title == "占道烧烤" and case.complaint_count == 1
    event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
    assert (event.action, event.from_status, event.to_status) == ("receive", "received", "received")
    assert event.data == {"complaint_id": stored.id, "channel": "12345"}


def test_xlsx_with_title_line_date_cells_and_numeric_cells(session, now, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "工单"
    sheet.append(["12345市长热线转办工单导出（2026年3月）"])  # a title line above the header
    sheet.append(
        [
            "来源",
            "来源工单号",
            "受理时间",
            "姓名",
            "电话",
            "诉求内容",
            "地址",
            "类别",
            "区域",
            "备注",
        ]
    )
    sheet.append(
        [
            "12345",
            2026030900017,
            datetime(2026, 3, 9, 9, 12),  # noqa: DTZ001
            None,
            13800001111,
            "工地夜间施工噪声",
            None,
            "施工噪声",
            "西溪街道",
            "无",
        ]
    )
    sheet.append([None] * 10)  # blank rows are skipped
    sheet.append(
        [
            "96345",
            "B-2",
            "2026/3/9 9:30:00",
            "李女士",
            "0571-87000000",
            "小区门口违法停车",
            "",
            "illegal_parking",
            b.XIXI_STREET,
            "",
        ]
    )
    book.save(tmp_path / "export.xlsx")
    report = import_file(session, tmp_path / "export.xlsx", now=now)
    assert report.errors == [] and report.imported == 2
    assert report.sheet == "工单" and report.ignored_columns == ["备注"]
    first = complaint(session, "2026030900017")
    assert first.received_at == datetime(2026, 3, 9, 9, 12, tzinfo=SHANGHAI)
    assert first.complainant_name is None and first.complainant_phone == "13800001111"
    assert complaint(session, "B-2", "96345").complainant_phone == "0571-87000000"


def test_xlsx_sheet_by_name_and_unknown_sheet(session, now, tmp_path):
    book = Workbook()
    book.active.title = "说明"
    data = book.create_sheet("数据")
    data.append(ZH)
    data.append(row("S1"))
    book.save(tmp_path / "two.xlsx")
    assert import_file(session, tmp_path / "two.xlsx", now=now, sheet="数据").imported == 1
    with pytest.raises(UnreadableFile, match="工作表“汇总”不存在；文件中的工作表：说明、数据"):
        import_file(session, tmp_path / "two.xlsx", now=now, sheet="汇总")


def test_unknown_encoding_is_refused_not_guessed(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"channel,upstream_ref\n12345,\x80\xff\x80\xff\n")
    with pytest.raises(UnreadableFile, match="无法识别文件编码"):
        detect_encoding(path)


@pytest.mark.parametrize(
    "text",
    [
        "工單號,來電時間,投訴內容\nA1,2026-03-09 09:00,樓下燒烤攤油煙很大，晚上噪音擾民，請處理\n"
        * 20,
        "工單號,來電時間\nA1,2026\n",  # short: a detector "finds" UTF-16 in it
    ],
)
def test_big5_is_read_as_big5_or_refused_never_mojibake(tmp_path, text):
    path = tmp_path / "big5.csv"
    path.write_bytes(text.encode("big5"))
    try:
        encoding = detect_encoding(path)
    except UnreadableFile:
        return
    assert path.read_text(encoding=encoding) == text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件为空"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "不支持旧版 Excel"),
        (b"PK\x03\x04 not really a zip", "不是有效的 .xlsx"),
        ("工单号,投诉内容,备注\nA1,噪声,\n".encode(), "缺少必需的列：渠道（channel）、来电时间"),
        ("区域,街道,投诉内容\n".encode(), "区域、街道 都对应“区域”"),
    ],
)
def test_unreadable_files(session, now, tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=message):
        import_file(session, path, now=now)


def test_missing_columns_are_named_with_the_columns_found(session, now, tmp_path):
    path = write_csv(tmp_path / "m.csv", [["A1", "噪声"]], header=["编号", "内容"])
    with pytest.raises(UnreadableFile) as caught:
        import_file(session, path, now=now, channel="12345")
    assert "缺少必需的列：来电时间（received_at）" in caught.value.message
    assert "文件中的列（第1行）：编号、内容" in caught.value.message
    assert caught.value.columns_found == ["编号", "内容"]


def test_channel_option_for_a_hotline_export_without_channel_column(session, now, tmp_path):
    header = ZH[1:]
    path = write_csv(tmp_path / "96345.csv", [row("C1")[1:]], header=header)
    with pytest.raises(UnreadableFile, match="没有渠道列时请用 --channel"):
        import_file(session, path, now=now)
    with pytest.raises(UnreadableFile, match="未知渠道：99999"):
        import_file(session, path, now=now, channel="99999")
    report = import_file(session, path, now=now, channel="市民服务热线")  # by name works too
    assert report.imported == 1 and complaint(session, "C1", "96345")


def test_size_guard(session, now, tmp_path):
    path = write_csv(tmp_path / "big.csv", [row(f"G{i}") for i in range(50)])
    with pytest.raises(UnreadableFile, match="文件过大"):
        import_file(session, path, now=now, max_bytes=1000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-04 09:12", datetime(2025, 3, 4, 9, 12)),  # noqa: DTZ001
        ("2025/3/4 9:12:00", datetime(2025, 3, 4, 9, 12)),  # noqa: DTZ001
        ("2025年3月4日 9时12分", datetime(2025, 3, 4, 9, 12)),  # noqa: DTZ001
        ("2025年3月4日9点12分30秒", datetime(2025, 3, 4, 9, 12, 30)),  # noqa: DTZ001
        ("2025.3.4", datetime(2025, 3, 4)),  # noqa: DTZ001
        ("2025-03-04T09:12:00+08:00", datetime(2025, 3, 4, 9, 12, tzinfo=SHANGHAI)),
        (45720.5, datetime(2025, 3, 4, 12, 0)),  # noqa: DTZ001 — an Excel serial number
    ],
)
def test_dates(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-02-30", "日期不存在 2025-02-30"),
        ("2025-02-28 24:10", "时间不存在"),
        ("昨天下午", "无法识别的时间 昨天下午"),
    ],
)
def test_impossible_dates(text, message):
    with pytest.raises(ValueError, match=message):
        parse_datetime(text)


# ---- validation ------------------------------------------------------------------------------


def test_each_bad_row_is_reported_with_row_column_and_reason(session, now, tmp_path):
    rows = [
        row("V1"),
        row("V2", received_at="2025-02-30 10:00"),
        row("V3", text=""),
        row("V4", complainant_phone="12345"),
        row("V5", category="火星垃圾"),
        row("V6", longitude="200", latitude="30.2"),
        row("V7", area="不存在街道"),
        row("V8", upstream_ref=""),
        row("V9", upstream_ref="2.02603E+12"),
        row("V10", received_at=(now + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")),
        row("V11", longitude="东经120", latitude=""),
        row("V12", channel="火星热线"),
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    report = import_file(session, path, now=now)
    messages = [str(error) for error in report.errors]
    assert "第3行 来电时间：日期不存在 2025-02-30 10:00" in messages
    assert "第4行 投诉内容：不能为空" in messages
    assert "第5行 联系电话：电话号码格式不正确（手机11位，或带区号的固定电话） 12345" in messages
    assert "第6行 问题类别：未知类别 火星垃圾" in messages
    assert "第7行 经度：超出范围（应不大于180） 200" in messages
    assert "第8行 街道：未知区域 不存在街道" in messages
    assert any(m.startswith("第9行 工单号：不能为空") for m in messages)
    assert any(m.startswith("第10行 工单号：工单号被 Excel 显示为科学计数法") for m in messages)
    assert any(m.startswith("第11行 来电时间：受理时间晚于当前时间") for m in messages)
    assert "第12行 经度：不是有效数字 东经120" in messages
    assert "第13行 渠道：未知渠道 火星热线" in messages
    assert report.failed == 11 and report.rows_read == 12
    assert not report.written and report.imported == 0


def test_html_in_text_is_stored_as_is(session, now, tmp_path):
    script = "<script>alert('x')</script> 楼下 <b>烧烤</b> & 噪声"
    path = write_csv(tmp_path / "h.csv", [row("H1", text=script)])
    import_file(session, path, now=now)
    assert complaint(session, "H1").text == script  # escaping is the renderer's job


def test_category_and_area_by_chinese_name(session, now, tmp_path):
    unique_community = session.scalars(
        select(Area).where(Area.level == AreaLevel.community, Area.name == "西溪里社区")
    ).one()
    path = write_csv(
        tmp_path / "n.csv",
        [
            row("N1", category="违法停车", area="西溪街道"),
            row("N2", category="illegal_parking", area="西溪里社区"),
            row("N3", area="西湖区西溪街道"),
            row("N4", area="花园社区"),  # two communities have this name
        ],
    )
    report = import_file(session, path, now=now, skip_invalid=True)
    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith("第5行 街道：区域名称“花园社区”不唯一：")
    xixi = b.area_by_name(session, "西溪街道")
    parking = session.scalars(select(Category.id).where(Category.code == "illegal_parking")).one()
    assert complaint(session, "N1").category_id == parking
    assert complaint(session, "N1").area_id == xixi.id
    second = complaint(session, "N2")
    assert (second.area_id, second.street_id) == (unique_community.id, unique_community.parent_id)
    assert complaint(session, "N3").area_id == xixi.id


def test_area_index_places_like_the_service(session):
    index = AreaIndex(session)
    for area in index.areas.values():
        assert index.placement(area) == placement(session, area)


# ---- duplicates, all-or-nothing, idempotency ---------------------------------------------------


def test_duplicates_in_the_file_and_in_the_database_are_skipped(session, now, tmp_path):
    b.complaint(session, now=now, channel="12345", upstream_ref="D0")
    path = write_csv(
        tmp_path / "d.csv", [row("D0"), row("D1"), row("D1"), row("D1", channel="96345")]
    )
    report = import_file(session, path, now=now)
    assert report.imported == 2  # D1 via 12345 and D1 via 96345: refs are unique per channel
    assert [(s.row, s.upstream_ref, s.reason) for s in report.skipped] == [
        (2, "D0", "已存在，跳过"),
        (4, "D1", "与第3行重复，跳过"),
    ]
    assert report.errors == []


def test_all_or_nothing_when_one_row_fails(session, now, tmp_path):
    before = counts(session)
    path = write_csv(
        tmp_path / "one-bad.csv",
        [row(f"A{i}") for i in range(30)] + [row("A-bad", received_at="2025-02-30 10:00")],
    )
    report = import_file(session, path, now=now)
    assert not report.written and report.failed == 1 and report.imported == 0
    assert counts(session) == before  # no complaint, case, event or batch written


def test_skip_invalid_imports_the_valid_rows_and_reports_the_rest(session, now, tmp_path):
    before = counts(session)
    path = write_csv(
        tmp_path / "mixed.csv", [row("K1"), row("K2", complainant_phone="123"), row("K3")]
    )
    report = import_file(session, path, now=now, skip_invalid=True)
    assert report.written and report.imported == 2 and report.failed == 1
    after = counts(session)
    assert after["Complaint"] - before["Complaint"] == 2
    assert after["ImportBatch"] - before["ImportBatch"] == 1
    batch = session.get_one(ImportBatch, report.batch_id)
    assert (
        batch.rows_total,
        batch.rows_imported,
        batch.rows_already_present,
        batch.rows_failed,
    ) == (3, 2, 0, 1)
    assert batch.filename == "mixed.csv" and len(batch.sha256) == 64 and batch.actor_id is None
    out = write_error_report(report, tmp_path / "mixed.csv.errors.csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel shows the Chinese
    lines = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert lines[0] == ["行号", "问题", *ZH]
    assert lines[1][:2] == ["3", "联系电话：电话号码格式不正确（手机11位，或带区号的固定电话） 123"]
    assert lines[1][2:] == [str(v) for v in row("K2", complainant_phone="123")]


def test_the_error_report_can_be_fixed_and_imported_again(session, now, tmp_path):
    path = write_csv(tmp_path / "fix.csv", [row("R1"), row("R2", complainant_phone="123")])
    report = import_file(session, path, now=now, skip_invalid=True)
    fixed = tmp_path / "fixed.csv"
    write_error_report(report, fixed)
    fixed.write_text(
        fixed.read_text(encoding="utf-8-sig").replace(",123,", ",13900002222,"),
        encoding="utf-8-sig",
    )
    again = import_file(session, fixed, now=now)
    assert again.imported == 1 and again.ignored_columns == ["行号", "问题"]


def test_rerun_of_the_same_file_imports_nothing_new(session, now, tmp_path):
    path = write_csv(tmp_path / "r.csv", [row(f"R{i}") for i in range(5)])
    first = import_file(session, path, now=now)
    before = counts(session)
    second = import_file(session, path, now=now)
    assert (first.imported, second.imported, second.already_present) == (5, 0, 5)
    assert second.previous_import is not None and second.previous_import[0] == first.batch_id
    after = counts(session)
    assert after["Complaint"] == before["Complaint"] and after["Case"] == before["Case"]


def test_dry_run_writes_nothing(session, now, tmp_path):
    before = counts(session)
    report = import_file(
        session, write_csv(tmp_path / "dry.csv", [row("Y1")]), now=now, dry_run=True
    )
    assert report.dry_run and not report.written and report.rows_read == 1
    assert counts(session) == before


def test_progress_is_reported(session, now, tmp_path):
    calls: list[tuple[str, int, int | None]] = []
    path = write_csv(tmp_path / "p.csv", [row(f"P{i}") for i in range(5)])
    import_file(session, path, now=now, progress=lambda *args: calls.append(args))
    assert ("read", 5, 5) in calls and calls[-1] == ("write", 5, 5)


# ---- the bulk path writes what record_complaint writes ------------------------------------------


def _columns(obj: Any, skip: set[str]) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in type(obj).__table__.columns if c.key not in skip}


def test_bulk_path_equals_record_complaint(session, now, tmp_path):
    variants: list[dict[str, Any]] = [
        {},
        {"title": "自定标题"},
        {"text": "短"},
        {"category": "", "area": ""},
        {"area": "330106", "longitude": "", "latitude": ""},  # a district only
        {"area": "西溪里社区", "complainant_phone": "0571 8700 0000"},
        {"received_at": "2026年3月8日 23时59分", "channel": "96345"},
        {"text": "超长" * 40},
    ]
    rows = {
        mode: [row(f"{mode}{i}", **v) for i, v in enumerate(variants)] for mode in ("bulk", "slow")
    }
    reports = {
        mode: import_file(
            session, write_csv(tmp_path / f"{mode}.csv", rows[mode]), now=now, bulk=(mode == "bulk")
        )
        for mode in rows
    }
    assert all(r.imported == len(variants) for r in reports.values())
    session.expire_all()  # compare what the database holds, not objects in memory
    for index in range(len(variants)):
        fast, slow = complaint_pair(session, index, "12345" if index != 6 else "96345")
        skip = {"id", "upstream_ref", "case_id", "import_batch_id"}
        assert _columns(fast, skip) == _columns(slow, skip)
        fast_case = session.get_one(Case, fast.case_id)
        slow_case = session.get_one(Case, slow.case_id)
        assert _columns(fast_case, {"id", "number"}) == _columns(slow_case, {"id", "number"})
        assert fast_case.number[:10] == slow_case.number[:10]  # HZ + the local opening date
        fast_events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == fast_case.id))
        slow_events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == slow_case.id))
        strip = {"id", "case_id", "data"}
        fast_list, slow_list = list(fast_events), list(slow_events)
        assert [_columns(e, strip) for e in fast_list] == [_columns(e, strip) for e in slow_list]
        assert [e.data["complaint_id"] for e in fast_list] == [fast.id]
        assert [e.data["complaint_id"] for e in slow_list] == [slow.id]
        assert fast_list[0].data["channel"] == slow_list[0].data["channel"]


def complaint_pair(session: Session, index: int, channel: str) -> tuple[Complaint, Complaint]:
    return complaint(session, f"bulk{index}", channel), complaint(session, f"slow{index}", channel)


def test_case_numbers_continue_the_day_sequence(session, now, tmp_path):
    opened = b.complaint(
        session,
        now=now,
        upstream_ref="Q0",
        received_at=datetime(2026, 3, 9, 8, 0),  # noqa: DTZ001 (naive = Beijing time at intake)
    )
    path = write_csv(
        tmp_path / "q.csv", [row("Q1"), row("Q2"), row("Q3", received_at="2026-03-08 10:00")]
    )
    import_file(session, path, now=now)
    number = opened.case.number
    seq = int(number[-5:])
    cases = {
        ref: session.get_one(Case, complaint(session, ref).case_id).number
        for ref in ("Q1", "Q2", "Q3")
    }
    assert cases["Q1"] == f"{number[:-5]}{seq + 1:05d}"
    assert cases["Q2"] == f"{number[:-5]}{seq + 2:05d}"
    assert cases["Q3"].startswith("HZ20260308")


def test_a_case_number_taken_meanwhile_is_retried(session, now, tmp_path, monkeypatch):
    """Another writer (the web intake) takes the day's next number between our query and our
    insert: the unique index refuses, the write is rolled back to its savepoint and redone."""
    from civicdesk.intake.importing import writing

    taken = b.complaint(
        session,
        now=now,
        upstream_ref="Z0",
        received_at=datetime(2026, 3, 9, 8, 0),  # noqa: DTZ001 (naive = Beijing time at intake)
    ).case.number
    real = writing.next_case_number
    calls = {"n": 0}

    def stale(session: Session, *, prefix: str, opened_at: datetime) -> str:
        calls["n"] += 1
        return taken if calls["n"] == 1 else real(session, prefix=prefix, opened_at=opened_at)

    monkeypatch.setattr(writing, "next_case_number", stale)
    report = import_file(session, write_csv(tmp_path / "z.csv", [row("Z1"), row("Z2")]), now=now)
    assert report.imported == 2 and calls["n"] == 2
    numbers = {
        session.get_one(Case, complaint(session, ref).case_id).number for ref in ("Z1", "Z2")
    }
    assert taken not in numbers and len(numbers) == 2
