"""Triage on the platform: the engine built from the configuration, a suggestion stored with
every complaint, the operator's confirmation or correction, and the registered models.
Services flush, never commit."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.cases import history
from civicdesk.cases.models import Case
from civicdesk.config import policies
from civicdesk.config.models import Policy
from civicdesk.config.service import get_setting
from civicdesk.errors import InvalidInput, NotFound
from civicdesk.intake.models import Complaint
from civicdesk.org.models import Area, Unit, unit_areas
from civicdesk.org.service import placement
from civicdesk.settings import get_settings
from civicdesk.taxonomy.models import Category
from civicdesk.triage import geo
from civicdesk.triage.classifier import TriageModel
from civicdesk.triage.engine import LOW_CONFIDENCE, CategoryInfo, Engine, Triage
from civicdesk.triage.lexicon import Lexicon
from civicdesk.triage.locator import AreaInfo, Locator
from civicdesk.triage.models import Suggestion, TriageModelRow
from civicdesk.triage.router import RoutingFile

_KIND_ORDER = {
    "squadron": 0,
    "street_office": 1,
    "enforcement_bureau": 2,
    "district_government": 3,
    "department": 4,
    "centre": 5,
}
logger = logging.getLogger(__name__)
_cache: dict[int, tuple[tuple[Any, ...], Engine]] = {}
_models: dict[str, TriageModel] = {}
# engine key → when its stamp was last read (monotonic) and the database's URL
_checked: dict[int, tuple[float, str]] = {}
_lock = threading.Lock()
# A session whose ``info`` carries this key (seconds) reuses the cached engine without reading
# the stamp again while the last reading is younger than that: the stamp is five queries and a
# digest of the routing and places documents, 40 % of triage's cost per complaint. The inbox
# drain sets it (portal.inbox.drain, docs/portal.md): a configuration change reaches the drain
# within that time instead of at the next complaint. Everyone else reads the stamp every time.
STAMP_REUSE_SECONDS = "civicdesk_triage_stamp_reuse_seconds"


# ---- the engine -------------------------------------------------------------------------------


def _stamp(session: Session) -> tuple[Any, ...]:
    """What the engine depends on; a change in any of it rebuilds the engine."""
    active = session.execute(
        select(TriageModelRow.version, TriageModelRow.path).where(TriageModelRow.active)
    ).first()
    documents = session.execute(
        select(Policy.document).where(Policy.name.in_(("routing", "places")))
    ).all()
    digest = hashlib.sha256(
        json.dumps([d for (d,) in documents], sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    return (
        tuple(active) if active else None,
        session.scalar(select(func.count()).select_from(Area)),
        session.scalar(select(func.count()).select_from(Category)),
        session.scalar(select(func.count()).select_from(Unit)),
        digest,
        get_setting(session, "triage.low_confidence"),
    )


def engine(session: Session) -> Engine:
    """The triage engine for this database, rebuilt when the configuration or model changes."""
    bind = session.get_bind()
    key = id(bind.engine) if hasattr(bind, "engine") else 0
    url = str(bind.engine.url) if hasattr(bind, "engine") else ""
    reuse = float(session.info.get(STAMP_REUSE_SECONDS) or 0.0)
    with _lock:
        cached, checked = _cache.get(key), _checked.get(key)
    # The last reading counts only for the same database: an engine disposed and another
    # created at the same address (tests) must not inherit it.
    fresh = checked is not None and checked[1] == url and time.monotonic() - checked[0] < reuse
    if cached is not None and fresh:
        return cached[1]
    stamp = _stamp(session)
    read_at = (time.monotonic(), url)
    if cached is not None and cached[0] == stamp:
        with _lock:
            _checked[key] = read_at
        return cached[1]
    built = build_engine(session, model=_load_model(stamp[0]))
    with _lock:
        _cache[key], _checked[key] = (stamp, built), read_at
    return built


def _load_model(active: tuple[str, str] | None) -> TriageModel | None:
    if active is None:
        return None
    version, path = active
    with _lock:
        model = _models.get(version)
    if model is None:
        try:
            model = TriageModel.load(path)
        except ValueError as exc:
            # A missing or damaged model file must not stop intake: the cold start (keywords)
            # takes over, every suggestion says so (model_version "lexicon"), and the log tells.
            logger.error("triage model %s unusable, using the keyword cold start: %s", version, exc)
            return None
        with _lock:
            _models[version] = model
    return model


def build_engine(session: Session, *, model: TriageModel | None = None) -> Engine:
    categories = list(session.scalars(select(Category).order_by(Category.sort_order)))
    by_id = {c.id: c for c in categories}
    parents = {c.parent_id for c in categories}
    infos = {
        c.code: CategoryInfo(
            c.code,
            c.name,
            by_id[c.parent_id].code if c.parent_id in by_id else None,
            c.in_remit,
            c.id not in parents,
        )
        for c in categories
    }
    areas = [
        AreaInfo(a.id, a.code, a.name, a.short_name, a.level, a.parent_id)
        for a in session.scalars(select(Area))
    ]
    places = policies.places_document(session)
    locator = Locator(areas, places.as_config() if places else None)
    units = {u.id: u for u in session.scalars(select(Unit))}
    threshold = get_setting(session, "triage.low_confidence")
    return Engine(
        categories=infos,
        lexicon=Lexicon.build({c.code: c.keywords or [] for c in categories}),
        locator=locator,
        routing=policies.routing_document(session) or RoutingFile(),
        covering=_covering(session, locator, units),
        unit_names={u.code: u.name for u in units.values()},
        model=model,
        low_confidence=float(threshold) if threshold else LOW_CONFIDENCE,
    )


def _covering(
    session: Session, locator: Locator, units: dict[int, Unit]
) -> dict[str, list[tuple[str, str, str]]]:
    """Area code → the units covering it or an ancestor, in the order of ``units_covering``."""
    direct: dict[int, list[Unit]] = {}
    for unit_id, area_id in session.execute(select(unit_areas.c.unit_id, unit_areas.c.area_id)):
        direct.setdefault(area_id, []).append(units[unit_id])
    result: dict[str, list[tuple[str, str, str]]] = {}
    for area in locator.areas.values():
        found: list[tuple[int, int, str, Unit, str]] = []
        depth, node = 0, area
        while node is not None:
            for unit in direct.get(node.id, []):
                found.append((_KIND_ORDER.get(unit.kind, 9), depth, unit.code, unit, node.name))
            node = locator.areas.get(node.parent_id or 0)
            depth += 1
        seen: set[str] = set()
        ordered = []
        for _, _, code, unit, covered in sorted(found, key=lambda f: f[:3]):
            if code not in seen:
                seen.add(code)
                ordered.append((code, unit.kind, covered))
        result[area.code] = ordered
    return result


# ---- suggestions ------------------------------------------------------------------------------


def suggest(
    session: Session,
    *,
    title: str | None,
    text: str | None,
    address: str | None = None,
    area: str | None = None,
    longitude: float | None = None,
    latitude: float | None = None,
) -> Triage:
    """Classify, locate and route one complaint (nothing is written)."""
    triage_engine = engine(session)
    result = triage_engine.triage(title, text, address, area=area)
    return with_coordinates(triage_engine, result, longitude, latitude)


def with_coordinates(
    triage_engine: Engine, result: Triage, longitude: float | None, latitude: float | None
) -> Triage:
    """When the text placed nothing, the point (WGS84, as browsers and Open311 give it) inside
    the configured boundaries (``CIVICDESK_MAP_BOUNDARIES``, GeoJSON) places the complaint."""
    if result.location.resolved or longitude is None or latitude is None:
        return result
    code = geo.area_at(get_settings().map_boundaries, longitude, latitude)
    if code is None or code not in triage_engine.locator.by_code:
        return result
    location = triage_engine.locator.placed(code, how="coordinates")
    category = result.classification.category
    return Triage(result.classification, location, triage_engine.route(category, location))


def suggestion_values(
    session: Session,
    complaint_id: int,
    result: Triage,
    *,
    applied: bool,
    now: datetime,
    given: tuple[int, int | None, int | None] | None = None,
) -> dict[str, Any]:
    """The columns of the suggestion row of a complaint. ``given``: (category id, area id,
    user id) when the category came with the complaint (typed by the operator, or by the
    forwarding hotline): that is already a person's decision, confirming or correcting."""
    ids = _ids(session)
    c = result.classification
    area = result.location.area
    suggested = ids["categories"].get(c.category or "")
    decision: dict[str, Any] = {"status": "pending"}
    if given is not None:
        decision = {
            "status": "confirmed" if given[0] == suggested else "corrected",
            "final_category_id": given[0],
            "final_area_id": given[1] if given[1] is not None else (area.id if area else None),
            "decided_by_id": given[2],
            "decided_at": now,
        }
    return {
        "complaint_id": complaint_id,
        "created_at": now,
        "model_version": c.source[:40],
        "category_id": suggested,
        "label": (c.label or "")[:100] or None,
        "confidence": c.confidence,
        "low_confidence": c.low_confidence,
        "alternatives": [{"category": code, "confidence": p} for code, p in c.alternatives],
        "in_remit": c.in_remit,
        "area_id": area.id if area else None,
        "location": result.location.as_dict(),
        "unit_id": ids["units"].get(result.route.unit or ""),
        "route": result.route.explanation,
        "applied": applied,
        **decision,
    }


