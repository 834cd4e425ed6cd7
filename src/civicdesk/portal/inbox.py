"""The citizen side's inbox: a public submission is checked, written with one insert and
answered at once; intake (triage, the repeat check, the case) runs in the drain, in batches.

Why (docs/portal.md, "Inbox"): a full intake costs about ten times a bare insert and, on one
write lock, puts 32 concurrent citizens in a queue of seconds. The citizen needs an answer they
can track, not the case itself, within the request: the acknowledgement number (受理编号,
``HZ20261127W000123``: prefix, local date, ``W``, the inbox id) and the private link are valid
the moment the insert commits. The tracking page says 已受理，正在分派 until the drain has run
intake; then it shows the case (the complaint carries the acknowledgement number as its
``upstream_ref``, so the number keeps working, and intake is exactly once even if a drain pass
is repeated).

Every rule that refuses bad input stays at the door (length, phone, point in the city, category,
area, photos, rate limits, the same complaint again within the duplicate window); the drain only
meets input that passed them.

The drain (``drain``): ``civicdesk worker`` runs it between its passes; a server can run it too
(``CIVICDESK_PORTAL_DRAIN_SECONDS``, ``start_server_drain``). Several drains at once are safe:
on PostgreSQL each takes its rows ``FOR UPDATE SKIP LOCKED``; on SQLite each batch is one
``BEGIN IMMEDIATE`` transaction (writers are serialised) and reads the rows inside it.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Integer,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from civicdesk.clock import to_local
from civicdesk.config.service import get_setting
from civicdesk.db import REUSE_LOOKUPS, UTCDateTime, begin_for_writing, session_factory
from civicdesk.errors import DomainError, InvalidInput
from civicdesk.intake import batch as intake_batch
from civicdesk.intake.importing.rows import Valid
from civicdesk.intake.models import Complaint
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.intake.service import Lookups, record_complaint
from civicdesk.org.models import Area
from civicdesk.portal.geo import Bounds, city_bounds
from civicdesk.portal.models import InboxItem, Submission
from civicdesk.portal.schemas import CitizenComplaint
from civicdesk.portal.service import (
    PortalConfig,
    attach,
    dedupe_key,
    hash_token,
    intake_data,
    photo_record,
)
from civicdesk.portal.uploads import MediaStore, Photo
from civicdesk.taxonomy.models import Category
from civicdesk.triage import service as triage_service

log = logging.getLogger("civicdesk.portal.inbox")
INBOX = InboxItem.__table__
SUBMISSIONS = Submission.__table__
PENDING, DONE, FAILED = "pending", "done", "failed"
PENDING_STATUS = "已受理，正在分派"
ACK = re.compile(r"^([A-Z]{1,8})(\d{8})W(\d{6,12})$")
CACHE_SECONDS = 30.0
# The drain reuses the triage engine for this long without re-reading its configuration stamp
# (triage.service.STAMP_REUSE_SECONDS): a configuration change reaches the drain within 1 s.
STAMP_REUSE_SECONDS = 1.0
# ... and keeps one session (its look-ups and the documents it read) for this long: a change of
# the areas, categories or policies reaches the drain within 5 s.
SESSION_REUSE_SECONDS = 5.0
FIELDS = ("text", "phone", "name", "address", "area", "longitude", "latitude", "category")


def ack_number(prefix: str, created_at: datetime, item_id: int) -> str:
    """The acknowledgement number of an inbox row (valid as soon as the row is committed)."""
    return f"{prefix}{to_local(created_at):%Y%m%d}W{item_id:06d}"


def parse_ack(number: str) -> tuple[str, int] | None:
    """(local date YYYYMMDD, inbox id) of an acknowledgement number, or None."""
    found = ACK.match(number.strip().upper())
    return (found[2], int(found[3])) if found else None


# ---- what the door checks against, cached per application ----------------------------------


@dataclass(frozen=True)
class Reference:
    """The configuration a submission is checked against, read once per CACHE_SECONDS instead
    of on every public request (the categories, areas and the city's box change rarely)."""

    case_prefix: str
    bounds: Bounds | None
    leaf_categories: frozenset[str]
    areas: frozenset[str]
    loaded: float = field(default_factory=time.monotonic)

    def fresh(self) -> bool:
        return time.monotonic() - self.loaded < CACHE_SECONDS

    @classmethod
    def load(cls, session: Session) -> Reference:
        parents = set(
            session.scalars(select(Category.parent_id).where(Category.parent_id.is_not(None)))
        )
        leaves = frozenset(
            code
            for code, id_ in session.execute(select(Category.code, Category.id))
            if id_ not in parents
        )
        return cls(
            case_prefix=get_setting(session, "case_number_prefix", "HZ") or "HZ",
            bounds=city_bounds(session),
            leaf_categories=leaves,
            areas=frozenset(session.scalars(select(Area.code))),
        )


_reference_lock = threading.Lock()


def reference(session: Session, holder: Any) -> Reference:
    """The cached Reference kept on ``holder`` (the application's state)."""
    cached: Reference | None = getattr(holder, "portal_reference", None)
    if cached is not None and cached.fresh():
        return cached
    fresh = Reference.load(session)
    with _reference_lock:
        holder.portal_reference = fresh
    return fresh


def check(complaint: CitizenComplaint, config: PortalConfig, ref: Reference) -> None:
    """The door's checks beyond the schema: length, the point, the category, the area."""
    if len(complaint.text) > config.max_text:
        raise InvalidInput(
            f"内容过长：最多 {config.max_text} 字，当前 {len(complaint.text)} 字", field="text"
        )
    lon, lat = complaint.longitude, complaint.latitude
    if lon is not None and lat is not None and ref.bounds and not ref.bounds.contains(lon, lat):
        raise InvalidInput(
            "所选位置不在本市范围内，请检查坐标（经度、纬度是否填反）或改为填写地址",
            field="latitude",
        )
    if complaint.category is not None and complaint.category not in ref.leaf_categories:
        raise InvalidInput("请选择有效的问题类别", field="category")
    if complaint.area is not None and complaint.area not in ref.areas:
        raise InvalidInput(f"未知区域：{complaint.area}，请重新选择街道", field="area")


# ---- accepting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    number: str  # the acknowledgement number (受理编号)
    token: str  # the private link's secret (only its hash is kept)
    created: bool  # False: the same complaint a moment ago; its number is given again
    case_number: str | None = None  # known when a duplicate's intake has already run


@dataclass(frozen=True)
class Draft:
    """A checked submission, ready for its insert: computed before the write transaction opens
    (on SQLite the write lock is then held for the statements alone)."""

    key: str  # the duplicate window's key (phone or client, and the text)
    token: str  # the private link's secret; a duplicate gets it as its fresh link
    values: dict[str, Any]  # the insert's parameters (the payload's photos come in put)


def prepare(
    complaint: CitizenComplaint,
    *,
    config: PortalConfig,
    ref: Reference,
    now: datetime,
    api_key_id: int | None = None,
    media_url: str | None = None,
) -> Draft:
    """The door's checks beyond the schema (``check``), and the row a new complaint becomes."""
    check(complaint, config, ref)
    who = complaint.phone or f"key:{api_key_id}:{complaint.name or ''}"
    key = dedupe_key(who, complaint.text)
    token = secrets.token_urlsafe(24)
    payload: dict[str, Any] = {name: getattr(complaint, name) for name in FIELDS}
    values = {
        "source": config.source,
        "token_hash": hash_token(token),
        "dedupe_key": key,
        "payload": payload,
        "api_key_id": api_key_id,
        "media_url": media_url,
        "created_at": now,
    }
    return Draft(key, token, values)


def accept(
    session: Session | Connection,
    complaint: CitizenComplaint,
    photos: list[Photo],
    *,
    store: MediaStore,
    config: PortalConfig,
    ref: Reference,
    now: datetime,
    api_key_id: int | None = None,
    media_url: str | None = None,
    admit: Callable[[], None] | None = None,
) -> Accepted:
    """Check a citizen's complaint and put it in the inbox (one insert): ``prepare``, then
    ``put`` in the caller's transaction. The same complaint again within
    ``duplicate_seconds`` gives the first one's number (and a fresh link). ``admit`` is the
    caller's per-phone limit, taken only for a new complaint."""
    draft = prepare(
        complaint, config=config, ref=ref, now=now, api_key_id=api_key_id, media_url=media_url
    )
    connection = session.connection() if isinstance(session, Session) else session
    return put(connection, draft, photos, store=store, config=config, ref=ref, now=now, admit=admit)


def put(
    connection: Connection,
    draft: Draft,
    photos: list[Photo],
    *,
    store: MediaStore,
    config: PortalConfig,
    ref: Reference,
    now: datetime,
    admit: Callable[[], None] | None = None,
) -> Accepted:
    """Put a prepared complaint in the inbox (one insert) in the caller's write transaction.
    The same complaint again within ``duplicate_seconds`` gives the first one's number (and a
    fresh link). ``admit`` is the caller's per-phone limit, taken only for a new complaint
    (without photos after the insert: when it refuses, the caller's transaction is rolled
    back)."""
    if not photos and config.duplicate_seconds > 0:
        return _put_unless_recent(connection, draft, config=config, ref=ref, now=now, admit=admit)
    earlier = _recent(connection, draft.key, now=now, seconds=config.duplicate_seconds)
    if earlier is not None:
        return _again(connection, earlier, ref, draft.token)
    if admit is not None:
        admit()
    stored = [store.save(photo, now=now) for photo in photos]
    payload = {**draft.values["payload"], "photos": [photo_record(item) for item in stored]}
    values = {**draft.values, "payload": payload}
    try:
        item_id = int(connection.execute(_INSERT, values).scalar_one())
    except BaseException:
        store.discard(stored)
        raise
    return Accepted(ack_number(ref.case_prefix, now, item_id), draft.token, True)


def _put_unless_recent(
    connection: Connection,
    draft: Draft,
    *,
    config: PortalConfig,
    ref: Reference,
    now: datetime,
    admit: Callable[[], None] | None,
) -> Accepted:
    """``put`` without photos: the duplicate check and the insert in one statement.
    Why: on SQLite submissions queue on the writer gate, and under load each statement held
    under it waits for the interpreter lock when SQLite returns (the event loop has it): at 32
    clients the gate was held 0.94 ms a submission with two statements, 0.45 ms with one; on
    PostgreSQL it is a round trip less. The statement sees every earlier submission, as
    ``_recent`` does: SQLite serialises writers (the gate, ``BEGIN IMMEDIATE``); on
    PostgreSQL the advisory lock on the key is taken first, in a statement of its own, so the
    insert's snapshot is taken after the first of two identical submissions has committed."""
    _lock_key(connection, draft.key)
    since = now - timedelta(seconds=config.duplicate_seconds)
    payload = {**draft.values["payload"], "photos": []}
    values = {**draft.values, "payload": payload, "since": since}
    inserted = connection.execute(_INSERT_UNLESS_RECENT, values).first()
    if inserted is None:
        earlier = connection.execute(_RECENT, {"key": draft.key, "since": since}).first()
        return _again(connection, earlier, ref, draft.token)
    if admit is not None:
        admit()
    return Accepted(ack_number(ref.case_prefix, now, int(inserted[0])), draft.token, True)


def _recent(connection: Connection, key: str, *, now: datetime, seconds: int) -> Any:
    """The same text from the same phone within the window. On PostgreSQL two identical
    submissions in flight are serialised by an advisory lock on the key (SQLite serialises
    every writer already), so the second sees the first."""
    if seconds <= 0:
        return None
    _lock_key(connection, key)
    return connection.execute(
        _RECENT, {"key": key, "since": now - timedelta(seconds=seconds)}
    ).first()


def _lock_key(connection: Connection, key: str) -> None:
    if connection.dialect.name == "postgresql":
        lock_id = int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)
        connection.execute(_ADVISORY_LOCK, {"id": lock_id})


