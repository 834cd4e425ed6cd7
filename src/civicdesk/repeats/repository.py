"""Repeat queries: blocking keys in and out, candidates for one complaint, link rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, or_, select, text, union_all
from sqlalchemy.orm import Session

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.core.workflow import CaseAction
from civicdesk.intake.models import Complaint
from civicdesk.repeats.models import RepeatKey, RepeatLink
from civicdesk.repeats.scoring import CaseState, Decision, Facts

CHUNK = 5000
KEYS: Table = RepeatKey.__table__  # type: ignore[assignment]
LINKS: Table = RepeatLink.__table__  # type: ignore[assignment]


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


# ---- blocking keys ----------------------------------------------------------------------------


def replace_keys(session: Session, rows: Sequence[tuple[int, Iterable[int], float]]) -> None:
    """The keys of these complaints, as given: (complaint id, keys, received epoch seconds)."""
    ids = [cid for cid, _, _ in rows]
    for start in range(0, len(ids), CHUNK):
        session.execute(delete(KEYS).where(KEYS.c.complaint_id.in_(ids[start : start + CHUNK])))
    values = [
        {"complaint_id": cid, "key": key, "received_at": _utc(received)}
        for cid, keys, received in rows
        for key in keys
    ]
    for start in range(0, len(values), CHUNK * 4):
        session.execute(insert(KEYS), values[start : start + CHUNK * 4])


def sync_all_keys(session: Session, rows: Sequence[tuple[int, Iterable[int], float]]) -> int:
    """Make ``repeat_keys`` hold exactly these keys (a whole rebuild). Keys are a pure function
    of a complaint and the configuration, so after the intake wrote them a rebuild finds them
    unchanged: only the differences are written. Returns the number of rows written."""
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        # Plain tuples through the driver: a million rows as SQLAlchemy rows cost seconds.
        cursor.execute("SELECT complaint_id, key FROM repeat_keys")
        have = set(cursor.fetchall())
    finally:
        cursor.close()
    stored = len(have)
    added: list[tuple[int, int, float]] = []
    for cid, keys, received in rows:
        for key in keys:
            pair = (cid, key)
            if pair in have:
                have.discard(pair)  # what is left at the end is stale
            else:
                added.append((cid, key, received))
    stale = [{"c": c, "k": k} for c, k in have]
    if stale:
        session.execute(text("DELETE FROM repeat_keys WHERE complaint_id = :c AND key = :k"), stale)
    _bulk_insert_keys(session, added, reindex=len(added) > max(REINDEX_ROWS, stored - len(stale)))
    return len(added) + len(stale)


# A first build writes millions of keys: on SQLite the lookup index is built once afterwards
# (a sort) instead of entry by entry. (Not on PostgreSQL: dropping an index locks the table
# against the online check's reads until the rebuild commits.)
REINDEX_ROWS = 100_000


def _bulk_insert_keys(
    session: Session, values: list[tuple[int, int, float]], *, reindex: bool = False
) -> None:
    """Through the driver: SQLite one prepared INSERT, PostgreSQL COPY."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.dbapi_connection
        assert raw is not None
        copy_sql = "COPY repeat_keys (complaint_id, key, received_at) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[attr-defined]
            for cid, key, received in values:
                copy.write_row((cid, key, _utc(received)))
        return
    sql = "INSERT INTO repeat_keys (complaint_id, key, received_at) VALUES (?, ?, ?)"
    text_of = _TimeText()
    index = next(i for i in KEYS.indexes if i.name == "ix_repeat_keys_key_received")
    if reindex:
        index.drop(connection)
    for start in range(0, len(values), 50_000):
        chunk = [(c, k, text_of(r)) for c, k, r in values[start : start + 50_000]]
        connection.exec_driver_sql(sql, chunk)  # type: ignore[arg-type]
    if reindex:
        index.create(connection)