def _ids(session: Session) -> dict[str, dict[str, int]]:
    cache: dict[str, dict[str, int]] | None = session.info.get("civicdesk_triage_ids")
    if cache is None:
        cache = {
            "categories": dict(session.execute(select(Category.code, Category.id)).all()),
            "units": dict(session.execute(select(Unit.code, Unit.id)).all()),
        }
        session.info["civicdesk_triage_ids"] = cache
    return cache


def record(
    session: Session,
    complaint: Complaint,
    result: Triage,
    *,
    applied: bool,
    now: datetime,
    given: tuple[int, int | None, int | None] | None = None,
) -> Suggestion:
    """Keep what triage proposed for ``complaint`` (one row per complaint)."""
    values = suggestion_values(session, complaint.id, result, applied=applied, now=now, given=given)
    row = Suggestion(**values)
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Decision:
    suggestion: Suggestion
    corrected: bool


def decide(
    session: Session,
    complaint: Complaint,
    *,
    category: str,
    area: str | None,
    actor: User,
    now: datetime,
) -> Decision:
    """The operator confirms the suggestion or corrects it. The complaint and its case take the
    chosen category and area; the case history says who decided what; the suggestion row keeps
    both, and a correction becomes training data (``training_history``)."""
    row = session.scalar(select(Suggestion).where(Suggestion.complaint_id == complaint.id))
    if row is None:
        raise NotFound("该投诉没有分类建议")
    chosen = session.scalar(select(Category).where(Category.code == category))
    if chosen is None:
        raise InvalidInput(f"未知类别：{category}", field="category")
    place = session.scalar(select(Area).where(Area.code == area)) if area else None
    if area and place is None:
        raise InvalidInput(f"未知区域：{area}", field="area")
    corrected = row.category_id != chosen.id or (place is not None and row.area_id != place.id)
    row.status = "corrected" if corrected else "confirmed"
    row.final_category_id = chosen.id
    row.final_area_id = place.id if place else row.area_id
    row.decided_by_id = actor.id
    row.decided_at = now
    complaint.category_id = chosen.id
    case = session.get(Case, complaint.case_id) if complaint.case_id else None
    if place is not None:
        where = placement(session, place)
        complaint.area_id, complaint.district_id, complaint.street_id = (
            where.area_id,
            where.district_id,
            where.street_id,
        )
    if case is not None:
        case.category_id = chosen.id
        if place is not None:
            case.area_id, case.district_id, case.street_id = (
                complaint.area_id,
                complaint.district_id,
                complaint.street_id,
            )
        history.record(
            session,
            case,
            "note",
            actor=actor,
            at=now,
            from_status=case.status,
            note=f"分类{'更正' if corrected else '确认'}：{chosen.name}"
            + (f"，{place.name}" if place else ""),
            triage=row.status,
            category=chosen.code,
            area=place.code if place else None,
        )
    session.flush()
    return Decision(row, corrected)


