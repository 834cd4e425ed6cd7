"""Triage on intake, the operator's decision, the model registry (real session)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civicdesk.cases.models import CaseEvent
from civicdesk.errors import InvalidInput
from civicdesk.taxonomy.models import Category
from civicdesk.triage import classifier, service
from civicdesk.triage.lexicon import Lexicon
from civicdesk.triage.models import Suggestion, TriageModelRow
from tests import builders as b
from tests.triage import synthetic


def suggestion(session, complaint) -> Suggestion:
    return session.scalars(select(Suggestion).where(Suggestion.complaint_id == complaint.id)).one()


def test_intake_locates_and_keeps_a_suggestion(session, now):
    result = b.complaint(
        session, now=now, category=None, area=None, address="杭州市西湖区西溪街道上马塍社区5幢",
        text="楼下广场舞音响噪音扰民，每天晚上吵到十点",
    )  # fmt: skip
    complaint = result.complaint
    row = suggestion(session, complaint)
    assert row.model_version == "lexicon"  # no model yet: the cold start
    assert row.low_confidence  # a keyword count always asks for a person
    assert session.get(Category, row.category_id).code == "living_noise"
    assert complaint.category_id is None  # low confidence: left for the operator
    assert complaint.street_id == b.area_by_name(session, "西溪街道").id  # the place is filled
    assert result.case.street_id == complaint.street_id
    assert row.applied and "西溪中队" in row.route


def test_what_the_operator_gave_is_kept(session, now):
    result = b.complaint(session, now=now)  # category street_vendor, area 西溪街道
    row = suggestion(session, result.complaint)
    assert (
        result.complaint.category_id
        == session.scalars(select(Category.id).where(Category.code == "street_vendor")).one()
    )
    assert not row.applied
    # A category typed at intake is already a person's decision on the suggestion.
    assert row.status == "confirmed"  # the keywords (摆摊, 占道摆摊) said 无证摊贩 too
    assert row.final_category_id == result.complaint.category_id
    assert row.decided_at is not None


def test_unplaceable_complaint_says_why(session, now):
    result = b.complaint(
        session, now=now, category=None, area=None, address="北京市朝阳区", text="😀😀"
    )
    row = suggestion(session, result.complaint)
    assert row.area_id is None and row.category_id is None
    assert row.location["unresolved"]
    assert result.complaint.area_id is None


def test_confirm_and_correct(session, now, accounts):
    operator = accounts["operator"]
    result = b.complaint(session, now=now, category=None, area=None, text="楼上噪音扰民")
    decision = service.decide(
        session, result.complaint, category="living_noise", area=None, actor=operator, now=now
    )
    assert not decision.corrected and decision.suggestion.status == "confirmed"
    decision = service.decide(
        session, result.complaint, category="construction_noise", area="330106004",
        actor=operator, now=now,
    )  # fmt: skip
    assert decision.corrected and decision.suggestion.status == "corrected"
    assert result.case.category_id == decision.suggestion.final_category_id
    assert result.case.street_id == b.area_by_name(session, "西溪街道").id
    notes = session.scalars(select(CaseEvent.note).where(CaseEvent.case_id == result.case.id))
    assert any("分类更正：施工噪声" in (n or "") for n in notes)
    _, texts, labels = service.training_history(session)
    assert labels[-1] == "施工噪声" and texts[-1] == "楼上噪音扰民"
    with pytest.raises(InvalidInput):
        service.decide(
            session, result.complaint, category="nope", area=None, actor=operator, now=now
        )


@pytest.fixture
def accounts(session, now):
    return {"operator": b.user(session, "operator", now=now, username="op-triage")}


def trained(tmp_path) -> str:
    data = synthetic.rows()
    model = classifier.train(
        [r["title"] for r in data], [r["detail"] for r in data], [r["label_zh"] for r in data],
        lexicon=Lexicon.build({}),
    )  # fmt: skip
    path = tmp_path / "m.npz"
    model.save(path)
    return str(path)


def test_active_model_is_used_and_recorded(session, now, tmp_path):
    path = trained(tmp_path)
    row = service.register_model(session, path, activate=True, now=now)
    assert service.active_model(session).version == row.version
    result = b.complaint(
        session, now=now, category=None, area=None, text="小区门口乱停车堵住消防通道"
    )
    s = suggestion(session, result.complaint)
    assert s.model_version == row.version
    assert session.get(Category, s.category_id).code == "illegal_parking"
    again = service.register_model(session, trained(tmp_path / ".."), activate=True, now=now)
    actives = session.scalars(select(TriageModelRow).where(TriageModelRow.active)).all()
    assert [a.version for a in actives] == [again.version]


def test_a_lost_model_file_falls_back_to_the_cold_start(session, now, tmp_path):
    path = trained(tmp_path)
    service.register_model(session, path, activate=True, now=now)
    (tmp_path / "m.npz").unlink()
    service._models.clear()
    result = b.complaint(session, now=now, category=None, area=None, text="噪音扰民")
    assert suggestion(session, result.complaint).model_version == "lexicon"


def test_catch_all_label_is_narrowed_by_keywords(session, now, tmp_path):
    data = synthetic.rows() + [
        {"title": "其他", "detail": f"城管问题{i}垃圾", "label_zh": "其他城管事项"}
        for i in range(20)
    ]
    model = classifier.train(
        [r["title"] for r in data], [r["detail"] for r in data], [r["label_zh"] for r in data],
        lexicon=Lexicon.build({}),
    )  # fmt: skip
    engine = service.build_engine(session, model=model)
    c = engine.classify_many(["其他"], ["城管问题垃圾桶满了没人清运"])[0]
    assert c.label == "其他城管事项" and c.category == "garbage_clearing" and c.refined
