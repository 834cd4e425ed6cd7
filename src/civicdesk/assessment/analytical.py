"""The analytical path: the fact relation copied into a DuckDB file, and the engine's sums there.

Why: over 10 million complaints the transactional databases need seconds to tens of seconds for
one assessment (row stores, joins and subqueries per row); DuckDB scans the narrow, sorted fact
columns in parallel and answers in tens of milliseconds (docs/benchmarks.md, issue 6). The copy
is the rows of ``facts.fact_select`` — the very relation the live path aggregates — plus the
local date ``received_on``; the engine compiles the same plan (buckets, groups, filters, the
measures' columns) to DuckDB SQL, so the two paths give the same numbers, as tests prove.

Freshness: ``refresh`` records when it read the live tables (``facts_meta``); every result of
the DuckDB backend carries that moment (``Assessment.refreshed_at``). The file is written beside
and swapped in atomically, so readers see the old copy or the new one, never half of one.
No DuckDB extension is used (none can be downloaded here, and none is needed).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from civicdesk.assessment.facts import (
    FACT_COLUMNS,
    FACT_NAMES,
    OVERDUE_PENDING,
    fact_select,
    hotspot_ancestors,
)
from civicdesk.clock import SHANGHAI
from civicdesk.errors import ConfigurationError

ENV_PATH = "CIVICDESK_ASSESSMENT_DUCKDB"
TABLE = "facts"
CHUNK = 200_000


def default_path() -> Path:
    """``$CIVICDESK_ASSESSMENT_DUCKDB``, else beside a SQLite database, else the working dir."""
    explicit = os.environ.get(ENV_PATH)
    if explicit:
        return Path(explicit)
    from civicdesk.settings import get_settings

    url = get_settings().database_url
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        db = Path(url.removeprefix("sqlite:///"))
        return db.with_name(db.stem + ".assessment.duckdb")
    return Path.cwd() / "civicdesk.assessment.duckdb"


def _duck_type(kind: str, name: str) -> str:
    if kind == "time":
        return "TIMESTAMP"  # UTC, naive
    if kind == "id":
        return "BIGINT" if name in ("complaint_id", "case_id") else "INTEGER"
    return "UTINYINT"


# The daily roll-up: the fact flags summed per local day and every key the engine groups or
# filters by (except the channel, which the raw table answers). Sums are additive, so any
# bucket of whole days and any coarser grouping read from it equal the raw table's; it is about
# ten times smaller than the raw table at ten million complaints (docs/assessment.md).
ROLLUP = "facts_daily"
ROLLUP_KEYS = (
    "district_id",
    "street_id",
    "category_id",
    "hotspot_category_id",
    "unit_id",
    "appeal_approved",
)
ROLLUP_FLAGS = tuple(c.name for c in FACT_COLUMNS if c.kind == "flag" and c.name not in ROLLUP_KEYS)
# The same per calendar month: buckets made of whole months (most assessment periods) read it,
# the days at their edges read the daily roll-up.
MONTHLY = "facts_monthly"
# Cases awaiting handling, with their deadline: 超期待处置 depends on the moment of reading.
PENDING = "facts_pending"


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(f"{c.name} {_duck_type(c.kind, c.name)}" for c in FACT_COLUMNS)
    con.execute(f"CREATE TABLE {TABLE} (received_on DATE, {columns})")
    con.execute(
        "CREATE TABLE facts_meta (refreshed_at TIMESTAMP, source VARCHAR, rows BIGINT, "
        "seconds DOUBLE)"
    )


# ---------------------------------------------------------------------------------------------
# Refresh


@dataclass(frozen=True)
class RefreshResult:
    path: Path
    rows: int
    refreshed_at: datetime
    seconds: float


def refresh(
    session: Session,
    path: Path | str | None = None,
    *,
    now: datetime | None = None,
    chunk: int = CHUNK,
    source: str | None = None,
) -> RefreshResult:
    """Copy the fact relation from the live tables into a new DuckDB file at ``path``.

    Reads ``facts.fact_select`` in chunks of ``chunk`` rows (server-side cursor on PostgreSQL),
    writes a sibling temporary file sorted by ``received_on`` (so a period scan skips the rest)
    and replaces ``path`` with it atomically.
    """
    import time

    started = time.perf_counter()
    target = Path(path) if path is not None else default_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    refreshed_at = (now or datetime.now(UTC)).astimezone(UTC)
    temp = target.with_name(target.name + f".tmp{os.getpid()}")
    temp.unlink(missing_ok=True)
    con = duckdb.connect(str(temp))
    try:
        create_schema(con)
        con.execute(f"CREATE TEMP TABLE load AS SELECT * FROM {TABLE} LIMIT 0")
        stmt = fact_select(session, hotspots=hotspot_ancestors(session))
        result = session.execute(stmt, execution_options={"yield_per": chunk})
        rows = 0
        for part in result.partitions(chunk):
            frame = _frame(part)
            con.register("chunk_df", frame)
            con.execute("INSERT INTO load SELECT * FROM chunk_df")
            con.unregister("chunk_df")
            rows += len(part)
        con.execute(f"INSERT INTO {TABLE} SELECT * FROM load ORDER BY received_on, complaint_id")
        build_rollups(con)
        seconds = time.perf_counter() - started
        con.execute(
            "INSERT INTO facts_meta VALUES (?, ?, ?, ?)",
            [refreshed_at.replace(tzinfo=None), source or _source(session), rows, seconds],
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(temp, target)
    _CACHE.forget(target)
    return RefreshResult(target, rows, refreshed_at, seconds)


def build_rollups(con: duckdb.DuckDBPyConnection) -> None:
    """Derive the daily roll-up and the pending-cases table from the raw facts."""
    keys = ", ".join(ROLLUP_KEYS)
    sums = ", ".join(f"CAST(SUM({c}) AS INTEGER) AS {c}" for c in ROLLUP_FLAGS)
    con.execute(
        f"CREATE TABLE {ROLLUP} AS SELECT received_on, {keys}, {sums} FROM {TABLE} "
        f"GROUP BY received_on, {keys} ORDER BY received_on"
    )
    con.execute(
        f"CREATE TABLE {MONTHLY} AS SELECT CAST(date_trunc('month', received_on) AS DATE) AS "
        f"month, {keys}, "
        + ", ".join(f"CAST(SUM({c}) AS BIGINT) AS {c}" for c in ROLLUP_FLAGS)
        + f" FROM {ROLLUP} GROUP BY ALL ORDER BY month"
    )
    con.execute(
        f"CREATE TABLE {PENDING} AS SELECT received_on, {keys}, pending_due_at FROM {TABLE} "
        "WHERE pending_due_at IS NOT NULL ORDER BY received_on"
    )


def _source(session: Session) -> str:
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)  # a Connection in tests, an Engine otherwise
    return engine.url.render_as_string(hide_password=True)


def _frame(part: Any) -> pd.DataFrame:
    """One chunk of fact rows as the DuckDB table's columns (received_on first)."""
    columns = list(zip(*part, strict=True)) if part else [[] for _ in FACT_NAMES]
    data: dict[str, Any] = {}
    received = pd.to_datetime(pd.Series(columns[FACT_NAMES.index("received_at")]), utc=True)
    data["received_on"] = received.dt.tz_convert(SHANGHAI).dt.date
    for spec, values in zip(FACT_COLUMNS, columns, strict=True):
        if spec.kind == "time":
            series = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
            data[spec.name] = series.dt.tz_convert(None)
        elif spec.kind == "flag":
            data[spec.name] = np.asarray(values, dtype=np.uint8)
        else:
            data[spec.name] = pd.array(values, dtype="Int64")
    return pd.DataFrame(data)


