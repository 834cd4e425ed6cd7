"""Street-order inspections (街面保序检查): inspectors' spot checks per area, scored out of 100.

A check records the date, the area (a district, street or community), the inspector, how many
items were checked, how many problems were found and the points deducted; its score is
100 − deductions (floored at 0). A scheme's ``source: inspection`` indicator takes the mean score
of the checks in the assessed area (and the areas below it) over the period.

A CSV import (``date,area,inspector,items_checked,problems_found,deductions[,note]``) is all or
nothing: every row is checked first and every problem listed with its line; a row already
recorded (same area, date and inspector) is skipped, so re-running an import adds nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.assessment.scheme_models import Inspection
from civicdesk.clock import to_local
from civicdesk.errors import InvalidInput
from civicdesk.org.models import Area
from civicdesk.reports.periods import Period

FULL_SCORE = 100.0
CSV_COLUMNS = ("date", "area", "inspector", "items_checked", "problems_found", "deductions")


class InspectionCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    inspected_on: date
    area: str = Field(min_length=1, max_length=100)  # code or name
    inspector: str = Field(min_length=1, max_length=100)
    items_checked: int = Field(ge=1, le=10_000)
    problems_found: int = Field(ge=0, le=10_000)
    deductions: float = Field(ge=0, le=1000, allow_inf_nan=False)
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("problems_found")
    @classmethod
    def _not_more_than_checked(cls, value: int, info: object) -> int:
        checked = getattr(info, "data", {}).get("items_checked")
        if checked is not None and value > checked:
            raise ValueError("发现问题数不能多于检查项数")
        return value


def score_of(deductions: float) -> float:
    return round(max(FULL_SCORE - deductions, 0.0), 2)


def find_area(session: Session, text: str) -> Area:
    area = session.scalars(
        select(Area).where(or_(Area.code == text, Area.name == text, Area.short_name == text))
    ).first()
    if area is None:
        raise InvalidInput(f"区域“{text}”不存在（填写区域代码或名称）", field="area")
    return area


def record_inspection(
    session: Session,
    data: InspectionCreate,
    *,
    actor: User | None,
    now: datetime,
    source: str | None = None,
) -> Inspection:
    if data.inspected_on > to_local(now).date():
        raise InvalidInput("检查日期不能晚于今天", field="inspected_on")
    area = find_area(session, data.area)
    inspection = Inspection(
        area_id=area.id,
        inspected_on=data.inspected_on,
        inspector=data.inspector,
        items_checked=data.items_checked,
        problems_found=data.problems_found,
        deductions=data.deductions,
        score=score_of(data.deductions),
        note=data.note or None,
        recorded_by_id=actor.id if actor else None,
        recorded_at=now,
        source=source,
    )
    session.add(inspection)
    session.flush()
    return inspection


def list_inspections(
    session: Session, *, period: Period | None = None, limit: int = 200
) -> list[tuple[Inspection, Area]]:
    query = select(Inspection, Area).join(Area, Area.id == Inspection.area_id)
    if period is not None:
        query = query.where(
            Inspection.inspected_on >= period.start, Inspection.inspected_on <= period.end
        )
    query = query.order_by(Inspection.inspected_on.desc(), Inspection.id.desc()).limit(limit)
    return [(i, a) for i, a in session.execute(query)]


@dataclass
class ImportResult:
    imported: int = 0
    already_present: int = 0
    errors: list[str] = field(default_factory=list)


def import_csv(
    session: Session, text: str, *, filename: str, actor: User | None, now: datetime
) -> ImportResult:
    """Check every row, then write them all (or none, with every problem by line)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(
            f"CSV 缺少列：{', '.join(missing)}（应为 {','.join(CSV_COLUMNS)}[,note]）", field="file"
        )
    result = ImportResult()
    rows: list[InspectionCreate] = []
    for line, raw in enumerate(reader, start=2):
        try:
            data = InspectionCreate.model_validate(
                {("inspected_on" if k == "date" else k): (v or None) for k, v in raw.items() if k}
            )
            if data.inspected_on > to_local(now).date():
                raise InvalidInput("检查日期不能晚于今天")
            find_area(session, data.area)
            rows.append(data)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                result.errors.append(
                    f"第{line}行 {where}: {err['msg'].removeprefix('Value error, ')}"
                )
        except InvalidInput as exc:
            result.errors.append(f"第{line}行: {exc.message}")
    if result.errors:
        return result
    for data in rows:
        area = find_area(session, data.area)
        present = session.scalar(
            select(Inspection.id).where(
                Inspection.area_id == area.id,
                Inspection.inspected_on == data.inspected_on,
                Inspection.inspector == data.inspector,
            )
        )
        if present is not None:
            result.already_present += 1
            continue
        record_inspection(session, data, actor=actor, now=now, source=filename[:200])
        result.imported += 1
    return result
