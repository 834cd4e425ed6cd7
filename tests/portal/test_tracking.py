"""Tracking (private link, or number and phone) and rating: the public timeline shows no
staff-internal note, no staff name, no other person's data; the rating is a callback."""

from __future__ import annotations

from sqlalchemy import select

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.cases.service import perform
from civicdesk.core.workflow import CaseAction as A
from civicdesk.intake.models import Complaint
from civicdesk.portal.models import CitizenRating
from tests import builders as b
from tests.citizen import PHONE, portal_csrf, submit, token_of


def submitted_case(client, session, **fields):  # type: ignore[no-untyped-def]
    token = token_of(submit(client, category="street_vendor", **fields))
    complaint = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    return token, session.get(Case, complaint.case_id)


def staff(session, now):  # type: ignore[no-untyped-def]
    squadron = b.unit_by_name(session, "西溪中队")
    disp = b.user(session, "dispatcher", now=now, username="disp-t")
    unit = b.user(session, "unit_staff", now=now, unit=squadron, username="xixi-t")
    return disp, unit, squadron


def to_handled(session, case, now, reply="已到场劝离摊贩，联系电话13912345678"):  # type: ignore[no-untyped-def]
    disp, unit, squadron = staff(session, now)
    cal = b.calendar()
    perform(session, case, A.file, actor=disp, now=now, calendar=cal)
    perform(session, case, A.note, actor=disp, now=now, calendar=cal, note="内部备注：投诉人脾气差")
    perform(session, case, A.dispatch, actor=disp, now=now, calendar=cal, unit_id=squadron.id)
    perform(session, case, A.accept, actor=unit, now=now, calendar=cal)
    perform(session, case, A.reply, actor=unit, now=now, calendar=cal, reply_text=reply)
    session.flush()
    return disp


def test_the_public_timeline_hides_what_is_internal(client, session, now):
    token, case = submitted_case(client, session)
    # Another citizen complains about the same problem by hotline, onto the same case.
    b.complaint(
        session,
        now=now,
        case_number=case.number,
        complainant_name="李四",
        complainant_phone="13700007777",
    )
    disp = to_handled(session, case, now)
    page = client.get(f"/portal/t/{token}").text
    for shown in ("诉求已受理", "已立案", "已派遣至西溪中队办理", "西溪中队已签收", "已处置并答复"):
        assert shown in page
    for hidden in (
        "内部备注",
        "脾气差",
        disp.display_name,
        "测试unit_staff",
        "李四",
        "13700007777",
    ):
        assert hidden not in page
    assert "139****5678" in page and "13912345678" not in page  # a number in the reply, masked
    assert "已答复，平台核查回访中" in page


def test_track_by_number_and_phone(client, session):
    _, case = submitted_case(client, session)
    csrf = portal_csrf(client, "/portal/track")
    found = client.post(
        "/portal/track", data={"csrf": csrf, "number": case.number.lower(), "phone": PHONE}
    )
    assert found.status_code == 200 and case.number in found.text
    wrong_phone = client.post(
        "/portal/track", data={"csrf": csrf, "number": case.number, "phone": "13100000000"}
    )
    no_case = client.post("/portal/track", data={"csrf": csrf, "number": "HZ1", "phone": PHONE})
    assert wrong_phone.status_code == no_case.status_code == 404
    assert "未找到该诉求" in wrong_phone.text and "未找到该诉求" in no_case.text


def test_rating_opens_after_the_reply_and_is_a_callback_by_the_citizen(client, session, now):
    token, case = submitted_case(client, session)
    page = client.get(f"/portal/t/{token}").text
    assert "承办单位答复后即可评价" in page and 'id="rate-form"' not in page
    to_handled(session, case, now)
    page = client.get(f"/portal/t/{token}").text
    csrf = portal_csrf(client, f"/portal/t/{token}")
    answer = client.post(
        f"/portal/t/{token}/rate",
        data={"csrf": csrf, "satisfaction": "basically", "solved": "yes", "comment": "<b>谢谢</b>"},
    )
    assert answer.status_code == 303 and answer.headers["location"].endswith("?rated=1")
    session.refresh(case)
    assert (case.satisfaction, case.solved, case.status) == ("basically", True, "handled")
    event = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    assert event.action == "callback" and event.actor_id is None
    assert event.data["rule"] == "citizen_rating" and event.note == "<b>谢谢</b>"
    again = client.post(
        f"/portal/t/{token}/rate", data={"csrf": csrf, "satisfaction": "satisfied", "solved": "yes"}
    )
    assert again.status_code == 422 and "每条诉求只能评价一次" in again.text
    assert (
        len(list(session.scalars(select(CitizenRating).where(CitizenRating.case_id == case.id))))
        == 1
    )


def test_not_solved_sends_the_case_back_by_the_callback_rule(client, session, now):
    _, case = submitted_case(client, session)
    to_handled(session, case, now)
    csrf = portal_csrf(client, "/portal/track")
    response = client.post(
        "/portal/rate",
        data={
            "csrf": csrf,
            "number": case.number,
            "phone": PHONE,
            "satisfaction": "unsatisfied",
            "solved": "no",
        },
    )
    assert response.status_code == 200 and "感谢您的评价" in response.text
    session.refresh(case)
    # feedback.yaml: a "not solved" callback sends the case back for rework (which clears the
    # case's callback fields; the citizen's rating and the history keep the answer).
    assert case.status == "accepted" and case.rework_count == 1
    rating = session.scalar(select(CitizenRating).where(CitizenRating.case_id == case.id))
    assert (rating.satisfaction, rating.solved, rating.via) == ("unsatisfied", False, "phone")


def test_a_rating_needs_both_answers(client, session, now):
    token, case = submitted_case(client, session)
    to_handled(session, case, now)
    csrf = portal_csrf(client, f"/portal/t/{token}")
    response = client.post(
        f"/portal/t/{token}/rate", data={"csrf": csrf, "satisfaction": "satisfied"}
    )
    assert response.status_code == 422 and "请选择问题是否已解决" in response.text
    session.refresh(case)
    assert case.satisfaction is None


def test_closed_cases_can_no_longer_be_rated(client, session, now):
    token, case = submitted_case(client, session)
    disp = to_handled(session, case, now)
    perform(session, case, A.close, actor=disp, now=now, calendar=b.calendar())
    session.flush()
    page = client.get(f"/portal/t/{token}").text
    assert "评价已截止" in page and "平台核查后结案" in page


def test_staff_see_the_photos_of_their_cases_only(client, session, now):
    from tests.citizen import PNG

    token_of(submit(client, photos=[("<b>x.png", PNG, "image/png")], text="有照片的投诉"))
    complaint = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    case = session.get(Case, complaint.case_id)
    b.user(session, "operator", now=now, username="op-photo")
    b.user(session, "unit_staff", now=now, unit=b.unit_by_name(session, "湖滨中队"), username="hb")
    session.flush()
    assert client.get(f"/cases/{case.number}/photos").status_code == 303  # log in first
    client.post("/login", data={"username": "op-photo", "password": b.PASSWORD})
    page = client.get(f"/cases/{case.number}/photos")
    assert page.status_code == 200 and "&lt;b&gt;x.png" in page.text
    photo_id = int(page.text.split(f"/cases/{case.number}/photos/")[1].split('"')[0])
    served = client.get(f"/cases/{case.number}/photos/{photo_id}")
    assert served.status_code == 200 and served.content == PNG
    client.post("/logout", data={"csrf": "x"})
    client.cookies.clear()
    client.post("/login", data={"username": "hb", "password": b.PASSWORD})
    assert client.get(f"/cases/{case.number}/photos").status_code == 403
