"""Repeat detection at scale: one online check with N complaints stored, the batch rebuild over
N, for N = 100k, 300k, 1M, and a naive pairwise baseline on a small sample.

The history is synthetic but shaped like the demo's: issues at places of Hangzhou's streets
(door numbers on real road names, compounds and blocks), a fifth of complaints repeating an
issue within weeks, the rest at other places, over two years; each issue has a case. Keys are
written by a first rebuild (as the intake and import write them); the timed rebuild then
recomputes every link and checks every key.

    python benchmarks/bench_repeats.py [--sizes 100000,300000,1000000] [--pg URL] [--checks 300]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from benchmarks.common import emit, fresh_database, machine, prepared_engine
from civicdesk.cases.models import Case
from civicdesk.db import Base, sync_id_sequences
from civicdesk.intake.models import Channel, Complaint
from civicdesk.intake.schemas import ComplaintCreate
from civicdesk.org.models import Area
from civicdesk.org.service import placement
from civicdesk.repeats import batch, context, service
from civicdesk.repeats.engine import window
from civicdesk.repeats.scoring import block_keys, decide, query_keys, score_pair
from civicdesk.taxonomy.models import Category

ROADS = [f"{a}{b}路" for a in "文教学古天莫湖体凤庆延解中建秋" for b in "一二三新东西南北"]
COMPOUNDS = [
    f"{a}{b}{c}" for a in "翠文金桂星阳和" for b in "苑园景湖" for c in ("小区", "新村", "花园")
]
WORDS = (
    "每天晚上有人占道摆摊卖烧烤，油烟很大，影响通行",
    "工地夜间施工噪音扰民，晚上十点以后还在作业",
    "店家把货架摆到人行道上，行人只能走机动车道",
    "楼顶违章搭建彩钢板房，存在安全隐患",
    "车辆长期乱停在人行道和盲道上，请处理",
    "垃圾堆放多日没人清运，气味很大",
)
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 700
CHUNK = 20_000


def seed(engine: Any, n: int, rng: random.Random) -> None:
    """N complaints, a fifth repeating an earlier issue within 2–40 days."""
    with Session(engine) as s:
        streets = [placement(s, a) for a in s.scalars(select(Area).where(Area.level == "street"))]
        leaves = [c.id for c in s.scalars(select(Category)) if c.parent_id is not None]
        channels = [c.id for c in s.scalars(select(Channel))]
    issues: list[tuple[Any, ...]] = []
    cases, complaints = [], []
    for i in range(1, n + 1):
        at = START + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
        if issues and rng.random() < 0.2:
            issue = issues[rng.randrange(max(0, len(issues) - 5000), len(issues))]
            at = issue[4] + timedelta(days=rng.uniform(2, 40))
            case_id = issue[5]
        else:
            street, category = rng.choice(streets), rng.choice(leaves)
            if rng.random() < 0.6:
                address = f"{rng.choice(ROADS)}{rng.randint(1, 900)}号"
            else:
                address = f"{rng.choice(COMPOUNDS)}{rng.randint(1, 40)}幢"
            case_id = len(cases) + 1
            issue = (street, category, address, rng.choice(WORDS), at, case_id)
            issues.append(issue)
            cases.append(_case(case_id, issue, at, rng))
        street, category, address, words, _, _ = issue
        complaints.append(
            _complaint(i, case_id, street, category, address, words, at, rng, channels)
        )
    with Session(engine) as s:
        for table, rows in ((Case, cases), (Complaint, complaints)):
            for start in range(0, len(rows), CHUNK):
                s.execute(insert(table), rows[start : start + CHUNK])
        sync_id_sequences(s, "cases", "complaints")
        s.commit()


def _case(case_id: int, issue: tuple[Any, ...], at: datetime, rng: random.Random) -> dict[str, Any]:
    street, category, address = issue[0], issue[1], issue[2]
    closed = at + timedelta(days=rng.uniform(1, 10))
    return {
        "id": case_id,
        "number": f"B{case_id:012d}",
        "status": "closed",
        "title": address,
        "category_id": category,
        "area_id": street.area_id,
        "district_id": street.district_id,
        "street_id": street.street_id,
        "address": address,
        "opened_at": at,
        "closed_at": closed,
        "complaint_count": 1,
    }


def _complaint(
    i: int,
    case_id: int,
    street: Any,
    category: int,
    address: str,
    words: str,
    at: datetime,
    rng: random.Random,
    channels: list[int],
) -> dict[str, Any]:
    return {
        "id": i,
        "channel_id": rng.choice(channels),
        "upstream_ref": f"R{i}",
        "received_at": at,
        "complainant_name": "市民",
        "complainant_phone": f"13{rng.randrange(10**9):09d}",
        "title": None,
        "text": f"{address}{words}",
        "address": address,
        "longitude": None,
        "latitude": None,
        "category_id": category,
        "area_id": street.area_id,
        "district_id": street.district_id,
        "street_id": street.street_id,
        "case_id": case_id,
        "import_batch_id": None,
        "created_at": at,
        "created_by_id": None,
    }


def online_checks(engine: Any, checks: int, rng: random.Random) -> dict[str, float]:
    """``check_new`` (keys, candidates, scoring, decision) for new complaints at existing
    places — half of them repeats — nothing written."""
    samples: list[float] = []
    cpu_samples: list[float] = []
    with Session(engine) as s:
        context.clear_cache()
        rows = list(
            s.execute(select(Complaint).order_by(Complaint.id.desc()).limit(5000)).scalars()
        )
        now = max(r.received_at for r in rows) + timedelta(hours=1)
        for _ in range(checks):
            base = rng.choice(rows)
            text = base.text if rng.random() < 0.5 else f"{base.address}{rng.choice(WORDS)}"
            data = ComplaintCreate(
                channel="96310", text=text, address=base.address, complainant_phone="13700000000"
            )
            category = s.get(Category, base.category_id)
            place = placement(s, s.get(Area, base.area_id))
            started, cpu = time.perf_counter(), time.process_time()
            service.check_new(
                s,
                data,
                channel_id=base.channel_id,
                category=category,
                place=place,
                received_at=now,
                actor=None,
                now=now,
            )
            samples.append((time.perf_counter() - started) * 1000)
            cpu_samples.append((time.process_time() - cpu) * 1000)
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(ordered[int(len(ordered) * 0.9)], 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 2),
        "cpu_p50_ms": round(statistics.median(cpu_samples), 2),
        "n": len(ordered),
    }


def naive_baseline(engine: Any, sample: int) -> dict[str, Any]:
    """Every earlier complaint compared with every later one (no blocking), on the first
    ``sample`` complaints; and whether blocking lost any link the naive pass finds."""
    with Session(engine) as s:
        ctx = context.load_context(s)
        facts = batch.load_facts(s, ctx)[:sample]
        cases = batch.load_cases(s, {f.case_id for f in facts if f.case_id})
    started = time.perf_counter()
    naive = {}
    for i, x in enumerate(facts):
        lo, hi = window(x, ctx.taxonomy, ctx.rules)
        earlier = [y for y in facts[:i] if lo <= y.received <= hi]
        for y in earlier:
            score_pair(x, y, ctx.taxonomy)
        decision = decide(x, earlier, cases, {}, ctx.taxonomy, ctx.rules)
        if decision is not None:
            naive[x.id] = decision.earlier.id
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    keys = {f.id: block_keys(f, ctx.taxonomy) for f in facts}
    from civicdesk.repeats import engine as blocked_engine

    outcome = blocked_engine.detect(
        facts,
        keys=lambda f: keys[f.id],
        lookups=lambda f: query_keys(f, ctx.taxonomy, keys[f.id]),
        cases=cases,
        taxonomy=ctx.taxonomy,
        rules=ctx.rules,
    )
    blocked_seconds = time.perf_counter() - started
    blocked = {cid: d.earlier.id for cid, d in outcome.decisions.items()}
    return {
        "sample": len(facts),
        "naive_seconds": round(seconds, 2),
        "blocked_seconds": round(blocked_seconds, 3),
        "naive_links": len(naive),
        "blocked_links": len(blocked),
        "links_only_naive": len(set(naive) - set(blocked)),
        "naive_per_1m_extrapolated_hours": round(seconds * (1_000_000 / len(facts)) ** 2 / 3600),
    }


def run(
    kind: str, n: int, pg: str | None, checks: int, workdir: Path, skip: set[str]
) -> dict[str, Any]:
    url = fresh_database(kind, workdir, pg)
    engine = prepared_engine(url)
    Base.metadata.create_all(engine)  # tables of work in progress not yet in a migration
    rng = random.Random(n)
    started = time.perf_counter()
    seed(engine, n, rng)
    result: dict[str, Any] = {"database": kind, "complaints": n}
    result["seed_seconds"] = round(time.perf_counter() - started, 1)
    print(n, "seeded", result["seed_seconds"], flush=True)
    now = datetime.now(UTC)
    # Wall time depends on what else the machine runs; CPU time of this process (SQLite runs
    # inside it) is what the work costs. Both are recorded.
    for label, workers in (("rebuild_first", 1), ("rebuild_again", 1), ("rebuild_2_workers", 2)):
        if label in skip:
            continue
        with Session(engine) as s:
            wall, cpu = time.perf_counter(), time.process_time()
            report = batch.rebuild(s, now=now, workers=workers)
            s.commit()
        cpu_seconds = time.process_time() - cpu
        result[label] = {
            "wall_seconds": round(time.perf_counter() - wall, 1),
            # This process (SQLite runs inside it) plus the detection workers, if any.
            "cpu_seconds": round(cpu_seconds + report.cpu_seconds.get("detect_in_workers", 0), 1),
            "links": report.links,
            "keys_written": report.keys_written,
            "parts": {k: round(v, 1) for k, v in report.seconds.items()},
            "cpu_parts": {k: round(v, 1) for k, v in report.cpu_seconds.items()},
            "load_average_after": [round(v, 1) for v in os.getloadavg()],
        }
        print(label, result[label], flush=True)
    result["online_check"] = online_checks(engine, checks, rng)
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (a database to recreate)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--skip", default="", help="phases to skip, e.g. rebuild_2_workers")
    parser.add_argument("--baseline", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/repeats.json"))
    args = parser.parse_args()
    sizes = [int(v) for v in args.sizes.split(",")]
    kinds = [k for k in args.databases.split(",") if k != "postgresql" or args.pg]
    results: dict[str, Any] = {"machine": machine(), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            for n in sizes:
                skip = set(args.skip.split(",")) if args.skip else set()
                run_result = run(kind, n, args.pg, args.checks, Path(tmp), skip)
                if n == sizes[0] and args.baseline:
                    url = fresh_database(kind, Path(tmp), args.pg)
                    engine = prepared_engine(url)
                    Base.metadata.create_all(engine)
                    seed(engine, args.baseline * 4, random.Random(1))
                    run_result["baseline"] = naive_baseline(engine, args.baseline)
                    engine.dispose()
                results["runs"].append(run_result)
                print(run_result, flush=True)
    emit(results, args.out)


if __name__ == "__main__":
    main()
