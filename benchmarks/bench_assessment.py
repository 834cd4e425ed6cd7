"""Assessment speed (issue 6): the engine over 1M, 3M and 10M complaints, side by side with a
hand-written DuckDB query and pandas on the same data, and the transactional path for scale.

    python -m benchmarks.bench_assessment [--sizes 1000000,3000000,10000000] [--repeat 20]
        [--sql-size 1000000] [--workdir /tmp/bench_assessment] [--out FILE]

Synthetic facts are generated straight into DuckDB with numpy (no ORM): complaint rows over
2025-01-01..2026-11-26, placed on the configured Hangzhou streets, categories, units and
channels, with case flags that respect the subsets the measures rely on (closed ⊆ handled ⊆
dispatched ⊆ filed…). Timed, p50/p95 over ``--repeat`` runs, period 2026-01..07:

- full assessment through the engine: every measure, by district, street, unit, category and
  hot-spot category, this year, last year and the previous period;
- the three dashboard queries through the engine — trend (by month, with each month's 同比/环比),
  YoY by district × category, the street table (7 measures, 3 periods) — and the same figures
  from hand-written DuckDB SQL and from pandas groupby (data already in memory: its load is
  not counted);
- the engine on the transactional path (SQLite, live tables) at ``--sql-size`` complaints.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.common import machine
from civicdesk.assessment import analytical
from civicdesk.assessment.engine import FULL_GROUPINGS, assess, evaluate
from civicdesk.assessment.facts import FACT_COLUMNS, hotspot_ancestors
from civicdesk.config.loader import load_config
from civicdesk.db import make_engine
from civicdesk.intake.models import Channel
from civicdesk.migrate import upgrade
from civicdesk.org.models import Area, AreaLevel, Unit
from civicdesk.reports.periods import Period
from civicdesk.taxonomy.models import Category

PERIOD = Period(date(2026, 1, 1), date(2026, 7, 31))
FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2026, 11, 26)
AS_OF = datetime(2026, 11, 27, tzinfo=UTC)
STREET_MEASURES = (
    "complaints",
    "hotspot",
    "repeats",
    "filing_rate",
    "closure_rate",
    "closure_on_time_rate",
    "satisfaction_rate",
)
CHUNK = 1_000_000


# ---------------------------------------------------------------------------------------------
# Reference data and synthetic facts


def reference_db(workdir: Path) -> str:
    path = workdir / "reference.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        engine = make_engine(url)
        upgrade(engine)
        with Session(engine) as session:
            load_config(session, "hangzhou")
            session.commit()
        engine.dispose()
    return url


def reference_ids(session: Session) -> dict[str, Any]:
    streets = session.execute(
        select(Area.id, Area.parent_id).where(Area.level == AreaLevel.street)
    ).all()
    leaves = session.scalars(
        select(Category.id).where(
            ~Category.id.in_(select(Category.parent_id).where(Category.parent_id.is_not(None)))
        )
    ).all()
    hot = hotspot_ancestors(session)
    units = session.scalars(select(Unit.id)).all()
    route = np.random.default_rng(1).integers(0, len(units), (len(streets), len(leaves)))
    return {
        "route": route,
        "street": np.array([s for s, _ in streets], dtype=np.int64),
        "district": np.array([d for _, d in streets], dtype=np.int64),
        "category": np.array(leaves, dtype=np.int64),
        "hotspot": np.array([hot.get(c, -1) for c in leaves], dtype=np.int64),
        "unit": np.array(units, dtype=np.int64),
        "channel": np.array(session.scalars(select(Channel.id)).all(), dtype=np.int64),
    }


def synthetic_chunk(rng: np.random.Generator, n: int, start_id: int, ids: dict) -> pd.DataFrame:
    days = (LAST_DAY - FIRST_DAY).days + 1
    day = rng.integers(0, days, n)
    received_on = np.datetime64(FIRST_DAY) + day.astype("timedelta64[D]")
    seconds = rng.integers(0, 86_400, n).astype("timedelta64[s]")
    received_at = received_on.astype("datetime64[s]") + seconds - np.timedelta64(8, "h")
    place = rng.integers(0, len(ids["street"]), n)
    located = rng.random(n) > 0.02
    cat = rng.integers(0, len(ids["category"]), n)
    hot = ids["hotspot"][cat]
    r = rng.random((16, n))
    primary = r[0] < 0.8
    filed = primary & (r[1] < 0.95)
    not_filed = primary & ~filed & (r[2] < 0.9)
    voided = filed & (r[3] < 0.005)
    due_close = filed & ~voided
    dispatched = due_close & (r[4] < 0.97)
    accepted = dispatched & (r[5] < 0.98)
    accepted_on_time = accepted & (r[6] < 0.9)
    handled = accepted & (r[7] < 0.95)
    handled_on_time = handled & (r[8] < 0.85)
    closed = handled & (r[9] < 0.95)
    callback = closed & (r[10] < 0.9)
    satisfied = callback & (r[11] < 0.7)
    basically = callback & ~satisfied & (r[11] < 0.93)
    repeat = r[12] < 0.15
    kind = rng.integers(0, 3, n)
    pending = dispatched & ~handled
    # The filing and dispatch deadlines (stored since migration 0011; older rows have none).
    timing = rng.random((3, n))
    filed_timed = filed & (timing[0] < 0.98)
    dispatch_timed = due_close & (timing[0] < 0.98)
    due = received_at + np.timedelta64(10, "D")
    # Routing as configured in practice: (street, category) → one unit.
    route = ids["route"][place, cat]
    unit = ids["unit"][route]

    def nullable(values: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
        return pd.arrays.IntegerArray(values.astype(np.int64), ~mask)

    flags = {
        "complaint": np.ones(n, dtype=bool),
        "is_hotspot": hot >= 0,
        "is_repeat": repeat,
        "repeat_same": repeat & (kind == 0),
        "repeat_other": repeat & (kind == 1),
        "recurrence": repeat & (kind == 2),
        "appeal_approved": np.zeros(n, dtype=bool),
        "case_primary": primary,
        "filed": filed,
        "filed_timed": filed_timed,
        "filed_on_time": filed_timed & (timing[1] < 0.95),
        "not_filed": not_filed,
        "voided": voided,
        "dispatched": dispatched,
        "accepted": accepted,
        "accepted_on_time": accepted_on_time,
        "handled": handled,
        "handled_on_time": handled_on_time,
        "handled_late": handled & ~handled_on_time,
        "due_close": due_close,
        "dispatch_timed": dispatch_timed,
        "dispatched_on_time": dispatch_timed & dispatched & (timing[2] < 0.92),
        "closed": closed,
        "closed_on_time": closed & handled_on_time & (r[13] < 0.97),
        "closed_not_fixed": closed & (r[13] > 0.98),
        "suspended": due_close & ~closed & (r[14] < 0.1),
        "rework": dispatched & (r[15] < 0.05),
        "returned": dispatched & (r[15] > 0.97),
        "extended": dispatched & (r[14] > 0.96),
        "callback": callback,
        "satisfied": satisfied,
        "basically": basically,
        "unsatisfied": callback & ~satisfied & ~basically,
    }
    complaint_id = np.arange(start_id, start_id + n, dtype=np.int64)
    data: dict[str, Any] = {
        "received_on": received_on,
        "complaint_id": complaint_id,
        "received_at": received_at.astype("datetime64[us]"),
        "district_id": nullable(ids["district"][place], located),
        "street_id": nullable(ids["street"][place], located),
        "category_id": ids["category"][cat],
        "hotspot_category_id": nullable(hot, hot >= 0),
        "channel_id": ids["channel"][rng.integers(0, len(ids["channel"]), n)],
        "case_id": complaint_id,
        "unit_id": nullable(unit, (dispatched | ~primary) & located),
    }
    for spec in FACT_COLUMNS:
        if spec.name in flags:
            data[spec.name] = flags[spec.name].astype(np.uint8)
    data["pending_due_at"] = pd.Series(due.astype("datetime64[us]")).where(pending)
    order = ["received_on", *(c.name for c in FACT_COLUMNS)]
    return pd.DataFrame(data)[order]


def build_duckdb(path: Path, n: int, ids: dict, seed: int = 6) -> float:
    started = time.perf_counter()
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    analytical.create_schema(con)
    con.execute("CREATE TEMP TABLE load AS SELECT * FROM facts LIMIT 0")
    rng = np.random.default_rng(seed)
    done = 0
    while done < n:
        size = min(CHUNK, n - done)
        frame = synthetic_chunk(rng, size, done + 1, ids)
        con.register("chunk_df", frame)
        con.execute("INSERT INTO load SELECT * FROM chunk_df")
        con.unregister("chunk_df")
        done += size
    con.execute("INSERT INTO facts SELECT * FROM load ORDER BY received_on, complaint_id")
    analytical.build_rollups(con)
    con.execute(
        "INSERT INTO facts_meta VALUES (?, 'synthetic', ?, ?)",
        [AS_OF.replace(tzinfo=None), n, time.perf_counter() - started],
    )
    con.execute("CHECKPOINT")
    con.close()
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# The three dashboard queries, three ways


def engine_queries(session: Session, path: Path) -> dict[str, Callable[[], Any]]:
    def run(by: str, measures: Any) -> Callable[[], Any]:
        return lambda: evaluate(
            session,
            period=PERIOD,
            by=by,
            measures=measures,
            as_of=AS_OF,
            backend="duckdb",
            duckdb_path=path,
        )

    def full() -> Any:
        return assess(
            session,
            period=PERIOD,
            groupings=FULL_GROUPINGS,
            as_of=AS_OF,
            backend="duckdb",
            duckdb_path=path,
        )

    return {
        "full": full,
        "trend": run("month", ("complaints", "hotspot", "repeats")),
        "district_category": run("district_category", ("complaints",)),
        "street_table": run("street", STREET_MEASURES),
    }


_STREET_COLUMNS = (
    "complaint",
    "is_hotspot",
    "is_repeat",
    "filed",
    "case_primary",
    "closed",
    "due_close",
    "closed_on_time",
    "satisfied",
    "basically",
    "callback",
)


def handwritten_queries(con: duckdb.DuckDBPyConnection) -> dict[str, Callable[[], Any]]:
    """The same figures as plain DuckDB SQL, written for this data by hand."""
    trend = (
        "SELECT date_trunc('month', received_on) AS m, count(*), sum(is_hotspot)::BIGINT, "
        "sum(is_repeat)::BIGINT FROM facts "
        "WHERE received_on BETWEEN DATE '2024-12-01' AND DATE '2026-07-31' GROUP BY m"
    )
    matrix = (
        "SELECT district_id, category_id, "
        "count(*) FILTER (WHERE received_on >= DATE '2026-01-01'), "
        "count(*) FILTER (WHERE received_on < DATE '2026-01-01') FROM facts "
        "WHERE received_on BETWEEN DATE '2026-01-01' AND DATE '2026-07-31' "
        "OR received_on BETWEEN DATE '2025-01-01' AND DATE '2025-07-31' GROUP BY ALL"
    )
    # Last year (2025-01..07) and the previous period (2025-06..12) overlap: four disjoint
    # pieces in one scan, added up by hand (FILTER per period is far slower in DuckDB).
    sums = ", ".join(f"sum({c})::BIGINT" for c in _STREET_COLUMNS)
    street = (
        f"SELECT street_id, CASE WHEN received_on >= DATE '2026-01-01' THEN 0 "
        "WHEN received_on < DATE '2025-06-01' THEN 1 WHEN received_on <= DATE '2025-07-31' "
        f"THEN 2 ELSE 3 END AS piece, {sums} FROM facts "
        "WHERE received_on BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' "
        "OR received_on BETWEEN DATE '2026-01-01' AND DATE '2026-07-31' GROUP BY ALL"
    )

    def street_table() -> Any:
        rows = con.execute(street).fetchall()
        out: dict[tuple[Any, int], list[int]] = {}
        for street_id, piece, *values in rows:
            # current ← 0; last year ← 1 + 2; previous ← 2 + 3
            for period in {0: (0,), 1: (1,), 2: (1, 2), 3: (2,)}[piece]:
                acc = out.setdefault((street_id, period), [0] * len(values))
                for i, v in enumerate(values):
                    acc[i] += v
        return out

    return {
        "trend": lambda: con.execute(trend).fetchall(),
        "district_category": lambda: con.execute(matrix).fetchall(),
        "street_table": street_table,
    }


def pandas_queries(frame: pd.DataFrame) -> dict[str, Callable[[], Any]]:
    on = frame["received_on"]
    cur = (on >= pd.Timestamp(2026, 1, 1)) & (on <= pd.Timestamp(2026, 7, 31))
    last = (on >= pd.Timestamp(2025, 1, 1)) & (on <= pd.Timestamp(2025, 7, 31))
    prev = (on >= pd.Timestamp(2025, 6, 1)) & (on <= pd.Timestamp(2025, 12, 31))

    def trend() -> Any:
        part = frame[(on >= pd.Timestamp(2024, 12, 1)) & (on <= pd.Timestamp(2026, 7, 31))]
        month = part["received_on"].dt.to_period("M")
        return part.groupby(month)[["complaint", "is_hotspot", "is_repeat"]].sum()

    def matrix() -> Any:
        out = []
        for mask in (cur, last):
            out.append(frame[mask].groupby(["district_id", "category_id"])["complaint"].sum())
        return out

    def street() -> Any:
        return [
            frame[mask].groupby("street_id")[list(_STREET_COLUMNS)].sum()
            for mask in (cur, last, prev)
        ]

    return {"trend": trend, "district_category": matrix, "street_table": street}


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    fn()  # warm: connections, caches, code paths
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1)}


def bench_size(session: Session, workdir: Path, n: int, ids: dict, repeat: int) -> dict:
    path = workdir / f"facts_{n}.duckdb"
    build = build_duckdb(path, n, ids)
    result: dict[str, Any] = {"complaints": n, "generate_s": round(build, 1)}
    engine = engine_queries(session, path)
    result["engine_full"] = timed(engine["full"], max(3, repeat // 4))
    con = duckdb.connect(str(path), read_only=True)
    hand = handwritten_queries(con)
    frame = con.execute(
        "SELECT received_on, street_id, district_id, category_id, "
        + ", ".join(_STREET_COLUMNS)
        + " FROM facts"
    ).df()
    frame["received_on"] = pd.to_datetime(frame["received_on"])
    pdq = pandas_queries(frame)
    for name in ("trend", "district_category", "street_table"):
        result[name] = {
            "engine": timed(engine[name], repeat),
            "duckdb_sql": timed(hand[name], repeat),
            "pandas": timed(pdq[name], max(3, repeat // 4)),
        }
    con.close()
    del frame
    _check_same_figures(session, path)
    return result


def _check_same_figures(session: Session, path: Path) -> None:
    """The engine's street table against hand-written SQL: the benchmark compares like with like."""
    a = evaluate(
        session,
        period=PERIOD,
        by="street",
        measures=("complaints",),
        as_of=AS_OF,
        backend="duckdb",
        duckdb_path=path,
    )
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute(
        "SELECT street_id, count(*) FROM facts WHERE received_on BETWEEN DATE '2026-01-01' AND "
        "DATE '2026-07-31' GROUP BY ALL"
    ).fetchall()
    con.close()
    expected = {k: v for k, v in rows}
    got = {r.key[0]: r.figures["complaints"].numerator for r in a.rows}
    assert all(got.get(k, 0) == v for k, v in expected.items()), "engine ≠ hand-written SQL"


