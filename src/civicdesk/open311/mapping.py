"""civicdesk's cases as GeoReport service requests: statuses, and the fields of a request.

A service request is a case (its number is the ``service_request_id``): a complaint that joins
an open case about the same issue gets that case's number. Status is GeoReport's open/closed;
the lifecycle stage (受理/立案/派遣/处置/核查/结案) and an extended status in the style of
mySociety's (FOR_TRIAGE, ACTION_SCHEDULED, IN_PROGRESS, INVESTIGATING, FIXED…) are given in
``status_notes`` and ``extended_attributes``. No personal data: no names, phones or e-mails;
the description is published only when the citizen wrote it to the public side (portal,
Open311), with numbers masked; the location is the area (street, community) and the point
rounded to about 100 m, since an exact address often is the complainant's home.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from civicdesk.cases.models import Case
from civicdesk.clock import to_local
from civicdesk.core.workflow import CaseStatus
from civicdesk.intake.models import Complaint
from civicdesk.portal.public import PUBLIC_STATUS, STAGE_OF, redact

S = CaseStatus
CLOSED = frozenset({S.closed, S.not_filed, S.merged})
EXTENDED: dict[CaseStatus, str] = {
    S.received: "FOR_TRIAGE",
    S.filed: "ACTION_SCHEDULED",
    S.dispatched: "ACTION_SCHEDULED",
    S.returned: "INTERNAL_REFERRAL",
    S.accepted: "IN_PROGRESS",
    S.suspended: "IN_PROGRESS",
    S.handled: "INVESTIGATING",
    S.closed: "FIXED",
    S.not_filed: "NOT_COUNCILS_RESPONSIBILITY",
    S.merged: "DUPLICATE",
}
DESCRIPTION_MAX = 4000


def iso(value: datetime | None) -> str | None:
    return to_local(value).isoformat(timespec="seconds") if value is not None else None


def status_of(case: Case) -> str:
    return "closed" if CaseStatus(case.status) in CLOSED else "open"


def extended_status(case: Case) -> str:
    status = CaseStatus(case.status)
    if status == S.closed and case.close_outcome == "not_fixed":
        return "NO_FURTHER_ACTION"
    return EXTENDED[status]


@dataclass(frozen=True)
class RequestFacts:
    """What a request record needs besides the case, loaded in batches by the service."""

    first: Complaint | None
    category_code: str | None
    category_name: str | None
    unit_name: str | None
    area_path: str | None
    area_code: str | None
    updated_at: datetime | None
    media_url: str | None
    # The complainant wrote to the public side (portal, Open311), where the form says the
    # description is published; texts taken by hotlines are not: a generic line stands in.
    text_public: bool


def request_record(case: Case, facts: RequestFacts) -> dict[str, Any]:
    status = CaseStatus(case.status)
    first = facts.first
    if first is not None and facts.text_public:
        description = redact(first.text) or ""
    else:
        where = f"（{facts.area_path}）" if facts.area_path else ""
        description = f"市民反映的{facts.category_name or '城市管理'}问题{where}"
    lat = round(first.latitude, 3) if first and first.latitude is not None else None
    lon = round(first.longitude, 3) if first and first.longitude is not None else None
    open_ = status not in CLOSED
    return {
        "service_request_id": case.number,
        "status": status_of(case),
        "status_notes": f"{STAGE_OF[status]}：{PUBLIC_STATUS[status]}",
        "service_name": facts.category_name,
        "service_code": facts.category_code or "unclassified",
        "description": description[:DESCRIPTION_MAX],
        "agency_responsible": facts.unit_name,
        "service_notice": None,
        "requested_datetime": iso(case.opened_at),
        "updated_datetime": iso(
            case.closed_at if not open_ and case.closed_at else facts.updated_at
        ),
        "expected_datetime": iso(case.handle_due_at) if open_ else None,
        "address": facts.area_path,
        "address_id": facts.area_code,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": facts.media_url,
        "extended_attributes": {
            "status": extended_status(case),
            "stage": STAGE_OF[status],
            "civicdesk_status": status.value,
        },
    }
