"""GeoReport v2 under /open311/v2/: every JSON answer validates against the Open311 schemas,
XML mirrors it, errors come in GeoReport's format, and no personal data leaves."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from civicdesk.cases.service import perform
from civicdesk.core.workflow import CaseAction as A
from civicdesk.intake.models import Channel, Complaint
from civicdesk.open311 import keys
from tests import builders as b
from tests.citizen import drain
from tests.open311.georeport import validate

V2 = "/open311/v2"


@pytest.fixture
def api_key(session, now) -> str:  # type: ignore[no-untyped-def]
    return keys.create_key(session, "partner-app", now=now)


def post(client, key, **fields):  # type: ignore[no-untyped-def]
    data = {
        "api_key": key,
        "service_code": "living_noise",
        "lat": "30.2741",
        "long": "120.1551",
        "description": "楼上每晚跳广场舞到十一点，我的电话是13811112222",
        "first_name": "小明",
        "last_name": "张",
        "phone": "13811112222",
        "email": "zhang@example.com",
        "attribute[period]": "night",
        **fields,
    }
    return client.post(f"{V2}/requests.json", data={k: v for k, v in data.items() if v is not None})


def posted_number(client, key, **fields) -> str:  # type: ignore[no-untyped-def]
    """POST, let the drain run intake (as the worker does), then the id from the token."""
    token = post(client, key, **fields).json()[0]["token"]
    drain(client)
    return client.get(f"{V2}/tokens/{token}.json").json()[0]["service_request_id"]


def test_discovery(client):
    body = client.get(f"{V2}/discovery.json").json()
    assert body["endpoints"][0]["url"] == "http://testserver/open311/v2"
    assert "application/json" in body["endpoints"][0]["formats"]
    assert "96310" in body["contact"]
    xml = ET.fromstring(client.get(f"{V2}/discovery.xml").content)
    assert xml.tag == "discovery" and xml.find("endpoints/endpoint/formats/format") is not None


def test_services_are_the_leaf_categories_in_remit(client):
    response = client.get(f"{V2}/services.json")
    services = response.json()
    validate("services.json", services)
    codes = {s["service_code"]: s for s in services}
    assert "street_vendor" in codes and "garbage_clearing" in codes
    assert "street_order" not in codes and "property_management" not in codes
    assert codes["street_vendor"]["group"] == "街面秩序"
    assert codes["garbage_clearing"]["group"] == "环境卫生"
    assert (
        codes["living_noise"]["metadata"] is True and codes["illegal_parking"]["metadata"] is False
    )
    for service in services:
        validate("service.json", service)
    xml = ET.fromstring(client.get(f"{V2}/services.xml").content)
    assert len(xml.findall("service")) == len(services)


def test_service_definitions(client):
    definition = client.get(f"{V2}/services/living_noise.json").json()
    validate("service-definition.json", definition)
    attribute = definition["attributes"][0]
    assert attribute["code"] == "period" and attribute["datatype"] == "singlevaluelist"
    assert {v["key"] for v in attribute["values"]} == {"day", "evening", "night"}
    empty = client.get(f"{V2}/services/illegal_parking.json").json()
    validate("service-definition.json", empty)
    assert empty["attributes"] == []
    xml = ET.fromstring(client.get(f"{V2}/services/living_noise.xml").content)
    assert xml.findtext("attributes/attribute/values/value/key") == "day"


def test_post_then_read_back(client, session, api_key):
    response = post(client, api_key)
    assert response.status_code == 201, response.text
    answer = response.json()
    # No schema covers the POST answer: the specification's fields, in a one-element array.
    # A new request is answered with a token (GeoReport allows it): intake runs in the drain.
    assert isinstance(answer, list) and len(answer) == 1
    assert set(answer[0]) == {"token", "service_notice", "account_id"}
    token = answer[0]["token"]
    assert "受理编号" in answer[0]["service_notice"]
    waiting = client.get(f"{V2}/tokens/{token}.json")
    assert waiting.json() == [{"service_request_id": None, "token": token}]
    before = session.scalar(select(func.count()).select_from(Complaint))
    assert drain(client).done == 1
    assert session.scalar(select(func.count()).select_from(Complaint)) == before + 1
    number = client.get(f"{V2}/tokens/{token}.json").json()[0]["service_request_id"]
    assert number and number.startswith("HZ")
    complaint = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert session.get(Channel, complaint.channel_id).code == "app"
    assert (
        complaint.complainant_name == "张小明"
        and "【噪声发生的时段】夜间（22点后）" in complaint.text
    )
    one = client.get(f"{V2}/requests/{number}.json")
    validate("requests.json", one.json())
    record = one.json()[0]
    assert record["status"] == "open" and record["service_code"] == "living_noise"
    assert record["extended_attributes"] == {
        "status": "FOR_TRIAGE", "stage": "受理", "civicdesk_status": "received",
    }  # fmt: skip
    assert record["status_notes"].startswith("受理")
    assert (record["lat"], record["long"]) == (30.274, 120.155)  # about 100 m, not the door
    text = one.text
    for personal in ("13811112222", "张小明", "zhang@example.com"):
        assert personal not in text
    assert "138****2222" in record["description"]
    again = post(client, api_key)
    # The same request again: its id (known now), and a fresh token; the old one is void.
    assert again.status_code == 200 and again.json()[0]["service_request_id"] == number
    fresh = again.json()[0]["token"]
    assert client.get(f"{V2}/tokens/{fresh}.json").json() == [
        {"service_request_id": number, "token": fresh}
    ]
    assert client.get(f"{V2}/tokens/{token}.json").status_code == 404


def test_statuses_follow_the_lifecycle(client, session, now, api_key):
    number = posted_number(client, api_key)
    case = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    from civicdesk.cases.models import Case

    case = session.get(Case, case.case_id)
    disp = b.user(session, "dispatcher", now=now)
    squadron = b.unit_by_name(session, "西溪中队")
    unit = b.user(session, "unit_staff", now=now, unit=squadron)
    cal = b.calendar()
    expected = [
        (A.file, disp, {}, "open", "ACTION_SCHEDULED", "立案"),
        (A.dispatch, disp, {"unit_id": squadron.id}, "open", "ACTION_SCHEDULED", "派遣"),
        (A.accept, unit, {}, "open", "IN_PROGRESS", "处置"),
        (A.reply, unit, {"reply_text": "已处理"}, "open", "INVESTIGATING", "核查"),
        (A.close, disp, {}, "closed", "FIXED", "结案"),
    ]
    for action, actor, params, status, extended, stage in expected:
        perform(session, case, action, actor=actor, now=now, calendar=cal, **params)
        session.flush()
        record = client.get(f"{V2}/requests/{number}.json").json()[0]
        validate("requests.json", [record])
        assert (record["status"], record["extended_attributes"]["status"]) == (status, extended)
        assert record["extended_attributes"]["stage"] == stage
        if stage == "派遣":
            assert record["agency_responsible"] == "西溪中队" and record["expected_datetime"]
    assert disp.display_name not in client.get(f"{V2}/requests/{number}.json").text


def test_requests_filters_and_paging(client, session, now, api_key):
    numbers = [
        posted_number(client, api_key, description=f"第{i}个问题", service_code=code)
        for i, code in enumerate(["living_noise", "street_vendor", "street_vendor"])
    ]
    everything = client.get(f"{V2}/requests.json").json()
    validate("requests.json", everything)
    assert {n for n in numbers} <= {r["service_request_id"] for r in everything}
    vendors = client.get(f"{V2}/requests.json", params={"service_code": "street_vendor"}).json()
    assert {r["service_code"] for r in vendors} == {"street_vendor"} and len(vendors) >= 2
    picked = client.get(
        f"{V2}/requests.json", params={"service_request_id": f"{numbers[0]},{numbers[2]}"}
    ).json()
    assert [r["service_request_id"] for r in picked] == [numbers[2], numbers[0]]
    first = client.get(f"{V2}/requests.json", params={"page_size": 2}).json()
    second = client.get(f"{V2}/requests.json", params={"page_size": 2, "page": 2}).json()
    assert len(first) == 2 and not {r["service_request_id"] for r in first} & {
        r["service_request_id"] for r in second
    }
    closed = client.get(f"{V2}/requests.json", params={"status": "closed"}).json()
    assert all(r["status"] == "closed" for r in closed)
    old = (now - timedelta(days=200)).isoformat()
    assert client.get(f"{V2}/requests.json", params={"end_date": old}).json() == []
    xml = ET.fromstring(client.get(f"{V2}/requests.xml", params={"page_size": 1}).content)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id") is not None


def test_hotline_texts_are_not_published(client, session, now):
    b.complaint(session, now=now, text="我是3栋501的王五，楼下烧烤摊太吵")
    session.flush()
    text = client.get(f"{V2}/requests.json").text
    assert "王五" not in text and "3栋501" not in text
    assert "市民反映的无证摊贩问题（西湖区西溪街道）" in text


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "o311_wrong"}, 403, "api_key"),
        ({"jurisdiction_id": "shanghai.gov.cn"}, 400, "jurisdiction_id"),
        ({"service_code": "street_order"}, 400, "service_code"),
        ({"service_code": None}, 400, "service_code"),
        ({"lat": None, "long": None}, 400, "地址"),
        ({"lat": "abc"}, 400, "lat must be a number"),
        ({"lat": "0", "long": "0"}, 400, "不在本市范围内"),
        ({"description": "长" * 4001}, 400, "4000"),
        ({"phone": "12345"}, 400, "phone"),
        ({"attribute[period]": "noon"}, 400, "unknown value"),
        ({"service_code": "construction_noise", "attribute[period]": None}, 400, "required"),
        ({"address_id": "nowhere", "lat": None, "long": None}, 400, "address_id"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ],
)
def test_post_errors(client, api_key, fields, code, words):
    response = post(client, api_key, **fields)
    assert response.status_code == code
    body = response.json()
    assert body == [{"code": code, "description": body[0]["description"]}]
    assert words in body[0]["description"]


def test_a_revoked_key_is_refused(client, session, now, api_key):
    keys.revoke_key(session, "partner-app", now=now)
    session.flush()
    assert post(client, api_key).status_code == 403


def test_errors_in_xml_and_unknown_things(client):
    xml = client.get(f"{V2}/requests/HZ0.xml")
    assert xml.status_code == 404
    root = ET.fromstring(xml.content)
    assert root.tag == "errors" and root.findtext("error/code") == "404"
    assert client.get(f"{V2}/nothing.json").json()[0]["code"] == 404
    assert client.get(f"{V2}/services.csv").status_code == 404
    assert client.get(f"{V2}/services/nope.json").status_code == 404
    assert client.get(f"{V2}/tokens/nope.json").status_code == 404
    assert client.get(f"{V2}/requests.json", params={"page_size": 5000}).status_code == 400
    assert client.get(f"{V2}/requests.json", params={"status": "pending"}).status_code == 400
    bad_date = client.get(f"{V2}/requests.json", params={"start_date": "yesterday"})
    assert bad_date.status_code == 400 and bad_date.json()[0]["code"] == 400
    wide = client.get(
        f"{V2}/requests.json",
        params={"start_date": "2025-01-01T00:00:00+08:00", "end_date": "2025-12-01T00:00:00+08:00"},
    )
    assert wide.status_code == 400 and "90 days" in wide.json()[0]["description"]