# The public path's statements as plain SQL built once (the same on SQLite and PostgreSQL):
# a Core select/insert is rebuilt and its cache key computed on every request, which costs more
# than running it.
_ADVISORY_LOCK = text("select pg_advisory_xact_lock(:id)")
_RECENT = (
    text(
        "select id, created_at, complaint_id from portal_inbox"
        " where dedupe_key = :key and created_at >= :since order by id desc limit 1"
    )
    .bindparams(bindparam("since", type_=UTCDateTime()))
    .columns(id=Integer(), created_at=UTCDateTime(), complaint_id=Integer())
)
_INSERT = text(
    "insert into portal_inbox (source, token_hash, dedupe_key, payload, api_key_id, media_url,"
    " created_at, state) values (:source, :token_hash, :dedupe_key, :payload, :api_key_id,"
    " :media_url, :created_at, 'pending') returning id"
).bindparams(bindparam("payload", type_=JSON()), bindparam("created_at", type_=UTCDateTime()))


# The casts: PostgreSQL gives the parameters of a SELECT list no type from the target columns.
_INSERT_UNLESS_RECENT = text(
    "insert into portal_inbox (source, token_hash, dedupe_key, payload, api_key_id, media_url,"
    " created_at, state) select cast(:source as varchar), cast(:token_hash as varchar),"
    " cast(:dedupe_key as varchar), :payload, cast(:api_key_id as integer),"
    " cast(:media_url as varchar), :created_at, 'pending' where not exists (select 1 from"
    " portal_inbox where dedupe_key = cast(:dedupe_key as varchar) and created_at >= :since)"
    " returning id"
).bindparams(
    bindparam("payload", type_=JSON()),
    bindparam("created_at", type_=UTCDateTime()),
    bindparam("since", type_=UTCDateTime()),
)


