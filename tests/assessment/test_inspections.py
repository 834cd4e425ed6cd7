"""Street-order inspections (街面保序检查): recording, scoring, the CSV import."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from civicdesk.assessment.inspections import InspectionCreate, import_csv, record_inspection
from civicdesk.assessment.scheme_models import Inspection
from civicdesk.errors import InvalidInput


def entry(**kw) -> InspectionCreate:
    values = {
        "inspected_on": date(2026, 3, 2),
        "area": "西溪街道",
        "inspector": "李检查",
        "items_checked": 10,
        "problems_found": 2,
        "deductions": 7.5,
    }
    return InspectionCreate.model_validate(values | kw)


def test_score_is_100_minus_deductions(session, now):
    recorded = record_inspection(session, entry(), actor=None, now=now)
    assert recorded.score == 92.5
    heavy = record_inspection(session, entry(deductions=130), actor=None, now=now)
    assert heavy.score == 0.0


def test_bad_input(session, now):
    with pytest.raises(ValidationError, match="发现问题数不能多于检查项数"):
        entry(problems_found=11)
    with pytest.raises(InvalidInput, match="不能晚于今天"):
        record_inspection(session, entry(inspected_on=date(2026, 3, 11)), actor=None, now=now)
    with pytest.raises(InvalidInput, match="区域“火星街道”不存在"):
        record_inspection(session, entry(area="火星街道"), actor=None, now=now)


CSV = """date,area,inspector,items_checked,problems_found,deductions,note
2026-03-01,330106004,王检查,12,1,2,
2026-03-02,湖滨街道,王检查,8,0,0,无问题
"""


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Inspection))


def test_csv_import_is_idempotent(session, now):
    before = count(session)
    first = import_csv(session, CSV, filename="march.csv", actor=None, now=now)
    assert (first.imported, first.already_present, first.errors) == (2, 0, [])
    again = import_csv(session, "\ufeff" + CSV, filename="march.csv", actor=None, now=now)
    assert (again.imported, again.already_present) == (0, 2)
    assert count(session) == before + 2


def test_csv_import_is_all_or_nothing(session, now):
    bad = CSV + "2026-02-30,西溪街道,王检查,5,1,1,\n2026-03-03,火星街道,王检查,5,9,1,\n"
    before = count(session)
    result = import_csv(session, bad, filename="bad.csv", actor=None, now=now)
    assert result.imported == 0 and count(session) == before
    assert any(e.startswith("第4行 inspected_on") for e in result.errors)
    assert any(e.startswith("第5行") and "发现问题数" in e for e in result.errors)


def test_csv_needs_its_columns(session, now):
    with pytest.raises(InvalidInput, match="CSV 缺少列：deductions"):
        import_csv(
            session,
            "date,area,inspector,items_checked,problems_found\n",
            filename="x.csv",
            actor=None,
            now=now,
        )