# ---------------------------------------------------------------------------------------------
# Reading


class _ConnectionCache:
    """One read-only connection per file version (a refresh swaps the file: a new version)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[Path, tuple[tuple[int, int], duckdb.DuckDBPyConnection, tuple]] = {}

    def get(self, path: Path) -> tuple[duckdb.DuckDBPyConnection, tuple]:
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise ConfigurationError(
                f"考核分析库不存在：{path}。请先运行 `civicdesk assessment refresh` / "
                "no analytical copy yet: run `civicdesk assessment refresh`"
            ) from None
        version = (stat.st_ino, stat.st_mtime_ns)
        with self._lock:
            known = self._open.get(path)
            if known is not None and known[0] == version:
                return known[1], known[2]
            if known is not None:
                known[1].close()
            con = duckdb.connect(str(path), read_only=True)
            have = {r[0] for r in con.execute(f"DESCRIBE {ROLLUP}").fetchall()}
            missing = [c for c in ROLLUP_FLAGS if c not in have]
            if missing:
                # A copy written before new fact columns were added (按时立案, …).
                con.close()
                raise ConfigurationError(
                    f"考核分析库 {path} 由旧版本生成（缺少 {', '.join(missing)}），请重新运行 "
                    "`civicdesk assessment refresh` / the analytical copy predates this "
                    "version: run `civicdesk assessment refresh` again"
                )
            meta = con.execute("SELECT refreshed_at, rows FROM facts_meta").fetchone()
            self._open[path] = (version, con, meta or (None, 0))
            return con, meta or (None, 0)

    def forget(self, path: Path) -> None:
        with self._lock:
            known = self._open.pop(path, None)
        if known is not None:
            known[1].close()


_CACHE = _ConnectionCache()


class DuckStore:
    """The engine's backend over a DuckDB copy (see engine.SumQuery)."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, meta: tuple) -> None:
        self.path = path
        self.con = con
        self.refreshed_at = meta[0].replace(tzinfo=UTC) if meta[0] else None
        self.rows = int(meta[1] or 0)

    @classmethod
    def open(cls, path: Path | str | None = None) -> DuckStore:
        target = Path(path) if path is not None else default_path()
        con, meta = _CACHE.get(target)
        return cls(target, con, meta)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        # A cursor per query: connections are shared between threads of the web server.
        return self.con.cursor()

    def sums(self, query: Any, *, hotspots: Mapping[int, int] | None = None) -> dict:
        del hotspots  # already in the copy
        every_day = _ranges(query.buckets)
        if not uses_rollup(query):
            compiled = compile_sums(query, TABLE, query.columns, every_day)
            return self._run(query, compiled, query.columns)
        flags = tuple(c for c in query.columns if c != OVERDUE_PENDING)
        out: dict = {}
        if flags:
            months, days = split_months(query.buckets)
            for table, ranges in ((MONTHLY, months), (ROLLUP, days)):
                if ranges:
                    part = self._run(query, compile_sums(query, table, flags, ranges), flags)
                    _merge(out, part)
        if OVERDUE_PENDING in query.columns:
            pending = (OVERDUE_PENDING,)
            _merge(out, self._run(query, compile_sums(query, PENDING, pending, every_day), pending))
        return out

    def _run(self, query: Any, compiled: tuple[str, list[Any]], columns: tuple[str, ...]) -> dict:
        sql, params = compiled
        cur = self.cursor()
        try:
            rows = cur.execute(sql, params).fetchall()
        finally:
            cur.close()
        width = len(query.group_columns)
        out = {}
        for row in rows:
            key = tuple(row[1 : 1 + width])
            out[(key, int(row[0]))] = {
                name: int(v or 0) for name, v in zip(columns, row[1 + width :], strict=True)
            }
        return out

    def complaint_ids(
        self, condition: str, params: list[Any], *, limit: int, offset: int
    ) -> tuple[int, list[int]]:
        cur = self.cursor()
        try:
            total = cur.execute(f"SELECT count(*) FROM {TABLE} WHERE {condition}", params)
            count = int(total.fetchone()[0])
            ids = cur.execute(
                f"SELECT complaint_id FROM {TABLE} WHERE {condition} "
                "ORDER BY complaint_id LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
        finally:
            cur.close()
        return count, [int(r[0]) for r in ids]


# ---------------------------------------------------------------------------------------------
# Compiling the engine's plan to DuckDB SQL


def filter_sql(query: Any) -> tuple[list[str], list[Any]]:
    clauses, params = [], []
    for column, ids in query.filters.equal.items():
        present = [int(i) for i in ids if i is not None]
        options = []
        if present:
            options.append(f"{column} IN ({', '.join('?' for _ in present)})")
            params.extend(present)
        if None in ids:
            options.append(f"{column} IS NULL")
        clauses.append("(" + " OR ".join(options or ["false"]) + ")")
    if query.exclude_appealed:
        clauses.append("appeal_approved = 0")
    return clauses, params


def column_sql(name: str, as_of: datetime) -> tuple[str, list[Any]]:
    if name == OVERDUE_PENDING:
        naive = as_of.astimezone(UTC).replace(tzinfo=None)
        return "CASE WHEN pending_due_at < ? THEN 1 ELSE 0 END", [naive]
    if name not in FACT_NAMES:
        raise ValueError(name)
    return name, []


def _merge(into: dict, part: dict) -> None:
    for key, values in part.items():
        acc = into.setdefault(key, {})
        for name, v in values.items():
            acc[name] = acc.get(name, 0) + v


Range = tuple[int, date, date]  # bucket index, first day, last day


def _ranges(buckets: Any) -> list[Range]:
    return [(i, p.start, p.end) for i, p in enumerate(buckets)]


def split_months(buckets: Any) -> tuple[list[Range], list[Range]]:
    """Each bucket as its whole calendar months (first days of the first and last month) and
    the days before and after them."""
    months: list[Range] = []
    days: list[Range] = []
    for i, p in enumerate(buckets):
        first = p.start if p.start.day == 1 else _next_month(p.start)
        after = _next_month(p.end) if _next_month(p.end) - timedelta(days=1) == p.end else None
        after = after or p.end.replace(day=1)  # first day not in a whole month at the end
        if first < after:
            months.append((i, first, _prev_month(after)))
            if p.start < first:
                days.append((i, p.start, first - timedelta(days=1)))
            if after <= p.end:
                days.append((i, after, p.end))
        else:
            days.append((i, p.start, p.end))
    return months, days


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _prev_month(day: date) -> date:
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def uses_rollup(query: Any) -> bool:
    """The roll-up answers unless a filter or column needs a raw row (the channel, say)."""
    needed = set(query.group_columns) | set(query.filters.equal)
    columns = set(query.columns) - {OVERDUE_PENDING}
    return needed <= set(ROLLUP_KEYS) and columns <= set(ROLLUP_FLAGS)


def compile_sums(
    query: Any, table: str, columns: tuple[str, ...], ranges: list[Range]
) -> tuple[str, list[Any]]:
    """``SELECT bucket, <groups>, SUM(<column>)… FROM table`` over the date ranges."""
    date_column = "month" if table == MONTHLY else "received_on"
    select_params: list[Any] = []
    whens, any_bucket, where_params = [], [], []
    for index, first, last in ranges:
        cond = f"{date_column} BETWEEN ? AND ?"
        whens.append(f"WHEN {cond} THEN {index}")
        select_params.extend([first, last])
        any_bucket.append(cond)
        where_params.extend([first, last])
    sums = []
    for name in columns:
        # The roll-ups hold sums already; the raw and pending tables one row per complaint.
        rolled = table in (ROLLUP, MONTHLY)
        expr, p = (name, []) if rolled else column_sql(name, query.as_of)
        sums.append(f"CAST(SUM({expr}) AS BIGINT)")
        select_params.extend(p)
    groups = list(query.group_columns)
    clauses, filter_params = filter_sql(query)
    where = " AND ".join([f"({' OR '.join(any_bucket)})", *clauses])
    select_list = ", ".join([f"CASE {' '.join(whens)} ELSE -1 END AS bucket", *groups, *sums])
    group_list = ", ".join(["bucket", *groups])
    sql = f"SELECT {select_list} FROM {table} WHERE {where} GROUP BY {group_list}"
    return sql, [*select_params, *where_params, *filter_params]