def _again(connection: Connection, earlier: Any, ref: Reference, token: str) -> Accepted:
    """The duplicate's answer: the first one's number and a fresh private link (the first
    answer was probably lost with the double click; only one link is valid at a time)."""
    connection.execute(
        update(INBOX).where(INBOX.c.id == earlier.id).values(token_hash=hash_token(token))
    )
    case_number = None
    if earlier.complaint_id is not None:
        connection.execute(
            update(Submission.__table__)
            .where(Submission.__table__.c.complaint_id == earlier.complaint_id)
            .values(token_hash=hash_token(token))
        )
        case_number = case_number_of(connection, earlier.complaint_id)
    number = ack_number(ref.case_prefix, earlier.created_at, earlier.id)
    return Accepted(number, token, False, case_number)


def case_number_of(session: Session | Connection, complaint_id: int) -> str | None:
    from civicdesk.cases.models import Case

    return session.scalar(
        select(Case.number)
        .join(Complaint, Complaint.case_id == Case.id)
        .where(Complaint.id == complaint_id)
    )


# ---- finding an inbox row (tracking) --------------------------------------------------------


def by_token(session: Session, token: str) -> InboxItem | None:
    return session.scalar(select(InboxItem).where(InboxItem.token_hash == hash_token(token)))


def by_number(session: Session, number: str) -> InboxItem | None:
    """The inbox row of an acknowledgement number (its date must match too)."""
    parsed = parse_ack(number)
    if parsed is None:
        return None
    day, item_id = parsed
    item = session.get(InboxItem, item_id)
    if item is None or f"{to_local(item.created_at):%Y%m%d}" != day:
        return None
    return item


