"""Intake latency of one complaint over real HTTP with N cases already stored.

Seeds N cases (one complaint and one history row each, spread over two years) into a fresh
database, starts ``civicdesk`` in a subprocess, and times sequential ``POST /api/complaints``
from one keep-alive client. Side by side, in the same run: ``GET /api/me`` (authentication and
one query: the floor any authenticated request pays on this machine).

    python benchmarks/bench_intake.py [--cases 100000] [--requests 2000] [--pg URL]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from benchmarks.common import (
    emit,
    fresh_database,
    live_server,
    machine,
    percentiles,
    prepared_engine,
)
from civicdesk.accounts.service import create_user
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.clock import to_local
from civicdesk.db import sync_id_sequences
from civicdesk.intake.models import Channel, Complaint
from civicdesk.org.models import Area
from civicdesk.org.service import placement
from civicdesk.taxonomy.models import Category

CHUNK = 10_000


def seed(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    with Session(engine) as session:
        streets = list(session.scalars(select(Area).where(Area.level == "street")))
        places = [placement(session, s) for s in streets]
        categories = [c.id for c in session.scalars(select(Category).where(Category.hotspot))]
        channel = session.scalars(select(Channel).where(Channel.code == "12345")).one().id
        start = datetime(2025, 1, 1, tzinfo=UTC)
        per_day: dict[str, int] = {}
        cases, complaints, events = [], [], []
        for i in range(1, n + 1):
            at = start + timedelta(seconds=rng.randrange(0, 690 * 86400))
            day = f"HZ{to_local(at):%Y%m%d}"
            per_day[day] = per_day.get(day, 0) + 1
            place, category = rng.choice(places), rng.choice(categories)
            cases.append(
                {
                    "id": i,
                    "number": f"{day}{per_day[day]:05d}",
                    "status": "closed",
                    "title": f"投诉{i}",
                    "category_id": category,
                    "area_id": place.area_id,
                    "district_id": place.district_id,
                    "street_id": place.street_id,
                    "opened_at": at,
                    "closed_at": at + timedelta(days=2),
                    "complaint_count": 1,
                }
            )
            complaints.append(
                {
                    "id": i,
                    "channel_id": channel,
                    "upstream_ref": f"seed-{i}",
                    "received_at": at,
                    "text": f"第{i}号投诉：门口乱停车",
                    "category_id": category,
                    "area_id": place.area_id,
                    "district_id": place.district_id,
                    "street_id": place.street_id,
                    "case_id": i,
                    "created_at": at,
                }
            )
            events.append(
                {
                    "case_id": i,
                    "at": at,
                    "action": "receive",
                    "from_status": "received",
                    "to_status": "received",
                    "data": {},
                }
            )
            if len(cases) == CHUNK or i == n:
                session.execute(insert(Case), cases)
                session.execute(insert(Complaint), complaints)
                session.execute(insert(CaseEvent), events)
                cases, complaints, events = [], [], []
        sync_id_sequences(session, "cases", "complaints", "case_events")
        create_user(
            session,
            username="bench",
            password="bench-pass",
            display_name="bench",
            role="operator",
            now=datetime.now(UTC),
        )
        session.commit()


def run(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    url = fresh_database(kind, workdir, args.pg)
    engine = prepared_engine(url)
    t0 = time.perf_counter()
    seed(engine, args.cases)
    seed_s = time.perf_counter() - t0
    engine.dispose()
    with live_server(url) as base, httpx.Client(base_url=base, timeout=30) as client:
        token = client.post(
            "/api/auth/token", json={"username": "bench", "password": "bench-pass"}
        ).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        for _ in range(50):  # warm up connections and caches
            client.get("/api/me", headers=headers)
        me = []
        for _ in range(args.requests):
            t = time.perf_counter()
            client.get("/api/me", headers=headers).raise_for_status()
            me.append((time.perf_counter() - t) * 1000)
        intake = []
        for i in range(args.requests):
            body = {
                "channel": "12345",
                "upstream_ref": f"bench-{i}",
                "text": "小区门口有人占道摆摊",
                "address": "文三路100号",
                "category": "street_vendor",
                "area": "330106004",
                "complainant_phone": "13800001111",
            }
            t = time.perf_counter()
            response = client.post("/api/complaints", json=body, headers=headers)
            intake.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 201, response.text
    return {
        "database": kind,
        "cases_stored": args.cases,
        "seed_seconds": round(seed_s, 1),
        "post_complaint": percentiles(intake),
        "baseline_get_me": percentiles(me),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--pg", help="PostgreSQL URL of a scratch database (dropped and recreated)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = [run("sqlite", args, Path(tmp))]
        if args.pg:
            results.append(run("postgresql", args, Path(tmp)))
    emit({"benchmark": "intake_latency", "machine": machine(), "results": results}, args.out)


if __name__ == "__main__":
    main()