# ---------------------------------------------------------------------------------------------
# The transactional path


def bench_sql(workdir: Path, n: int, ids: dict, repeat: int) -> dict:
    """Live SQLite tables with ``n`` complaints (written from the synthetic facts, raw SQL)."""
    from benchmarks.bench_assessment_live import build_live_sqlite

    url, seconds = build_live_sqlite(workdir, n, ids, synthetic_chunk)
    engine = make_engine(url)
    out: dict[str, Any] = {"complaints": n, "load_s": round(seconds, 1)}
    with Session(engine) as session:
        for name, by, measures in (
            ("street_table", "street", STREET_MEASURES),
            ("district_category", "district_category", ("complaints",)),
            ("trend", "month", ("complaints", "hotspot", "repeats")),
        ):
            out[name] = timed(
                lambda by=by, measures=measures: evaluate(
                    session, period=PERIOD, by=by, measures=measures, as_of=AS_OF
                ),
                max(1, repeat // 10),
            )
        started = time.perf_counter()
        assess(session, period=PERIOD, as_of=AS_OF)
        out["full_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        refreshed = analytical.refresh(session, workdir / "live.duckdb", now=AS_OF)
        out["refresh_s"] = round(time.perf_counter() - started, 1)
        out["refresh_rows"] = refreshed.rows
    engine.dispose()
    return out


# ---------------------------------------------------------------------------------------------


def print_table(results: list[dict], sql: dict | None) -> None:
    print(
        f"\n{'complaints':>11} {'query':<18} {'engine p50/p95':>16} {'DuckDB SQL':>14} "
        f"{'pandas':>14} {'engine/SQL':>10}"
    )
    for r in results:
        full = r["engine_full"]
        print(
            f"{r['complaints']:>11,} {'full assessment':<18} "
            f"{full['p50_ms']:>7.0f}/{full['p95_ms']:<7.0f} ms"
        )
        for name in ("trend", "district_category", "street_table"):
            e, h, p = r[name]["engine"], r[name]["duckdb_sql"], r[name]["pandas"]
            ratio = e["p95_ms"] / max(h["p95_ms"], 0.01)
            print(
                f"{'':>11} {name:<18} {e['p50_ms']:>7.0f}/{e['p95_ms']:<7.0f} "
                f"{h['p50_ms']:>6.0f}/{h['p95_ms']:<6.0f} {p['p50_ms']:>6.0f}/{p['p95_ms']:<6.0f} "
                f"{ratio:>9.1f}×"
            )
    if sql:
        print(f"\ntransactional path (SQLite, live tables), {sql['complaints']:,} complaints:")
        for name in ("trend", "district_category", "street_table"):
            print(
                f"  {name:<18} p50 {sql[name]['p50_ms']:.0f} ms  p95 {sql[name]['p95_ms']:.0f} ms"
            )
        print(f"  full assessment    {sql['full_s']} s; refresh into DuckDB {sql['refresh_s']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,3000000,10000000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sql-size", type=int, default=1_000_000, help="0 to skip")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench_assessment"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    url = reference_db(args.workdir)
    engine = make_engine(url)
    results = []
    with Session(engine) as session:
        ids = reference_ids(session)
        for n in (int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()):
            print(f"== {n:,} complaints", flush=True)
            results.append(bench_size(session, args.workdir, n, ids, args.repeat))
            (args.workdir / f"facts_{n}.duckdb").unlink(missing_ok=True)
    engine.dispose()
    sql = bench_sql(args.workdir, args.sql_size, ids, args.repeat) if args.sql_size else None
    print_table(results, sql)
    report = {"machine": machine(), "sizes": results, "transactional": sql}
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