def number_of(session: Session, item: InboxItem) -> str:
    prefix = get_setting(session, "case_number_prefix", "HZ") or "HZ"
    return ack_number(prefix, item.created_at, item.id)


def backlog(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(InboxItem).where(InboxItem.state == PENDING)
        )
        or 0
    )


# ---- the drain ------------------------------------------------------------------------------


@dataclass
class DrainStats:
    taken: int = 0
    done: int = 0
    failed: int = 0
    batches: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class DrainConfig:
    repeat_check: bool = True
    boundaries: Path | None = None
    batch: int = 50
    # How long one batch may hold its write transaction (None: by database). SQLite has one
    # writer: a long drain transaction makes every public submission wait behind it, so
    # batches there are cut after 30 ms. On PostgreSQL a batch holds the day's case-number lock
    # (cases.numbering) from its first case opening until it commits, so a second drain (or a
    # hotline intake) would wait for the whole batch: there each row is its own transaction,
    # and two drains overlap everything but the case opening.
    max_hold_seconds: float | None = None
    # Set-wise intake of a batch (intake.batch); False: record_complaint row by row (the
    # reference the batch path is compared with, and the benchmark's baseline).
    bulk: bool = True

    @classmethod
    def of(cls, settings: Any) -> DrainConfig:
        return cls(
            repeat_check=settings.portal_repeat_check,
            boundaries=settings.map_boundaries,
            batch=settings.portal_drain_batch,
            max_hold_seconds=(
                settings.portal_drain_hold_ms / 1000 if settings.portal_drain_hold_ms else None
            ),
        )

    def hold_for(self, dialect: str) -> float:
        if self.max_hold_seconds is not None:
            return self.max_hold_seconds
        if dialect == "sqlite":
            # Set-wise, about half of it under the write lock (``_drain_bulk``, lock_late).
            return 0.06 if self.bulk else 0.03
        # PostgreSQL: set-wise, a batch holds the day's number lock for a few milliseconds
        # per ten rows; row by row, each row is its own transaction.
        return 0.2 if self.bulk else 0.0


