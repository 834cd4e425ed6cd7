"""Publication (考核结果发布): a period's assessment frozen as a JSON snapshot.

``publish`` scores the period now and stores every figure and score with the scheme version and
the engine backend. What was published is read back from that document only, so later edits to
cases, appeals or inspections never change it. Publishing the same scheme and period again makes
a new version that lists, per unit and indicator, what changed since the previous one; a
republication with nothing changed is refused (there would be nothing to announce).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.accounts.models import Role, User
from civicdesk.assessment.scheme_models import Publication
from civicdesk.assessment.scorecard import score
from civicdesk.assessment.scoring import STATUS_LABELS
from civicdesk.errors import Conflict, NotFound, PermissionDenied
from civicdesk.reports.periods import Period

PUBLISHERS = (Role.leader, Role.admin)
UNIT_FIELDS = (("total", "总分"), ("rank", "排名"), ("grade", "等级"), ("status", "状态"))
INDICATOR_FIELDS = (("value", "指标值"), ("points", "得分"))


def publish(
    session: Session,
    *,
    scheme_code: str,
    period: Period,
    actor: User,
    now: datetime,
    backend: str = "sql",
    note: str | None = None,
) -> Publication:
    if actor.role not in PUBLISHERS:
        raise PermissionDenied("只有领导或管理员可以发布考核结果")
    card = score(session, scheme_code, period, as_of=now, backend=backend)  # type: ignore[arg-type]
    document = card.to_dict()
    previous = latest(session, scheme_code, period)
    changes = diff(previous.document, document) if previous else []
    if previous is not None and not changes:
        raise Conflict(
            f"与已发布的第{previous.version}版相比没有任何变化，无需重新发布 / "
            "nothing changed since the last publication",
            existing_id=previous.id,
        )
    publication = Publication(
        scheme_code=card.scheme.code,
        scheme_version=card.scheme_version,
        period_start=period.start,
        period_end=period.end,
        version=(previous.version + 1) if previous else 1,
        engine_backend=card.backend,
        document=document,
        changes=changes,
        note=(note or "").strip() or None,
        published_by_id=actor.id,
        published_at=now,
    )
    session.add(publication)
    session.flush()
    return publication


def latest(session: Session, scheme_code: str, period: Period) -> Publication | None:
    newest = (
        select(func.max(Publication.version))
        .where(
            Publication.scheme_code == scheme_code,
            Publication.period_start == period.start,
            Publication.period_end == period.end,
        )
        .scalar_subquery()
    )
    return session.scalars(
        select(Publication).where(
            Publication.scheme_code == scheme_code,
            Publication.period_start == period.start,
            Publication.period_end == period.end,
            Publication.version == newest,
        )
    ).one_or_none()


def list_publications(session: Session, scheme_code: str | None = None) -> list[Publication]:
    query = select(Publication).order_by(
        Publication.published_at.desc(), Publication.version.desc()
    )
    if scheme_code:
        query = query.where(Publication.scheme_code == scheme_code)
    return list(session.scalars(query))


def get_publication(session: Session, publication_id: int) -> Publication:
    publication = session.get(Publication, publication_id)
    if publication is None:
        raise NotFound(f"发布记录 #{publication_id} 不存在")
    return publication


def _shown(value: Any, field: str) -> Any:
    return STATUS_LABELS.get(value, value) if field == "status" else value


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Per unit and indicator: each figure whose value differs, old → new."""
    changes: list[dict[str, Any]] = []
    if old["scheme"]["version"] != new["scheme"]["version"]:
        changes.append(
            {
                "unit": None,
                "name": "考核方案",
                "field": "方案版本",
                "old": old["scheme"]["version"],
                "new": new["scheme"]["version"],
            }
        )
    before = {u["code"]: u for u in old["units"]}
    after = {u["code"]: u for u in new["units"]}
    for code, unit in after.items():
        if code not in before:
            changes.append(
                {
                    "unit": code,
                    "name": unit["name"],
                    "field": "新增单位",
                    "old": None,
                    "new": unit["total"],
                }
            )
            continue
        was = before[code]
        for key, label in UNIT_FIELDS:
            if was.get(key) != unit.get(key):
                changes.append(
                    {
                        "unit": code,
                        "name": unit["name"],
                        "field": label,
                        "old": _shown(was.get(key), key),
                        "new": _shown(unit.get(key), key),
                    }
                )
        old_indicators = {i["code"]: i for i in was["indicators"]}
        for indicator in unit["indicators"]:
            prior = old_indicators.get(indicator["code"], {})
            for key, label in INDICATOR_FIELDS:
                if prior.get(key) != indicator.get(key):
                    changes.append(
                        {
                            "unit": code,
                            "name": unit["name"],
                            "field": f"{indicator['name']} {label}",
                            "old": prior.get(key),
                            "new": indicator.get(key),
                        }
                    )
        if was.get("appeals_approved") != unit.get("appeals_approved"):
            changes.append(
                {
                    "unit": code,
                    "name": unit["name"],
                    "field": "核减件数",
                    "old": was.get("appeals_approved"),
                    "new": unit.get("appeals_approved"),
                }
            )
    for code, unit in before.items():
        if code not in after:
            changes.append(
                {
                    "unit": code,
                    "name": unit["name"],
                    "field": "移除单位",
                    "old": unit["total"],
                    "new": None,
                }
            )
    return changes