def training_history(session: Session) -> tuple[list[str], list[str], list[str]]:
    """Titles, texts and category names of every complaint an operator confirmed or corrected:
    the platform's own labelled data (``civicdesk triage train --from-history``)."""
    rows = session.execute(
        select(Complaint.title, Complaint.text, Category.name)
        .join(Suggestion, Suggestion.complaint_id == Complaint.id)
        .join(Category, Category.id == Suggestion.final_category_id)
        .where(Suggestion.status.in_(("confirmed", "corrected")))
        .order_by(Complaint.id)
    ).all()
    return [r[0] or "" for r in rows], [r[1] for r in rows], [r[2] for r in rows]


# ---- the model registry ----------------------------------------------------------------------


def register_model(
    session: Session, path: str | Path, *, activate: bool, now: datetime, source: str = ""
) -> TriageModelRow:
    """Record a model file (its version and checksum); make it the active one if asked."""
    path = Path(path).resolve()
    model = TriageModel.load(path)
    row = session.scalar(select(TriageModelRow).where(TriageModelRow.version == model.version))
    if row is None:
        row = TriageModelRow(
            version=model.version,
            path=str(path),
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            labels=[str(c) for c in model.classes],
            trained_on=int(model.metadata.get("trained_on", 0)),
            source=(source or str(model.metadata.get("source", "")))[:200],
            metrics=model.metadata.get("cv", {}),
            active=False,
            created_at=now,
        )
        session.add(row)
    row.path = str(path)
    if activate:
        session.execute(update(TriageModelRow).values(active=False))
        session.flush()
        row.active = True
    session.flush()
    return row


def active_model(session: Session) -> TriageModelRow | None:
    return session.scalar(select(TriageModelRow).where(TriageModelRow.active))
