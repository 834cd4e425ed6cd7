"""The column mapping of ``civicdesk import``, the repeat check after an import, the CSV
export, the pair judge, and the score against a planted truth."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from civicdesk.demo.models import PlantedRepeat
from civicdesk.intake.importing import UnreadableFile, import_file
from civicdesk.intake.importing.mapping import ColumnMap
from civicdesk.repeats import context
from civicdesk.repeats.cli import write_links_csv
from civicdesk.repeats.evaluation import evaluate_demo
from civicdesk.repeats.pairs import judge

MESSAGES = [
    ["mid", "user", "time", "title", "detail"],
    [
        "M1",
        "U1",
        "2026/2/3 9:00:00",
        "湖开小区供水问题",
        "自来水公司在湖开小区强制安装水表，几百户停水",
    ],
    [
        "M2",
        "U1",
        "2026/2/5 10:00:00",
        "再次反映湖开小区停水",
        "湖开小区换水表后几百户居民还是不能正常用水",
    ],
    ["M3", "U2", "2026/2/6 11:00:00", "咨询小学转学问题", "孩子明年转学需要哪些材料"],
]
MAP = [
    "received_at=time",
    "text=title+detail",
    "title=title",
    "complainant_name=user",
    "upstream_ref=mid",
]


@pytest.fixture(autouse=True)
def _fresh_context():  # type: ignore[no-untyped-def]
    context.clear_cache()
    yield
    context.clear_cache()


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_file_with_other_headers_imports_through_a_mapping_and_is_checked(
    session, now, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    source = write(tmp_path / "messages.csv", MESSAGES)
    report = import_file(session, source, now=now, channel="web", mapping=ColumnMap.parse(MAP))
    assert report.imported == 3 and not report.errors
    assert report.repeat_links == 1  # M2 repeats M1 (same user, same compound); M3 stands alone
    out = tmp_path / "links.csv"
    assert write_links_csv(session, out) == 1
    with out.open(encoding="utf-8-sig") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["complaint_upstream_ref"], row["earlier_upstream_ref"]) == ("M2", "M1")
    assert row["kind"] == "repeat_same_complainant" and "湖开小区" in row["why"]
    assert row["issue_upstream_ref"] == "M1"


def test_a_mapping_that_names_a_missing_column_or_field_is_refused(session, now, tmp_path):  # type: ignore[no-untyped-def]
    source = write(tmp_path / "m.csv", MESSAGES)
    with pytest.raises(UnreadableFile, match="nope"):
        import_file(
            session,
            source,
            now=now,
            channel="web",
            mapping=ColumnMap.parse([*MAP[:-1], "upstream_ref=nope"]),
        )
    with pytest.raises(UnreadableFile, match="未知字段"):
        ColumnMap.parse(["colour=title"])


def test_us_times_through_a_time_format(session, now, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [
        ["Key", "Created", "Type", "Address"],
        ["1", "02/28/2023 11:45:00 PM", "HEAT/HOT WATER", "555 WEST 171 STREET"],
    ]
    mapping = ColumnMap.parse(
        ["upstream_ref=Key", "received_at=Created", "text=Type", "address=Address"],
        time_format="%m/%d/%Y %I:%M:%S %p",
    )
    report = import_file(
        session, write(tmp_path / "us.csv", rows), now=now, channel="12345", mapping=mapping
    )
    assert report.imported == 1


def test_pairs_are_judged_from_their_text(session) -> None:  # type: ignore[no-untyped-def]
    ctx = context.load_context(session)
    rows = [
        {
            "title_a": "湖开小区供水问题",
            "detail_a": "湖开小区强制安装水表，几百户停水",
            "user_a": "U1",
            "title_b": "湖开小区停水",
            "detail_b": "湖开小区换水表后不能正常用水",
            "user_b": "U1",
        },
        {
            "title_a": "咨询小学转学问题",
            "detail_a": "孩子转学需要哪些材料",
            "user_a": "U1",
            "title_b": "地铁站口乱停车",
            "detail_b": "地铁站口电动车乱停",
            "user_b": "U2",
        },
    ]
    judged = list(judge(iter(rows), ctx))
    assert [r["same_issue"] for r in judged] == [1, 0]


def test_score_against_planted_truth(session, now, tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = write(tmp_path / "messages.csv", MESSAGES)
    import_file(session, source, now=now, channel="web", mapping=ColumnMap.parse(MAP))
    from sqlalchemy import select

    from civicdesk.intake.models import Complaint

    ids = dict(session.execute(select(Complaint.upstream_ref, Complaint.id)).all())
    session.add(
        PlantedRepeat(complaint_id=ids["M2"], original_id=ids["M1"], kind="same_complainant")
    )
    session.flush()
    result = evaluate_demo(session)
    same = result.kinds["repeat_same_complainant"]
    assert (same.true_positive, same.false_positive, same.false_negative) == (1, 0, 0)
    assert same.precision == 1.0 and same.recall == 1.0