def drain(
    sessions: sessionmaker[Session],
    *,
    now: Callable[[], datetime],
    config: DrainConfig | None = None,
    limit: int = 100_000,
    stop: threading.Event | None = None,
) -> DrainStats:
    """Run intake for pending inbox rows, oldest first, in batches (one transaction each),
    until none is left, ``limit`` rows were taken or ``stop`` is set."""
    config = config or DrainConfig()
    stats = DrainStats()
    start = time.perf_counter()
    per_row = 0.01  # seconds of intake per row, learnt as the drain goes
    bulk_size = config.batch  # rows per set-wise batch, adapted to the hold time
    # One session for the batches of up to SESSION_REUSE_SECONDS (a transaction each): what it
    # has read and remembers (the look-ups, the configuration documents, the calendar, the
    # triage ids) is not read again for every batch — on PostgreSQL a batch is one row.
    session: Session | None = None
    opened = 0.0
    batch_lookups: tuple[Lookups, str] | None = None
    try:
        while stats.taken < limit and not (stop is not None and stop.is_set()):
            if session is None or time.perf_counter() - opened > SESSION_REUSE_SECONDS:
                if session is not None:
                    session.close()
                session, opened, batch_lookups = sessions(), time.perf_counter(), None
                session.info[triage_service.STAMP_REUSE_SECONDS] = STAMP_REUSE_SECONDS
                session.info[REUSE_LOOKUPS] = True
                # Its rows are read afresh by each batch (``_claim``); a commit need not
                # expire what it holds (a set-wise batch on SQLite commits its reading).
                session.expire_on_commit = False
            dialect = session.get_bind().dialect.name
            # Set-wise on SQLite, a batch reads and works out its intake first and takes the
            # write lock only for its statements (``_drain_bulk``); otherwise at once.
            lock_late = config.bulk and dialect == "sqlite"
            if not lock_late:
                begin_for_writing(session)
            session.info[_LOCKED_AT] = None if lock_late else time.perf_counter()
            hold = config.hold_for(dialect)
            # Claim about what fits in the hold time: rows claimed but not taken would be
            # read for nothing (and, on PostgreSQL, locked away from another drain).
            want = bulk_size if config.bulk else int(hold / per_row) + 1
            size = min(config.batch, limit - stats.taken, want)
            began = time.perf_counter()
            taken, batch_lookups = _drain_batch(
                session, now, config, size, hold, stats, batch_lookups
            )
            locked_at = session.info.get(_LOCKED_AT)
            session.commit()
            ended = time.perf_counter()
            held = ended - began
            locked = ended - locked_at if locked_at is not None else 0.0
            if not taken:
                break
            stats.batches += 1
            per_row = max(0.001, 0.5 * per_row + 0.5 * held / taken)
            if config.bulk:
                # A set-wise batch costs a fixed part and a part per row: scaling the size by
                # hold/held converges on the size that takes the hold time.
                scaled = size * hold / max(held, 1e-4)
                bulk_size = max(1, min(config.batch, int(0.5 * bulk_size + 0.5 * scaled)))
            if dialect == "sqlite":
                # One writer: let the public submissions queued on the writer gate in before
                # the next batch (a drain that re-takes the lock at once wins every time).
                time.sleep(min(locked, 0.05))
    finally:
        if session is not None:
            session.close()
    stats.seconds = time.perf_counter() - start
    return stats


