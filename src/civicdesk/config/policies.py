"""The rule files of a configuration (``supervision.yaml``, ``feedback.yaml``): their schemas, the
loaded documents, and the start-up check.

Each is optional in a configuration directory; when present it is validated by the loader with
the other files (``config check``/``config load``) and stored whole in ``config_policies``. The
server and the worker validate the stored documents again when they start (``check_active``):
a document written by an older release, or edited by hand, is refused before it can fail later.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.assessment import schemes as assessment
from civicdesk.config.models import Policy
from civicdesk.config.schemas import Problems, dotted, find_file, parse_file
from civicdesk.errors import ConfigurationError
from civicdesk.feedback import policy as feedback
from civicdesk.open311 import policy as open311
from civicdesk.org.models import Area, Unit
from civicdesk.supervision import policy as supervision
from civicdesk.taxonomy.models import Category
from civicdesk.triage import places, router

Problem = tuple[tuple[Any, ...], str]
CrossCheck = Callable[..., list[Problem]]

SCHEMAS: dict[str, tuple[type[BaseModel], CrossCheck]] = {
    "supervision": (supervision.SupervisionFile, supervision.cross_check),
    "feedback": (
        feedback.FeedbackFile,
        lambda doc, *, unit_codes, category_codes: feedback.cross_check(
            doc, category_codes=category_codes
        ),
    ),
    "open311": (
        open311.Open311File,
        lambda doc, *, unit_codes, category_codes: open311.cross_check(
            doc, category_codes=category_codes
        ),
    ),
    # Triage (issue 3): routing rules and the names of places; these two also check areas.
    "routing": (router.RoutingFile, router.cross_check),
    "places": (places.PlacesFile, places.cross_check),
    # Assessment schemes (issue 6): also stored as versions, see assessment.schemes.
    "assessment": (assessment.AssessmentFile, assessment.cross_check),
}
_CHECK_AREAS = frozenset({"routing", "places", "assessment"})


def cross_check(
    name: str,
    doc: BaseModel,
    *,
    unit_codes: set[str] | None,
    category_codes: set[str] | None,
    area_codes: set[str] | None = None,
) -> list[Problem]:
    extra = {"area_codes": area_codes} if name in _CHECK_AREAS else {}
    return SCHEMAS[name][1](doc, unit_codes=unit_codes, category_codes=category_codes, **extra)


def read_documents(
    directory: Path,
    problems: Problems,
    *,
    unit_codes: set[str] | None,
    category_codes: set[str] | None,
    area_codes: set[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """The optional rule files, each validated and checked against the units and categories."""
    documents: dict[str, dict[str, Any]] = {}
    for name, (schema, _) in SCHEMAS.items():
        path = find_file(directory, name, problems)
        if path is None:
            continue
        doc = parse_file(directory, name, schema, problems)
        if doc is None:
            continue
        found = cross_check(
            name, doc, unit_codes=unit_codes, category_codes=category_codes, area_codes=area_codes
        )
        for at, message in found:
            problems.add(path.name, f"{dotted(at)}: {message}", at=at)
        documents[name] = doc.model_dump(mode="json")
    return documents


def _document(session: Session, name: str) -> BaseModel | None:
    cache: dict[str, BaseModel | None] = session.info.setdefault("civicdesk_policies", {})
    if name not in cache:
        row = session.get(Policy, name)
        cache[name] = None if row is None else _validated(name, row.document)
    return cache[name]


def _validated(name: str, document: dict[str, Any]) -> BaseModel:
    try:
        return SCHEMAS[name][0].model_validate(document)
    except ValidationError as exc:
        lines = [f"  {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigurationError(
            "\n".join([f"已载入的 {name}.yaml 无效 / stored {name}.yaml is invalid:", *lines])
        ) from None


def forget(session: Session) -> None:
    """Drop the documents cached on this session (after ``config load`` wrote new ones)."""
    session.info.pop("civicdesk_policies", None)


def supervision_policy(session: Session) -> supervision.SupervisionPolicy:
    doc = _document(session, "supervision")
    return supervision.SupervisionPolicy(
        doc if isinstance(doc, supervision.SupervisionFile) else None
    )


def feedback_policy(session: Session) -> feedback.FeedbackPolicy:
    doc = _document(session, "feedback")
    return feedback.FeedbackPolicy(doc if isinstance(doc, feedback.FeedbackFile) else None)


def check_active(session: Session) -> None:
    """Validate every stored rule document against the schemas and the units and categories in
    the database; raise ``ConfigurationError`` naming every problem."""
    forget(session)
    rows = list(session.scalars(select(Policy)))
    if not rows:
        return
    units = set(session.scalars(select(Unit.code)))
    categories = set(session.scalars(select(Category.code)))
    areas = set(session.scalars(select(Area.code)))
    lines: list[str] = []
    for row in rows:
        if row.name not in SCHEMAS:
            continue
        doc = _validated(row.name, row.document)
        found = cross_check(
            row.name, doc, unit_codes=units, category_codes=categories, area_codes=areas
        )
        for at, message in found:
            lines.append(f"  {row.name}.yaml {'.'.join(map(str, at))}: {message}")
    if lines:
        raise ConfigurationError(
            "\n".join(["配置无效，请修正后执行 civicdesk config load / invalid rules:", *lines])
        )


def open311_document(session: Session) -> open311.Open311File | None:
    doc = _document(session, "open311")
    return doc if isinstance(doc, open311.Open311File) else None


def routing_document(session: Session) -> router.RoutingFile | None:
    doc = _document(session, "routing")
    return doc if isinstance(doc, router.RoutingFile) else None


def places_document(session: Session) -> places.PlacesFile | None:
    doc = _document(session, "places")
    return doc if isinstance(doc, places.PlacesFile) else None
