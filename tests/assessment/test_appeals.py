"""Appeals (申诉/核减): filing, deciding, bad input, and the figure drop after approval."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from civicdesk.assessment.appeals import check_evidence, decide_appeal, file_appeal
from civicdesk.assessment.engine import evaluate
from civicdesk.clock import SHANGHAI
from civicdesk.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from civicdesk.reports.periods import Period
from tests import builders as b

JANUARY = Period(date(2026, 1, 1), date(2026, 1, 31))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def people(session, now):
    xixi = b.unit_by_name(session, "西溪中队")
    return {
        "staff": b.user(session, "unit_staff", now=now, unit=xixi, username="xixi-a"),
        "other": b.user(
            session, "unit_staff", now=now, unit=b.unit_by_name(session, "湖滨中队"), username="hb"
        ),
        "leader": b.user(session, "leader", now=now, username="lead-a"),
        "dispatcher": b.user(session, "dispatcher", now=now, username="disp-a"),
    }


@pytest.fixture
def january(session, now):
    ids = []
    for n in range(3):
        result = b.complaint(
            session,
            now=now,
            received_at=datetime(2026, 1, 12, 9 + n, tzinfo=SHANGHAI),
            text=f"文三路{200 + n}号夜间施工噪声扰民，第{n}位居民反映",
            address=f"文三路{200 + n}号",
            complainant_phone=f"1390000{n:04d}",
        )
        ids.append(result.complaint.id)
    return ids


def appeal(session, now, people, complaint_id, **kw):
    values = {
        "complaint_id": complaint_id,
        "period": JANUARY,
        "reason_kind": "not_our_area",
        "reason": "地址位于西湖区与拱墅区交界，属拱墅区管辖",
        "actor": people["staff"],
        "now": now,
    }
    return file_appeal(session, **(values | kw))


def xihu_complaints(session, now) -> int:
    result = evaluate(session, period=JANUARY, by="district", measures=["complaints"], as_of=now)
    return result.row("330106").figures["complaints"].value


def test_approved_appeal_drops_the_figure(session, now, people, january, tmp_path):
    before = xihu_complaints(session, now)
    assert before == 3
    evidence = check_evidence(PNG, "现场照片.png")
    filed = appeal(session, now, people, january[0], evidence=evidence, media_dir=tmp_path)
    assert filed.status == "pending" and filed.evidence_type == "image/png"
    assert (tmp_path / filed.evidence_path).read_bytes() == PNG
    assert xihu_complaints(session, now) == 3  # pending: still counts
    decided = decide_appeal(
        session,
        filed.id,
        approve=True,
        reason="经核实属拱墅区辖区",
        actor=people["leader"],
        now=now,
    )
    assert (decided.status, decided.decided_by_id, decided.decided_at) == (
        "approved",
        people["leader"].id,
        now,
    )
    assert xihu_complaints(session, now) == 2
    included = evaluate(
        session,
        period=JANUARY,
        by="district",
        measures=["complaints"],
        as_of=now,
        appeals="include",
    )
    assert included.row("330106").figures["complaints"].value == 3


def test_appeal_outside_the_period(session, now, people):
    march = b.complaint(session, now=now, received_at=datetime(2026, 3, 2, 9, tzinfo=SHANGHAI))
    with pytest.raises(InvalidInput, match="不在考核期 2026年1月") as caught:
        appeal(session, now, people, march.complaint.id)
    assert caught.value.field == "complaint"


def test_duplicate_appeal(session, now, people, january):
    first = appeal(session, now, people, january[0])
    with pytest.raises(Conflict, match="已有申诉") as caught:
        appeal(session, now, people, january[0])
    assert caught.value.existing_id == first.id
    # After a rejection a new appeal may be filed.
    decide_appeal(
        session,
        first.id,
        approve=False,
        reason="证据不足，不予核减",
        actor=people["leader"],
        now=now,
    )
    again = appeal(session, now, people, january[0], reason="补充提交了区划图和现场照片")
    assert again.status == "pending"


def test_decision_needs_a_reason_a_decider_and_happens_once(session, now, people, january):
    filed = appeal(session, now, people, january[1])
    with pytest.raises(InvalidInput, match="审核意见必填"):
        decide_appeal(session, filed.id, approve=True, reason="  ", actor=people["leader"], now=now)
    with pytest.raises(PermissionDenied):
        decide_appeal(
            session,
            filed.id,
            approve=True,
            reason="同意核减申请",
            actor=people["dispatcher"],
            now=now,
        )
    decide_appeal(
        session, filed.id, approve=True, reason="同意核减申请", actor=people["leader"], now=now
    )
    with pytest.raises(IllegalTransition, match="不能再次审核"):
        decide_appeal(
            session,
            filed.id,
            approve=False,
            reason="改为驳回此申请",
            actor=people["leader"],
            now=now,
        )


def test_unit_scope_and_reason(session, now, people, january):
    with pytest.raises(PermissionDenied, match="不计入湖滨中队"):
        appeal(session, now, people, january[0], actor=people["other"])
    with pytest.raises(InvalidInput, match="申诉理由必填"):
        appeal(session, now, people, january[0], reason="不是")
    with pytest.raises(InvalidInput, match="请选择申诉单位"):
        appeal(session, now, people, january[0], actor=people["leader"])
    by_leader = appeal(
        session, now, people, january[0], actor=people["leader"], unit_code="sq-330106004"
    )
    assert by_leader.status == "pending"


def test_evidence_must_be_an_image_or_pdf():
    assert check_evidence(b"%PDF-1.7\n...", "a.pdf").content_type == "application/pdf"
    with pytest.raises(InvalidInput, match="JPEG、PNG、WebP 图片或 PDF"):
        check_evidence(b"MZ\x90\x00 not a picture", "evil.png")
    with pytest.raises(InvalidInput, match="空文件"):
        check_evidence(b"", "x.png")


def test_the_database_refuses_two_open_appeals(session, now, people, january):
    from sqlalchemy.exc import IntegrityError

    from civicdesk.assessment.scheme_models import Appeal

    first = appeal(session, now, people, january[2])
    twin = Appeal(
        complaint_id=first.complaint_id,
        unit_id=first.unit_id,
        period_start=first.period_start,
        period_end=first.period_end,
        reason_kind="other",
        reason="同时提交的第二份申诉",
        status="pending",
        filed_at=now,
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(twin)
        session.flush()