def _claim(session: Session, size: int) -> list[InboxItem]:
    query = (
        select(InboxItem)
        .where(InboxItem.state == PENDING)
        .order_by(InboxItem.id)
        .limit(size)
        # The drain's session outlives its transactions: a row read by an earlier batch (and
        # left for later) is read afresh, not taken from the session as it was then.
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _drain_batch(
    session: Session,
    now: Callable[[], datetime],
    config: DrainConfig,
    size: int,
    hold: float,
    stats: DrainStats,
    lookups: tuple[Lookups, str] | None,
) -> tuple[int, tuple[Lookups, str] | None]:
    """(rows taken, the look-ups and case-number prefix for the session's next batch)."""
    items = _claim(session, size)
    if not items:
        return 0, lookups
    started = time.perf_counter()
    if lookups is None:
        prefix = get_setting(session, "case_number_prefix", "HZ") or "HZ"
        lookups = Lookups.load(session, all_areas=True), prefix
    memo = lookups
    lookups, prefix = memo
    recorded = _recorded(session, [ack_number(prefix, i.created_at, i.id) for i in items])
    if config.bulk and not intake_batch.joins_automatically(session):
        lock_late = session.info.get(_LOCKED_AT) is None
        _drain_bulk(
            session, items, lookups, prefix, config, now(), recorded, stats, lock_late=lock_late
        )
        stats.taken += len(items)
        return len(items), memo
    if session.info.get(_LOCKED_AT) is None:  # row by row: everything under the lock
        session.commit()
        _lock(session)
        items = [item for item in items if item.id in _still_pending(session, items)]
    taken = 0
    for item in items:
        if taken and time.perf_counter() - started > hold:
            break  # the rest stay pending for the next batch (and are not locked any more)
        taken += 1
        _one_row(session, item, lookups, prefix, config, now(), recorded, stats)
    session.flush()
    stats.taken += taken
    return taken, memo


def _drain_bulk(
    session: Session,
    items: list[InboxItem],
    lookups: Lookups,
    prefix: str,
    config: DrainConfig,
    now: datetime,
    recorded: set[str],
    stats: DrainStats,
    *,
    lock_late: bool = False,
) -> None:
    """A batch through set-wise intake (``intake.batch``): what the rows one by one would
    write, in a few statements. Rows intake refuses are set aside as one by one; should the
    batch's write fail as a whole, it is rolled back and the rows go one by one (so that one
    bad row cannot hold up the others).

    ``lock_late`` (SQLite): the batch is read and worked out — the rows checked, triage, the
    filing deadlines, the repeat check — in a read transaction, and the write lock is taken
    for the statements alone. Under the lock the batch is written only if its rows are still
    pending and no complaint was recorded in between (another drain, a hotline intake);
    otherwise it is worked out again under the lock."""
    ready: list[tuple[InboxItem, Valid]] = []
    again: list[InboxItem] = []
    refused: list[tuple[InboxItem, str]] = []
    for item in items:
        ref = ack_number(prefix, item.created_at, item.id)
        if ref in recorded:
            again.append(item)  # recorded by an earlier pass: intake finds it, writes nothing
            continue
        try:
            data = _intake_record(session, item, prefix, config)
            ready.append((item, intake_batch.prepare(session, data, lookups, now=now, row=item.id)))
        except DomainError as exc:
            refused.append((item, exc.message))
    planned = None
    if ready:
        planned = intake_batch.plan(
            session, [valid for _, valid in ready], now=now, repeat_check=config.repeat_check
        )
    if lock_late:
        session.commit()  # the end of the reading
        _lock(session)
        pending = _still_pending(session, items)
        if len(pending) < len(items) or (
            planned is not None and not intake_batch.still_holds(session, planned)
        ):
            log.info("inbox: the batch changed before its write lock; worked out again")
            items = [item for item in items if item.id in pending]
            refs = [ack_number(prefix, i.created_at, i.id) for i in items]
            _drain_bulk(
                session, items, lookups, prefix, config, now, _recorded(session, refs), stats
            )
            return
    for item, message in refused:
        _set_aside(item, message, now, stats)
    if planned is not None:
        try:
            with session.begin_nested():
                written = intake_batch.write(session, planned, now=now, case_prefix=prefix)
                _finish(session, [item for item, _ in ready], written, now)
            stats.done += len(ready)
        except Exception:
            log.exception("inbox: a batch of %d failed as a whole; one row at a time", len(ready))
            again = [item for item, _ in ready] + again
    for item in again:
        _one_row(session, item, lookups, prefix, config, now, recorded, stats)
    session.flush()


_LOCKED_AT = "civicdesk_drain_locked_at"


def _lock(session: Session) -> None:
    """Take the write lock for the session's next transaction (SQLite: the writer gate and
    BEGIN IMMEDIATE) and note when, for the pause after the batch."""
    begin_for_writing(session)
    session.info[_LOCKED_AT] = time.perf_counter()


def _still_pending(session: Session, items: list[InboxItem]) -> set[int]:
    ids = [item.id for item in items]
    return set(
        session.scalars(
            select(InboxItem.id).where(InboxItem.id.in_(ids), InboxItem.state == PENDING)
        )
    )


def _set_aside(item: InboxItem, message: str, now: datetime, stats: DrainStats) -> None:
    # Input that passed the door but that intake refuses (e.g. an area removed in between):
    # kept for staff, never lost; the tracking page says so.
    item.state, item.error, item.processed_at = FAILED, message[:1000], now
    stats.failed += 1
    log.warning("inbox %s refused by intake: %s", item.id, message)


def _one_row(
    session: Session,
    item: InboxItem,
    lookups: Lookups,
    prefix: str,
    config: DrainConfig,
    now: datetime,
    recorded: set[str],
    stats: DrainStats,
) -> None:
    try:
        with session.begin_nested():
            _intake(session, item, lookups, prefix, config, now, recorded)
        stats.done += 1
    except DomainError as exc:
        _set_aside(item, exc.message, now, stats)
    except Exception as exc:
        # Anything else (a bug, a constraint): the row is set aside too, so that one bad row
        # cannot stop the queue behind it; the log has the traceback.
        item.state, item.processed_at = FAILED, now
        item.error = f"internal error: {type(exc).__name__}"
        stats.failed += 1
        log.exception("inbox %s: intake failed", item.id)


def _finish(
    session: Session, items: list[InboxItem], written: list[intake_batch.Written], now: datetime
) -> None:
    """The citizen's side of a batch: photos, submission rows (the private link), the inbox
    rows done."""
    submissions = []
    for item, row in zip(items, written, strict=True):
        attach(session, row.complaint_id, item.payload.get("photos") or [], now)
        submissions.append(submission_values(item, row.complaint_id))
    session.execute(insert(SUBMISSIONS), submissions)
    session.execute(
        update(INBOX)
        .where(INBOX.c.id == bindparam("item_id"))
        .values(state=DONE, complaint_id=bindparam("done_as"), processed_at=now),
        [
            {"item_id": item.id, "done_as": row.complaint_id}
            for item, row in zip(items, written, strict=True)
        ],
    )
    for item, row in zip(items, written, strict=True):
        # The session's copies as the rows now are (without marking them changed).
        set_committed_value(item, "state", DONE)
        set_committed_value(item, "complaint_id", row.complaint_id)
        set_committed_value(item, "processed_at", now)


def submission_values(item: InboxItem, complaint_id: int) -> dict[str, Any]:
    """The ``portal_submissions`` row of an inbox row recorded as ``complaint_id``: the private
    link's hash and where it came from (the drain, and staff entering a failed one by hand)."""
    return {
        "complaint_id": complaint_id,
        "token_hash": item.token_hash,
        "source": item.source,
        "dedupe_key": item.dedupe_key,
        "api_key_id": item.api_key_id,
        "media_url": item.media_url,
        "created_at": item.created_at,
    }


def _intake_record(
    session: Session, item: InboxItem, prefix: str, config: DrainConfig
) -> ComplaintCreate:
    """The intake record of an inbox row (placed by the portal's triage hook)."""
    payload = item.payload
    complaint = CitizenComplaint.model_construct(**{name: payload.get(name) for name in FIELDS})
    portal_config = PortalConfig(
        channel="web" if item.source == "portal" else "app",
        source=item.source,
        case_prefix=prefix,
        boundaries=config.boundaries,
        repeat_check=config.repeat_check,
    )
    ref = ack_number(prefix, item.created_at, item.id)
    return intake_data(session, complaint, portal_config).model_copy(
        update={"upstream_ref": ref, "received_at": item.created_at}
    )


def _recorded(session: Session, refs: list[str]) -> set[str]:
    """Which of a batch's acknowledgement numbers a complaint already carries (one query for
    the batch instead of one per row; intake then skips its own look-up for the others)."""
    return set(
        session.scalars(select(Complaint.upstream_ref).where(Complaint.upstream_ref.in_(refs)))
    )


def _intake(
    session: Session,
    item: InboxItem,
    lookups: Lookups,
    prefix: str,
    config: DrainConfig,
    now: datetime,
    recorded: set[str],
) -> None:
    payload = item.payload
    data = _intake_record(session, item, prefix, config)
    ref = data.upstream_ref
    result = record_complaint(
        session,
        data,
        actor=None,
        now=now,
        case_prefix=prefix,
        lookups=lookups,
        repeat_check=config.repeat_check,
        known_new=ref not in recorded,
    )
    if result.created:
        attach(session, result.complaint.id, payload.get("photos") or [], now)
        session.add(Submission(**submission_values(item, result.complaint.id)))
    item.state, item.complaint_id, item.processed_at = DONE, result.complaint.id, now
    session.flush()


# ---- a drain inside the server (single-process deployments, the demo) -----------------------


class ServerDrain:
    """A thread that drains the inbox every ``interval`` seconds (and at once again while rows
    keep coming). For a server run without ``civicdesk worker``; harmless beside one."""

    def __init__(
        self, engine: Engine, *, now: Callable[[], datetime], config: DrainConfig, interval: float
    ) -> None:
        self.sessions = session_factory(engine)
        self.now, self.config, self.interval = now, config, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="portal-drain", daemon=True)

    def start(self) -> ServerDrain:
        self.thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                stats = drain(self.sessions, now=self.now, config=self.config, limit=1000)
            except Exception:  # a database hiccup must not kill the thread; the log tells
                log.exception("portal inbox drain failed; retrying in %.1f s", self.interval)
                stats = DrainStats()
            if stats.taken < 1000:
                self.stop.wait(self.interval)


def start_server_drain(app: Any) -> ServerDrain | None:
    settings = app.state.settings
    if settings.portal_drain_seconds <= 0:
        return None
    return ServerDrain(
        app.state.engine,
        now=app.state.clock.now,
        config=DrainConfig.of(settings),
        interval=settings.portal_drain_seconds,
    ).start()


def drain_inbox(
    sessions: sessionmaker[Session],
    *,
    now: Callable[[], datetime],
    stop: threading.Event | None = None,
) -> DrainStats:
    """The worker's drain: everything pending (until ``stop`` is set: a flood must not keep a
    stopping worker), with the portal settings of this process."""
    from civicdesk.settings import get_settings

    return drain(sessions, now=now, config=DrainConfig.of(get_settings()), stop=stop)
