"""POST /requests: a GeoReport request becomes a citizen complaint through the portal's path:
checked, put in the inbox (``portal.inbox.prepare`` and ``put``, one insert) and answered with
a token at once, as GeoReport allows; intake (triage, repeat check, the case) runs in the drain, and
``GET /tokens/{token}`` gives the service_request_id (the case number) once it has."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from civicdesk.config.policies import open311_document
from civicdesk.errors import InvalidInput
from civicdesk.open311.formats import Open311Error
from civicdesk.open311.mapping import DESCRIPTION_MAX
from civicdesk.open311.policy import Attribute, Datatype
from civicdesk.open311.service import service_attributes, service_leaves
from civicdesk.portal import inbox
from civicdesk.portal.schemas import CitizenComplaint
from civicdesk.portal.service import PortalConfig
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


@dataclass(frozen=True)
class Catalog:
    """The services a client may post to and their questions, read once per
    ``inbox.CACHE_SECONDS`` instead of on every POST."""

    names: dict[str, str]  # service_code -> service_name
    attributes: dict[str, list[Attribute]]
    jurisdiction: str | None  # open311.yaml's jurisdiction_id
    loaded: float = field(default_factory=time.monotonic)

    def fresh(self) -> bool:
        return time.monotonic() - self.loaded < inbox.CACHE_SECONDS

    @classmethod
    def load(cls, session: Session) -> Catalog:
        names = {c.code: c.name for c, _ in service_leaves(session)}
        doc = open311_document(session)
        return cls(
            names,
            {code: service_attributes(session, code) for code in names},
            doc.jurisdiction_id if doc is not None else None,
        )

    def check_jurisdiction(self, jurisdiction_id: str | None) -> None:
        """As ``service.check_jurisdiction``, from the cache (no document read per POST)."""
        if jurisdiction_id and self.jurisdiction and jurisdiction_id != self.jurisdiction:
            raise Open311Error(400, f"unknown jurisdiction_id (this server: {self.jurisdiction})")


def catalog(state: Any, sessions: Callable[[], Session]) -> Catalog:
    """The cached Catalog on the application's state."""
    cached: Catalog | None = getattr(state, "open311_catalog", None)
    if cached is not None and cached.fresh():
        return cached
    with sessions() as session:
        state.open311_catalog = Catalog.load(session)
    return state.open311_catalog


def complaint_from_form(
    services: Catalog, ref: inbox.Reference, form: Any
) -> tuple[CitizenComplaint, str | None]:
    code = (form.get("service_code") or "").strip()
    if code not in services.names:
        raise Open311Error(400, "service_code is required and must be one of GET services")
    description = (form.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(400, f"description is longer than {DESCRIPTION_MAX} characters")
    lines = _answers(form, services.attributes.get(code, []))
    text = "\n".join([description or f"{services.names[code]}（Open311 提交，未附描述）", *lines])
    lat, lon = _number(form, "lat"), _number(form, "long")
    address_id = (form.get("address_id") or "").strip() or None
    if address_id is not None and address_id not in ref.areas:
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
    connection: Connection,
    complaint: CitizenComplaint,
    *,
    media_url: str | None,
    api_key_id: int,
    store: MediaStore,
    config: PortalConfig,
    ref: inbox.Reference,
    now: datetime,
) -> tuple[dict[str, Any], bool]:
    """The GeoReport answer for a POST, and whether a new request was created. A new request
    is answered with its token (the service_request_id follows from GET /tokens once intake
    has run); the same request again, with the id if it is already known."""
    try:
        draft = inbox.prepare(
            complaint, config=config, ref=ref, now=now, api_key_id=api_key_id, media_url=media_url
        )
        accepted = inbox.put(connection, draft, [], store=store, config=config, ref=ref, now=now)
    except InvalidInput as exc:
        raise Open311Error(400, exc.message) from None
    if accepted.created:
        notice = f"已受理，受理编号 {accepted.number}，正在分派；可凭令牌查询案件编号"
    else:
        notice = f"相同内容刚已提交，受理编号 {accepted.number}"
    answer: dict[str, Any] = {"token": accepted.token, "service_notice": notice, "account_id": None}
    if accepted.case_number is not None:
        answer = {"service_request_id": accepted.case_number, **answer}
    return answer, accepted.created
