"""Appeals (申诉/核减): a unit asks that a complaint not count against it; an assessor decides.

Rules (docs/assessment.md):

- an appeal names the assessment period it is for; the complaint must have been received in it
  (local dates), else it is refused — an appeal cannot move figures of another period;
- a unit's staff appeal for their own unit, and only complaints that count against it (its case
  is with the unit, or it lies in an area the unit covers); leaders and admins file for any unit;
- one pending or approved appeal per complaint (a partial unique index says it too); after a
  rejection a new appeal with new grounds may be filed;
- only a leader or an admin decides, once, with a written reason; who and when are recorded on the
  appeal, which is never deleted. An approved appeal takes the complaint out of every measure
  (``facts.appeal_approved``) and counts as one 核减 for the unit in the scores.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.assessment.scheme_models import APPEAL_REASONS, Appeal
from civicdesk.cases.models import Case
from civicdesk.clock import to_local
from civicdesk.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from civicdesk.intake.models import Complaint
from civicdesk.org.models import Area, Unit, unit_areas
from civicdesk.portal.uploads import MediaStore, clean_name, sniff
from civicdesk.reports.periods import Period

REASON_LABELS = {
    "not_our_area": "非本单位辖区",
    "unfounded": "反映不实",
    "malicious": "恶意投诉",
    "force_majeure": "不可抗力",
    "other": "其他",
}
STATUS_LABELS = {"pending": "待审核", "approved": "已核减", "rejected": "已驳回"}
DECIDERS = (Role.leader, Role.admin)
EVIDENCE_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MIN_REASON = 5


@dataclass(frozen=True)
class Evidence:
    """A checked evidence file, not yet stored."""

    data: bytes
    content_type: str
    original_name: str | None


def check_evidence(
    data: bytes, name: str | None, *, max_bytes: int = MAX_EVIDENCE_BYTES
) -> Evidence:
    """The type from the bytes (the portal's sniffing, plus PDF), never from the name."""
    if not data:
        raise InvalidInput("证明材料是空文件", field="evidence")
    if len(data) > max_bytes:
        raise InvalidInput(f"证明材料超过 {max_bytes / 1024 / 1024:g} MB", field="evidence")
    content_type = sniff(data[:16]) or ("application/pdf" if data.startswith(b"%PDF-") else None)
    if content_type is None:
        raise InvalidInput("证明材料应为 JPEG、PNG、WebP 图片或 PDF 文件", field="evidence")
    return Evidence(data, content_type, clean_name(name))


def store_evidence(media_dir: Path, evidence: Evidence, *, now: datetime) -> str:
    """Write under ``appeals/YYYY/MM/<random>.<ext>`` in the media directory; the stored name."""
    store = MediaStore(media_dir)
    relative = (
        f"appeals/{to_local(now):%Y/%m}/{secrets.token_hex(16)}."
        f"{EVIDENCE_TYPES[evidence.content_type]}"
    )
    path = store.path(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".part")
    temp.write_bytes(evidence.data)
    os.replace(temp, path)
    return relative


def _text(value: str | None, *, field: str, what: str) -> str:
    text = (value or "").strip()
    if len(text) < MIN_REASON:
        raise InvalidInput(f"{what}必填，至少{MIN_REASON}个字", field=field)
    return text


def counts_against(session: Session, complaint: Complaint, unit: Unit) -> bool:
    """The complaint's case is with the unit, or its place lies in an area the unit covers."""
    if complaint.case_id is not None:
        case_unit = session.scalar(select(Case.unit_id).where(Case.id == complaint.case_id))
        if case_unit == unit.id:
            return True
    places = {a for a in (complaint.area_id, complaint.street_id, complaint.district_id) if a}
    if not places:
        return False
    covered = select(unit_areas.c.area_id).where(unit_areas.c.unit_id == unit.id)
    return bool(session.scalar(select(exists().where(Area.id.in_(places), Area.id.in_(covered)))))


def file_appeal(
    session: Session,
    *,
    complaint_id: int,
    period: Period,
    reason_kind: str,
    reason: str | None,
    actor: User,
    now: datetime,
    unit_code: str | None = None,
    evidence: Evidence | None = None,
    media_dir: Path | None = None,
) -> Appeal:
    """申诉: record a unit's appeal against one complaint of one assessment period."""
    unit = _appealing_unit(session, actor, unit_code)
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(f"投诉 #{complaint_id} 不存在", field="complaint")
    if reason_kind not in APPEAL_REASONS:
        raise InvalidInput("请选择申诉类型", field="reason_kind")
    text = _text(reason, field="reason", what="申诉理由")
    received = to_local(complaint.received_at).date()
    if not period.start <= received <= period.end:
        raise InvalidInput(
            f"投诉 #{complaint.id} 受理于 {received.isoformat()}，不在考核期 {period.label()}"
            f"（{period.start} 至 {period.end}）内，不能在本期申诉 / the complaint was received "
            "outside the assessment period",
            field="complaint",
        )
    if actor.role == Role.unit_staff and not counts_against(session, complaint, unit):
        raise PermissionDenied(f"投诉 #{complaint.id} 不计入{unit.name}，无需申诉")
    open_one = session.scalars(
        select(Appeal).where(Appeal.complaint_id == complaint.id, Appeal.status != "rejected")
    ).first()
    if open_one is not None:
        raise Conflict(
            f"投诉 #{complaint.id} 已有申诉 #{open_one.id}（{STATUS_LABELS[open_one.status]}），"
            "不能重复申诉 / an appeal for this complaint is already pending or approved",
            field="complaint",
            existing_id=open_one.id,
        )
    appeal = Appeal(
        complaint_id=complaint.id,
        unit_id=unit.id,
        period_start=period.start,
        period_end=period.end,
        reason_kind=reason_kind,
        reason=text,
        status="pending",
        filed_by_id=actor.id,
        filed_at=now,
    )
    if evidence is not None:
        if media_dir is None:
            raise InvalidInput("未配置证明材料的存储目录", field="evidence")
        appeal.evidence_path = store_evidence(media_dir, evidence, now=now)
        appeal.evidence_name = evidence.original_name
        appeal.evidence_type = evidence.content_type
        appeal.evidence_sha256 = hashlib.sha256(evidence.data).hexdigest()
    session.add(appeal)
    try:
        session.flush()
    except IntegrityError:
        # Two appeals for one complaint at the same moment: the partial unique index decides.
        raise Conflict(
            f"投诉 #{complaint.id} 已有申诉，不能重复申诉 / an appeal is already pending",
            field="complaint",
        ) from None
    return appeal


def _appealing_unit(session: Session, actor: User, unit_code: str | None) -> Unit:
    if actor.role == Role.unit_staff:
        unit = session.get(Unit, actor.unit_id)
        if unit is None or (unit_code and unit_code != unit.code):
            raise PermissionDenied("只能以本单位名义申诉")
        return unit
    if actor.role not in DECIDERS:
        raise PermissionDenied("只有承办单位、领导或管理员可以提出申诉")
    if not unit_code:
        raise InvalidInput("请选择申诉单位", field="unit")
    unit = session.scalars(select(Unit).where(Unit.code == unit_code)).one_or_none()
    if unit is None:
        raise NotFound(f"单位 {unit_code} 不存在", field="unit")
    return unit


def decide_appeal(
    session: Session,
    appeal_id: int,
    *,
    approve: bool,
    reason: str | None,
    actor: User,
    now: datetime,
) -> Appeal:
    """核减 or 驳回: once, by a leader or an admin, with a written reason."""
    if actor.role not in DECIDERS:
        raise PermissionDenied("只有领导或管理员可以审核申诉")
    appeal = session.get(Appeal, appeal_id, with_for_update=True)
    if appeal is None:
        raise NotFound(f"申诉 #{appeal_id} 不存在")
    text = _text(reason, field="decision_reason", what="审核意见")
    if appeal.status != "pending":
        decided = (
            to_local(appeal.decided_at).strftime("%Y-%m-%d %H:%M") if appeal.decided_at else ""
        )
        raise IllegalTransition(
            f"申诉 #{appeal.id} 已于 {decided} 审核（{STATUS_LABELS[appeal.status]}），不能再次审核"
        )
    appeal.status = "approved" if approve else "rejected"
    appeal.decided_by_id = actor.id
    appeal.decided_at = now
    appeal.decision_reason = text
    session.flush()
    return appeal


def list_appeals(
    session: Session,
    *,
    status: str | None = None,
    unit_id: int | None = None,
    complaint_ids: list[int] | None = None,
) -> list[Appeal]:
    query = select(Appeal).order_by(Appeal.filed_at.desc(), Appeal.id.desc())
    if status:
        query = query.where(Appeal.status == status)
    if unit_id is not None:
        query = query.where(Appeal.unit_id == unit_id)
    if complaint_ids is not None:
        query = query.where(Appeal.complaint_id.in_(complaint_ids))
    return list(session.scalars(query))


def get_appeal(session: Session, appeal_id: int) -> Appeal:
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(f"申诉 #{appeal_id} 不存在")
    return appeal
