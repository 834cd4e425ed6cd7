"""POST /requests: a GeoReport request becomes a citizen complaint through the portal's path
(``portal.service.submit``, and so intake with its repeat check)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from civicdesk.open311.formats import Open311Error
from civicdesk.open311.mapping import DESCRIPTION_MAX
from civicdesk.open311.policy import Attribute, Datatype
from civicdesk.open311.service import service_attributes, service_leaves
from civicdesk.org.service import area_by_code
from civicdesk.portal import service as portal
from civicdesk.portal.schemas import CitizenComplaint
from civicdesk.portal.uploads import MediaStore


def _number(form: Mapping[str, str], name: str) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number (WGS84 degrees)") from None
    if not math.isfinite(value):
        raise Open311Error(400, f"{name} must be a finite number")
    return value


def _answers(form: Any, attributes: list[Attribute]) -> list[str]:
    """Attribute answers as lines of the complaint text ("【时段】夜间"); required ones checked."""
    lines = []
    for attribute in attributes:
        raw = [v for v in form.getlist(f"attribute[{attribute.code}]") if str(v).strip()]
        raw += [v for v in form.getlist(f"attribute[{attribute.code}][]") if str(v).strip()]
        if not raw:
            if attribute.required:
                raise Open311Error(400, f"attribute[{attribute.code}] is required")
            continue
        names = {v.key: v.name for v in attribute.values}
        if attribute.datatype in (Datatype.singlevaluelist, Datatype.multivaluelist):
            unknown = [str(v) for v in raw if str(v) not in names]
            if unknown:
                raise Open311Error(
                    400, f"attribute[{attribute.code}]: unknown value {unknown[0]!r}"
                )
            if attribute.datatype == Datatype.singlevaluelist and len(raw) > 1:
                raise Open311Error(400, f"attribute[{attribute.code}] takes one value")
            shown = "、".join(names[str(v)] for v in raw)
        else:
            shown = "、".join(str(v).strip()[:200] for v in raw)
        lines.append(f"【{attribute.description}】{shown}")
    return lines


def complaint_from_form(session: Session, form: Any) -> tuple[CitizenComplaint, str | None]:
    code = (form.get("service_code") or "").strip()
    leaves = {c.code: c for c, _ in service_leaves(session)}
    if code not in leaves:
        raise Open311Error(400, "service_code is required and must be one of GET services")
    description = (form.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(400, f"description is longer than {DESCRIPTION_MAX} characters")
    lines = _answers(form, service_attributes(session, code))
    text = "\n".join([description or f"{leaves[code].name}（Open311 提交，未附描述）", *lines])
    lat, lon = _number(form, "lat"), _number(form, "long")
    address_id = (form.get("address_id") or "").strip() or None
    if address_id is not None and area_by_code(session, address_id) is None:
        raise Open311Error(400, "unknown address_id (use a street or community code)")
    name = f"{form.get('last_name') or ''}{form.get('first_name') or ''}".strip()[:50] or None
    media_url = (form.get("media_url") or "").strip() or None
    if media_url and (len(media_url) > 500 or not media_url.startswith(("http://", "https://"))):
        raise Open311Error(400, "media_url must be an http(s) URL of at most 500 characters")
    try:
        complaint = CitizenComplaint(
            text=text,
            phone=(form.get("phone") or "").strip() or None,
            name=name,
            address=(form.get("address_string") or "").strip()[:300] or None,
            area=address_id,
            latitude=lat,
            longitude=lon,
            category=code,
        )
    except ValidationError as exc:
        raise Open311Error(400, _first_error(exc)) from None
    return complaint, media_url


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def post_request(
    session: Session,
    form: Any,
    *,
    api_key_id: int,
    store: MediaStore,
    config: portal.PortalConfig,
    now: datetime,
) -> tuple[dict[str, Any], bool]:
    """The GeoReport answer for a POST, and whether a new request was created."""
    complaint, media_url = complaint_from_form(session, form)
    result = portal.submit(
        session, complaint, [], store=store, config=config, now=now,
        api_key_id=api_key_id, media_url=media_url,
    )  # fmt: skip
    notice = "已受理，可凭编号查询办理进度" if result.created else "相同内容刚已提交，返回原编号"
    answer = {
        "service_request_id": result.case_number,
        "token": result.token,
        "service_notice": notice,
        "account_id": None,
    }
    return answer, result.created
