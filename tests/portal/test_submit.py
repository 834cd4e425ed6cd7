"""Submitting through the portal: what is stored, and everything a public form receives."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicdesk.intake.models import Channel, Complaint
from civicdesk.org.models import Area
from civicdesk.portal.models import Attachment, Submission
from tests.citizen import JPEG, PHONE, PNG, WEBP, portal_csrf, submit, token_of


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_form_is_chinese_phone_sized_and_local(client):
    response = client.get("/portal")
    html = response.text
    assert response.status_code == 200
    assert 'name="viewport"' in html and "我要投诉" in html and "西溪街道" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "本平台未配置地图底图和区划边界" in html


def test_a_submission_goes_through_intake_and_returns_its_case(client, session):
    token = token_of(submit(client, name="王先生"))
    page = client.get(f"/portal/t/{token}?new=1")
    assert page.status_code == 200
    assert "提交成功" in page.text and "已受理，等待审核" in page.text
    complaint = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert session.get(Channel, complaint.channel_id).code == "web"
    assert complaint.complainant_phone == PHONE and complaint.complainant_name == "王先生"
    # The street was read from the address: 西溪街道 (the triage hook's locator).
    assert session.get(Area, complaint.street_id).name == "西溪街道"
    submission = session.scalar(select(Submission).where(Submission.complaint_id == complaint.id))
    assert submission.source == "portal" and token not in submission.token_hash


def test_photos_are_typed_by_their_bytes_and_stored_under_generated_names(client, session, media):
    photos = [
        ("../../etc/passwd.png", PNG, "text/plain"),  # a path trick, a lying content type
        ("现场.jpg", JPEG, "image/jpeg"),
        ("c.webp", WEBP, "image/webp"),
    ]
    token = token_of(submit(client, photos=photos))
    rows = list(session.scalars(select(Attachment).order_by(Attachment.id)))[-3:]
    assert [r.content_type for r in rows] == ["image/png", "image/jpeg", "image/webp"]
    assert rows[0].original_name == "passwd.png"
    for row in rows:
        assert ".." not in row.stored_name and "passwd" not in row.stored_name
        assert (media / row.stored_name).read_bytes()[:3] in (PNG[:3], JPEG[:3], WEBP[:3])
    served = client.get(f"/portal/t/{token}/photos/1")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/portal/t/{token}/photos/4").status_code == 404


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        (("evil.jpg", b"<script>alert(1)</script>", "image/jpeg"), "不是 JPEG、PNG 或 WebP 图片"),
        (("empty.png", b"", "image/png"), "第1张照片是空文件"),
        (("", b"", "application/octet-stream"), None),  # a file input left empty: no photo
        (("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024), "image/jpeg"), "超过 5 MB"),
    ],
)
def test_bad_photos_are_refused_and_nothing_is_kept(client, session, media, photo, message):
    before = count(session, Complaint)
    response = submit(client, photos=[photo], text=f"照片测试 {photo[0]}")
    if message is None:
        assert response.status_code == 303
        return
    assert response.status_code == 422 and message in response.text
    assert count(session, Complaint) == before
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.parametrize("count", [5, 9], ids=["one too many", "beyond the parser's limit"])
def test_too_many_photos(client, count):
    # 9 file parts are more than the form parser takes at all (max_photos + 1): the citizen
    # still gets the form back with the message, not a bare 400.
    response = submit(client, photos=[(f"{i}.png", PNG, "image/png") for i in range(count)])
    assert response.status_code == 422 and "最多 4 张" in response.text


def test_a_50_mb_photo_is_refused_before_it_is_read(client, session):
    before = count(session, Complaint)
    huge = JPEG + b"\x00" * (50 * 1024 * 1024)
    response = submit(client, photos=[("huge.jpg", huge, "image/jpeg")], text="五十兆的照片")
    assert response.status_code == 413
    assert "提交的内容过大" in response.text
    assert count(session, Complaint) == before


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"text": ""}, "text", "必填"),
        ({"text": "   \u200b  "}, "text", "请描述您遇到的问题"),
        ({"text": "很" * 2001}, "text", "内容过长"),
        ({"phone": ""}, "phone", "必填"),
        ({"phone": "12345"}, "phone", "手机号码格式不正确"),
        ({"phone": "1380000111"}, "phone", "手机号码格式不正确"),
        ({"phone": "138000011112"}, "phone", "手机号码格式不正确"),
        ({"phone": "abc13800001111"}, "phone", "手机号码格式不正确"),
        ({"address": "", "area": ""}, "__all__", "请填写问题发生的地址"),
        ({"latitude": "30.27", "longitude": ""}, "__all__", "经度和纬度须同时填写"),
        ({"latitude": "0", "longitude": "0"}, "latitude", "不在本市范围内"),
        ({"latitude": "120.15", "longitude": "30.27"}, "latitude", "是否填反了"),
        ({"latitude": "30.0", "longitude": "120.0"}, "latitude", "不在本市范围内"),
        ({"latitude": "nan", "longitude": "120.1"}, "latitude", ""),
        ({"area": "999999"}, "area", "未知区域"),
        ({"category": "street_order"}, "category", "请选择有效的问题类别"),
    ],
)
def test_bad_input_is_answered_field_by_field(client, session, fields, field, message):
    before = count(session, Complaint)
    response = submit(client, **fields)
    assert response.status_code == 422, response.text[:500]
    assert message in response.text
    assert f'id="err-{"all" if field == "__all__" else field}"' in response.text
    assert count(session, Complaint) == before


def test_phone_formats_that_are_accepted(client, session):
    for phone in ("139 0000 3333", "+86 139-0000-4444", "0571-87654321"):
        assert submit(client, phone=phone, text=f"电话 {phone}").status_code == 303


def test_hostile_text_is_stored_as_given_and_shown_escaped(client, session):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> 文三路'
    token = token_of(submit(client, text=hostile, address="<b>西溪街道</b>"))
    complaint = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert complaint.text == hostile
    page = client.get(f"/portal/t/{token}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_a_form_without_its_csrf_token_is_refused(client, session):
    before = count(session, Complaint)
    client.get("/portal")
    response = submit(client, csrf="forged")
    assert response.status_code == 403 and "页面已过期" in response.text
    assert count(session, Complaint) == before


def test_the_same_complaint_twice_returns_the_same_case(client, session):
    first = submit(client)
    second = submit(client)
    assert second.headers["location"].endswith("?again=1")
    before = count(session, Complaint)
    page = client.get(second.headers["location"]).text
    assert "您刚才已提交过相同内容" in page
    assert count(session, Complaint) == before
    # Only the latest private link is valid: the first answer was probably lost.
    assert client.get(first.headers["location"]).status_code == 404


def test_a_picked_street_and_a_point_are_kept(client, session):
    token_of(submit(client, area="330106004", address="", latitude="30.28", longitude="120.12"))
    complaint = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert (complaint.latitude, complaint.longitude) == (30.28, 120.12)
    assert session.get(Area, complaint.street_id).code == "330106004"


def test_the_error_page_is_public(client):
    response = client.get("/portal/t/not-a-token")
    assert response.status_code == 404
    assert "城管96310" in response.text and "退出" not in response.text


def test_csrf_cookie_is_httponly_and_strict(client):
    response = client.get("/portal")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert portal_csrf(client) == portal_csrf(client)  # stable while the cookie lives