class _TimeText:
    """``_sqlite_time`` remembering the last value: a complaint's keys share its time."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.text = ""

    def __call__(self, ts: float) -> str:
        if ts != self.last:
            self.last, self.text = ts, _sqlite_time(ts)
        return self.text


def _sqlite_time(ts: float) -> str:
    """UTCDateTime's SQLite storage (naive UTC text)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def candidate_ids(
    session: Session, keys: Iterable[int], lo: float, hi: float, per_key: int
) -> list[int]:
    """For each key, the ``per_key`` most recently received complaints in [lo, hi]: one UNION
    of index range scans on (key, received_at)."""
    parts = [
        select(KEYS.c.complaint_id)
        .where(KEYS.c.key == key, KEYS.c.received_at.between(_utc(lo), _utc(hi)))
        .order_by(KEYS.c.received_at.desc(), KEYS.c.complaint_id.desc())
        .limit(per_key)
        for key in sorted(keys)
    ]
    if not parts:
        return []
    subqueries = [p.subquery() for p in parts]
    statement = union_all(*(select(s.c.complaint_id) for s in subqueries))
    return sorted(set(session.scalars(statement)))


def recent_by_key(
    session: Session, wanted: dict[int, tuple[float, float]], limit: int
) -> dict[int, list[tuple[float, int]]]:
    """``candidate_ids`` for many keys at once, each with its own range: for each key the
    ``limit`` most recently received (received epoch seconds, complaint id), newest first.

    Plain SQL through the driver: the statement has a part per key and changes with every
    batch, so SQLAlchemy would build and compile it anew each time (that cost more than the
    index scans themselves)."""
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    part = (
        f"SELECT * FROM (SELECT key, received_at, complaint_id FROM repeat_keys"
        f" WHERE key = {mark} AND received_at BETWEEN {mark} AND {mark}"
        f" ORDER BY received_at DESC, complaint_id DESC LIMIT {int(limit)}) AS k"
    )
    stamp = _sqlite_time if sqlite else _utc
    found: dict[int, list[tuple[float, int]]] = {}
    keys = sorted(wanted)
    # SQLite allows 500 terms in a compound SELECT.
    for start in range(0, len(keys), 200):
        chunk = keys[start : start + 200]
        params: list[Any] = []
        for key in chunk:
            lo, hi = wanted[key]
            params += [key, stamp(lo), stamp(hi)]
        sql = " UNION ALL ".join([part] * len(chunk))
        for key, received, complaint_id in connection.exec_driver_sql(sql, tuple(params)):
            at = _stored_epoch(received) if sqlite else received.timestamp()
            found.setdefault(key, []).append((at, complaint_id))
    for rows in found.values():
        rows.sort(reverse=True)
    return found


