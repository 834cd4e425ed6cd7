"""The fact relation: one row per counted complaint, the narrow columns every measure sums.

Declared once here (``FACT_COLUMNS``) and built two ways from the same declaration:

- ``fact_select`` — a SQLAlchemy ``SELECT`` over the live tables (complaints ⟕ cases ⟕ the
  primary-complaint subquery), the transactional path; the same code on SQLite and PostgreSQL;
- ``analytical.refresh`` — the rows of that very select, exported into a DuckDB file with one
  extra column, ``received_on`` (the local Asia/Shanghai date), the analytical path.

Complaint columns describe the complaint (where, what, repeat, hot spot). Case columns describe
its case and are **1 only on the case's primary complaint** (``case_primary``: its first counted
complaint, lowest id), so a case-level count such as 立案数 or 结案数 is a plain sum over the
rows and a case is dated, placed and classified by its first complaint. Every flag is 0/1, and
every flag a measure subtracts is a subset of the one it is subtracted from, so that any
numerator or denominator is a sum of 0/1 row values — which is what lets a figure drill down to
exactly the complaints it counts (see ``measures.Linear``).

Case flags read the case as it is now (status, timestamps and the late marks set when each step
was taken); the one measure that depends on the moment of reading, 超期待处置, is computed from
``pending_due_at`` against the evaluation's ``as_of``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from civicdesk.cases.models import Case
from civicdesk.core.workflow import CaseStatus
from civicdesk.intake.models import Complaint
from civicdesk.repeats import conditions as repeat_conditions
from civicdesk.repeats.models import RepeatLink
from civicdesk.repeats.scoring import DUPLICATE, OTHER, RECURRENCE, SAME
from civicdesk.taxonomy.models import Category


@dataclass(frozen=True)
class FactColumn:
    name: str
    kind: str  # "id" (nullable integer key), "flag" (0/1), "time" (UTC timestamp)
    level: str  # "complaint" or "case" (case columns are set on the primary complaint only)
    doc: str


_C, _K = "complaint", "case"
FACT_COLUMNS: tuple[FactColumn, ...] = (
    FactColumn("complaint_id", "id", _C, "the complaint"),
    FactColumn("received_at", "time", _C, "when it was received (UTC)"),
    FactColumn("district_id", "id", _C, "its district (areas.id), null when unlocated"),
    FactColumn("street_id", "id", _C, "its street (areas.id), null when unlocated"),
    FactColumn("category_id", "id", _C, "its category, null when unclassified"),
    FactColumn("hotspot_category_id", "id", _C, "the flagged 热点 category it falls under"),
    FactColumn("channel_id", "id", _C, "the channel it came through"),
    FactColumn("case_id", "id", _C, "its case, null when none was opened"),
    FactColumn("unit_id", "id", _C, "the unit its case is with now (承办单位), null when none"),
    FactColumn("complaint", "flag", _C, "1 on every row: a counted complaint"),
    FactColumn("is_hotspot", "flag", _C, "in one of the flagged 热点 categories (or below)"),
    FactColumn("is_repeat", "flag", _C, "a repeat complaint (repeats.conditions.repeat)"),
    FactColumn("repeat_same", "flag", _C, "repeat by the same complainant"),
    FactColumn("repeat_other", "flag", _C, "repeat by another complainant"),
    FactColumn("recurrence", "flag", _C, "the problem came back after its case closed"),
    FactColumn("appeal_approved", "flag", _C, "an approved appeal (申诉/核减) covers it"),
    FactColumn("case_primary", "flag", _K, "the first counted complaint of its case (受理)"),
    FactColumn("filed", "flag", _K, "立案: the case was filed"),
    FactColumn("filed_timed", "flag", _K, "filed, with a stored filing deadline"),
    FactColumn("filed_on_time", "flag", _K, "按时立案: filed by its filing deadline"),
    FactColumn("not_filed", "flag", _K, "不予立案"),
    FactColumn("voided", "flag", _K, "作废: filed, then merged into another case"),
    FactColumn("dispatched", "flag", _K, "派遣: sent to a unit (应签收/应处置)"),
    FactColumn("accepted", "flag", _K, "签收: accepted by the unit"),
    FactColumn("accepted_on_time", "flag", _K, "按时签收"),
    FactColumn("handled", "flag", _K, "处置: the unit replied with its result"),
    FactColumn("handled_on_time", "flag", _K, "按期处置: replied within the handling limit"),
    FactColumn("handled_late", "flag", _K, "超期处置: replied after the handling limit"),
    FactColumn("due_close", "flag", _K, "应结案: filed and not voided"),
    FactColumn("dispatch_timed", "flag", _K, "应派遣 with a stored dispatch deadline"),
    FactColumn("dispatched_on_time", "flag", _K, "按时派遣: dispatched by its deadline"),
    FactColumn("closed", "flag", _K, "结案"),
    FactColumn("closed_on_time", "flag", _K, "按期结案: closed, handled and answered in time"),
    FactColumn("closed_not_fixed", "flag", _K, "closed although the callback said not solved"),
    FactColumn("suspended", "flag", _K, "挂账/缓办: suspended now"),
    FactColumn("rework", "flag", _K, "返工: sent back for rework at least once"),
    FactColumn("returned", "flag", _K, "回退: returned by a unit at least once"),
    FactColumn("extended", "flag", _K, "延期: an extension was approved"),
    FactColumn("callback", "flag", _K, "回访: the citizen was called back and rated it"),
    FactColumn("satisfied", "flag", _K, "满意"),
    FactColumn("basically", "flag", _K, "基本满意"),
    FactColumn("unsatisfied", "flag", _K, "不满意"),
    FactColumn("pending_due_at", "time", _K, "handling deadline of a case awaiting handling"),
)
FACT_NAMES: tuple[str, ...] = tuple(c.name for c in FACT_COLUMNS)
FLAG_NAMES: tuple[str, ...] = tuple(c.name for c in FACT_COLUMNS if c.kind == "flag")
ID_NAMES: tuple[str, ...] = tuple(c.name for c in FACT_COLUMNS if c.kind == "id")

# Derived flags: computed at evaluation time from a fact column and the moment of reading.
OVERDUE_PENDING = "overdue_pending"  # 超期待处置: pending_due_at < as_of


# ---------------------------------------------------------------------------------------------
# Appeals: the one place H2's appeals table plugs in.


def appeal_approved() -> ColumnElement[bool]:
    """True for a complaint that an approved appeal (申诉/核减) takes out of the figures.

    An ``EXISTS`` on the approved appeals (``assessment.appeals``; ``Complaint.id`` is the
    complaint of the row). Measures leave such complaints out unless the evaluation asks to
    include them (``evaluate(..., appeals="include")``).
    """
    from civicdesk.assessment.scheme_models import Appeal

    return (
        select(Appeal.id)
        .where(Appeal.complaint_id == Complaint.id, Appeal.status == "approved")
        .exists()
    )


# ---------------------------------------------------------------------------------------------
# Hot-spot categories


def hotspot_ancestors(session: Session) -> dict[int, int]:
    """Category id → the nearest flagged 热点 category at or above it (flagged ones only)."""
    rows = session.execute(select(Category.id, Category.parent_id, Category.hotspot)).all()
    parent = {cid: pid for cid, pid, _ in rows}
    flagged = {cid for cid, _, hot in rows if hot}
    result: dict[int, int] = {}
    for cid in parent:
        node: int | None = cid
        seen = 0
        while node is not None and node not in flagged and seen <= len(parent):
            node, seen = parent.get(node), seen + 1
        if node is not None and node in flagged:
            result[cid] = node
    return result


# ---------------------------------------------------------------------------------------------
# The relation on the live tables


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _in_time(flag: Any, done_at: Any, due_at: Any) -> ColumnElement[bool]:
    """Done within its limit: the late mark set when the step was taken (cases.service), or,
    for rows written without it (imports, the demo history), the stored deadline itself —
    the same comparison the service makes."""
    return or_(flag.is_(False), and_(flag.is_(None), due_at.is_not(None), done_at <= due_at))


def _late(flag: Any, done_at: Any, due_at: Any) -> ColumnElement[bool]:
    return or_(flag.is_(True), and_(flag.is_(None), due_at.is_not(None), done_at > due_at))


def _repeat_kind(kind: str) -> ColumnElement[bool]:
    return repeat_conditions.repeat((kind,))


def fact_select(session: Session, *, hotspots: Mapping[int, int] | None = None) -> Select:
    """The fact relation as a ``SELECT`` over the live tables, columns named as FACT_COLUMNS.

    ``hotspots`` (category id → flagged ancestor, ``hotspot_ancestors``) is read from the
    session when not given. Rows: every complaint that is counted (not a confirmed duplicate
    intake, ``repeats.conditions.counted``).
    """
    if hotspots is None:
        hotspots = hotspot_ancestors(session)
    first = aliased(Complaint, name="first_complaint")
    duplicates = select(RepeatLink.complaint_id).where(
        RepeatLink.kind == DUPLICATE, RepeatLink.status == "confirmed"
    )
    # The same rule as repeats.conditions.counted, on the aliased table.
    primaries = (
        select(first.case_id.label("case_id"), func.min(first.id).label("primary_id"))
        .where(first.case_id.is_not(None), first.id.not_in(duplicates))
        .group_by(first.case_id)
        .subquery("case_primaries")
    )
    primary = and_(Complaint.case_id.is_not(None), Complaint.id == primaries.c.primary_id)
    status = Case.status
    filed = and_(primary, Case.filed_at.is_not(None))
    voided = and_(filed, status == CaseStatus.merged)
    due_close = and_(filed, status != CaseStatus.merged)
    dispatched = and_(primary, Case.dispatched_at.is_not(None))
    # 按时立案/按期派遣: judged by the stored deadline; a case without one (no limit configured,
    # or written before deadlines were stored) is left out of the rate, not guessed.
    filed_timed = and_(filed, Case.file_due_at.is_not(None))
    dispatch_timed = and_(due_close, Case.dispatch_due_at.is_not(None))
    handled = and_(dispatched, Case.handled_at.is_not(None))
    closed = and_(due_close, status == CaseStatus.closed)
    callback = and_(primary, Case.satisfaction.is_not(None))
    handled_on_time = _in_time(Case.handled_late, Case.handled_at, Case.handle_due_at)
    hotspot_of = case(dict(hotspots), value=Complaint.category_id, else_=None) if hotspots else None
    columns: dict[str, ColumnElement] = {
        "complaint_id": Complaint.id,
        "received_at": Complaint.received_at,
        "district_id": Complaint.district_id,
        "street_id": Complaint.street_id,
        "category_id": Complaint.category_id,
        "hotspot_category_id": hotspot_of if hotspot_of is not None else literal(None, Integer),
        "channel_id": Complaint.channel_id,
        "case_id": Complaint.case_id,
        "unit_id": Case.unit_id,
        "complaint": literal(1, Integer),
        "is_hotspot": _flag(Complaint.category_id.in_(sorted(hotspots))),
        "is_repeat": _flag(repeat_conditions.repeat()),
        "repeat_same": _flag(_repeat_kind(SAME)),
        "repeat_other": _flag(_repeat_kind(OTHER)),
        "recurrence": _flag(_repeat_kind(RECURRENCE)),
        "appeal_approved": _flag(appeal_approved()),
        "case_primary": _flag(primary),
        "filed": _flag(filed),
        "filed_timed": _flag(filed_timed),
        "filed_on_time": _flag(and_(filed_timed, Case.filed_at <= Case.file_due_at)),
        "not_filed": _flag(and_(primary, status == CaseStatus.not_filed)),
        "voided": _flag(voided),
        "dispatched": _flag(dispatched),
        "accepted": _flag(and_(dispatched, Case.accepted_at.is_not(None))),
        "accepted_on_time": _flag(
            and_(
                dispatched,
                Case.accepted_at.is_not(None),
                _in_time(Case.accepted_late, Case.accepted_at, Case.accept_due_at),
            )
        ),
        "handled": _flag(handled),
        "handled_on_time": _flag(and_(handled, handled_on_time)),
        "handled_late": _flag(
            and_(handled, _late(Case.handled_late, Case.handled_at, Case.handle_due_at))
        ),
        "due_close": _flag(due_close),
        "dispatch_timed": _flag(dispatch_timed),
        "dispatched_on_time": _flag(
            and_(
                dispatch_timed,
                Case.dispatched_at.is_not(None),
                Case.dispatched_at <= Case.dispatch_due_at,
            )
        ),
        "closed": _flag(closed),
        "closed_on_time": _flag(
            and_(
                closed,
                handled_on_time,
                or_(Case.reply_due_at.is_(None), Case.closed_at <= Case.reply_due_at),
            )
        ),
        "closed_not_fixed": _flag(and_(closed, Case.close_outcome == "not_fixed")),
        "suspended": _flag(and_(due_close, status == CaseStatus.suspended)),
        "rework": _flag(and_(dispatched, Case.rework_count > 0)),
        "returned": _flag(and_(dispatched, Case.returned_count > 0)),
        "extended": _flag(and_(dispatched, Case.extension_count > 0)),
        "callback": _flag(callback),
        "satisfied": _flag(and_(callback, Case.satisfaction == "satisfied")),
        "basically": _flag(and_(callback, Case.satisfaction == "basically")),
        "unsatisfied": _flag(and_(callback, Case.satisfaction == "unsatisfied")),
        "pending_due_at": case(
            (
                and_(
                    dispatched,
                    status.in_((CaseStatus.dispatched, CaseStatus.accepted)),
                ),
                Case.handle_due_at,
            ),
            else_=None,
        ),
    }
    assert tuple(columns) == FACT_NAMES, "fact_select must follow FACT_COLUMNS"
    return (
        select(*(expr.label(name) for name, expr in columns.items()))
        .select_from(Complaint)
        .outerjoin(Case, Case.id == Complaint.case_id)
        .outerjoin(primaries, primaries.c.case_id == Complaint.case_id)
        .where(repeat_conditions.counted())
    )


def overdue_pending_sql(pending_due_at: ColumnElement, as_of: datetime) -> ColumnElement[int]:
    """超期待处置 on the live path: awaiting handling past its deadline at ``as_of``."""
    return _flag(and_(pending_due_at.is_not(None), pending_due_at < as_of))