def _stored_epoch(value: str) -> float:
    """UTCDateTime's SQLite text (naive UTC) as epoch seconds."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()


def neighbourhood_rows(session: Session, ids: list[int], columns: tuple[Any, ...]) -> list[Any]:
    """The complaints ``ids`` and every complaint on their cases, each with its case's status,
    closing time and unit (the online check's second and last query)."""
    on_cases = select(Complaint.case_id).where(Complaint.id.in_(ids))
    query = (
        select(*columns, Case.status, Case.closed_at, Case.unit_id)
        .outerjoin(Case, Case.id == Complaint.case_id)
        .where(or_(Complaint.id.in_(ids), Complaint.case_id.in_(on_cases)))
    )
    return list(session.execute(query))


def complaints_of_cases(session: Session, case_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(case_ids))
    if not ids:
        return []
    return list(session.scalars(select(Complaint.id).where(Complaint.case_id.in_(ids))))


def not_filed_times(session: Session, case_ids: list[int]) -> dict[int, float]:
    """When each of these cases was not filed (or merged): the time of that event."""
    found: dict[int, float] = {}
    for start in range(0, len(case_ids), CHUNK):
        chunk = case_ids[start : start + CHUNK]
        rows = session.execute(
            select(CaseEvent.case_id, func.max(CaseEvent.at))
            .where(
                CaseEvent.case_id.in_(chunk),
                CaseEvent.action == CaseAction.not_file.value,
            )
            .group_by(CaseEvent.case_id)
        )
        found.update({case_id: at.timestamp() for case_id, at in rows})
    # A case that ended without a recorded event ended before anything we compare with.
    return {case_id: found.get(case_id, 0.0) for case_id in case_ids}


# ---- links ----------------------------------------------------------------------------------


def decided_complaints(
    session: Session, *, start: datetime | None = None, end: datetime | None = None
) -> set[int]:
    """Complaints whose link a person decided (confirmed, changed or rejected)."""
    query = select(RepeatLink.complaint_id).where(
        or_(RepeatLink.decided_by_id.is_not(None), RepeatLink.decided_at.is_not(None))
    )
    if start is not None:
        query = query.where(RepeatLink.received_at >= start)
    if end is not None:
        query = query.where(RepeatLink.received_at < end)
    return set(session.scalars(query))


def link_rows(
    session: Session,
    decisions: Iterable[Decision],
    *,
    facts: dict[int, Facts],
    cases: dict[int, CaseState],
    source: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """Rows for ``repeat_links`` from decisions (each decision's complaint is in ``facts``)."""
    rows = []
    for decision in decisions:
        x = facts[decision.complaint_id]
        earlier = decision.earlier
        state = cases.get(earlier.case_id or -1)
        place = x.place or earlier.place
        rows.append(
            {
                "complaint_id": x.id,
                "earlier_id": earlier.id,
                "kind": decision.kind,
                "detected_kind": decision.kind,
                "score": decision.score,
                "explanation": decision.explanation,
                "status": "confirmed" if decision.confirmed else "suggested",
                "decided_by_id": None,
                "decided_at": None,
                "source": source,
                "created_at": now,
                "received_at": _utc(x.received),
                "place": place.label[:120] if place is not None else None,
                "earlier_case_id": earlier.case_id,
                "unit_id": state.unit_id if state is not None else None,
            }
        )
    return rows


def insert_links(session: Session, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(LINKS), rows[start : start + CHUNK])


_LINK_COLUMNS = (
    "complaint_id",
    "earlier_id",
    "kind",
    "detected_kind",
    "score",
    "explanation",
    "status",
    "decided_by_id",
    "decided_at",
    "source",
    "created_at",
    "received_at",
    "place",
    "earlier_case_id",
    "unit_id",
)


def bulk_insert_links(session: Session, rows: list[dict[str, Any]]) -> None:
    """``insert_links`` for a rebuild's many rows, through the driver (SQLite one prepared
    INSERT, PostgreSQL COPY): the values as SQLAlchemy would bind them — the explanation as
    ``json.dumps`` gives it (or already given as that text), times in UTC — without its
    per-value processing. The caller has flushed the session (no autoflush here)."""
    connection = session.connection()
    names = ", ".join(_LINK_COLUMNS)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.dbapi_connection
        assert raw is not None
        copy_sql = f"COPY repeat_links ({names}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(_link_values(row, _as_utc))
        return
    if connection.dialect.name != "sqlite":
        insert_links(session, rows)
        return
    sql = f"INSERT INTO repeat_links ({names}) VALUES ({', '.join('?' * len(_LINK_COLUMNS))})"
    times: dict[datetime, str] = {}

    def stored(value: datetime) -> str:
        found = times.get(value)
        if found is None:
            found = times[value] = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return found

    for start in range(0, len(rows), 50_000):
        chunk = [_link_values(row, stored) for row in rows[start : start + 50_000]]
        connection.exec_driver_sql(sql, chunk)  # type: ignore[arg-type]


def _link_values(row: dict[str, Any], when: Any) -> tuple[Any, ...]:
    values = [row[name] for name in _LINK_COLUMNS]
    explanation = values[5]
    values[5] = explanation if isinstance(explanation, str) else json.dumps(explanation)
    for i in (8, 10, 11):
        if values[i] is not None:
            values[i] = when(values[i])
    return tuple(values)


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def link_of(session: Session, complaint_id: int) -> RepeatLink | None:
    return session.scalar(select(RepeatLink).where(RepeatLink.complaint_id == complaint_id))


def links_of_case(session: Session, case_id: int) -> list[RepeatLink]:
    """Links of the case's complaints, and links from later complaints to them."""
    ids = select(Complaint.id).where(Complaint.case_id == case_id)
    return list(
        session.scalars(
            select(RepeatLink)
            .where(
                or_(RepeatLink.complaint_id.in_(ids), RepeatLink.earlier_id.in_(ids)),
            )
            .order_by(RepeatLink.received_at, RepeatLink.id)
        )
    )


def open_cases(session: Session, ids: Iterable[int]) -> dict[int, Case]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(wanted)))}
