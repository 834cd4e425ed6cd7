"""Live SQLite tables (complaints and cases) for the transactional-path timing of
bench_assessment: written from the same synthetic rows, with raw SQL (no ORM) for speed."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from civicdesk.config.loader import load_config
from civicdesk.db import make_engine
from civicdesk.migrate import upgrade

CHUNK = 200_000


def _ts(series: pd.Series) -> list[str | None]:
    text = series.dt.strftime("%Y-%m-%d %H:%M:%S.000000")
    return [None if pd.isna(v) else v for v in text]


def build_live_sqlite(
    workdir: Path, n: int, ids: dict, synthetic_chunk: Callable[..., pd.DataFrame]
) -> tuple[str, float]:
    path = workdir / f"live_{n}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        return url, 0.0
    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.commit()
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    rng = np.random.default_rng(6)
    done = 0
    while done < n:
        size = min(CHUNK, n - done)
        frame = synthetic_chunk(rng, size, done + 1, ids)
        _write(con, frame)
        done += size
    con.commit()
    con.close()
    return url, time.perf_counter() - started


def _status(f: pd.DataFrame) -> np.ndarray:
    conditions = [
        f.voided == 1,
        f.not_filed == 1,
        f.closed == 1,
        f.suspended == 1,
        f.handled == 1,
        f.accepted == 1,
        f.dispatched == 1,
        f.filed == 1,
    ]
    names = [
        "merged",
        "not_filed",
        "closed",
        "suspended",
        "handled",
        "accepted",
        "dispatched",
        "filed",
    ]
    return np.select(conditions, names, default="received")


def _write(con: sqlite3.Connection, f: pd.DataFrame) -> None:
    at = pd.Series(f["received_at"])
    due = at + pd.Timedelta(days=10)
    hour = pd.Timedelta(hours=1)
    primary = f.case_primary == 1
    cases = f[primary]
    c_at = at[primary]

    def when(flag: str, offset: pd.Timedelta) -> list[Any]:
        return _ts((c_at + offset).where(cases[flag] == 1))

    satisfaction = np.select(
        [cases.satisfied == 1, cases.basically == 1, cases.unsatisfied == 1],
        ["satisfied", "basically", "unsatisfied"],
        default=None,
    )
    late_accept = (cases.accepted == 1) & (cases.accepted_on_time == 0)
    late_handle = cases.handled_late == 1
    rows = zip(
        cases.complaint_id.tolist(),
        [f"B{i:010d}" for i in cases.complaint_id.tolist()],
        _status(cases).tolist(),
        cases.category_id.tolist(),
        cases.district_id.astype(object).where(cases.district_id.notna(), None).tolist(),
        cases.street_id.astype(object).where(cases.street_id.notna(), None).tolist(),
        cases.unit_id.astype(object).where(cases.unit_id.notna(), None).tolist(),
        _ts(c_at),
        when("filed", hour / 6),
        when("dispatched", hour / 3),
        when("accepted", hour),
        when("handled", hour * 30),
        when("closed", hour * 40),
        _ts(due[primary]),
        [None if s is None else s for s in satisfaction.tolist()],
        [int(v) for v in late_accept.where(cases.accepted == 1).fillna(0)],
        [int(v) for v in late_handle.where(cases.handled == 1).fillna(0)],
        cases.rework.tolist(),
        cases.returned.tolist(),
        cases.extended.tolist(),
        strict=True,
    )
    con.executemany(
        "INSERT INTO cases (id, number, status, title, category_id, district_id, street_id, "
        "unit_id, opened_at, filed_at, dispatched_at, accepted_at, handled_at, closed_at, "
        "handle_due_at, satisfaction, accepted_late, handled_late, rework_count, "
        "returned_count, extension_count, complaint_count, urge_count) VALUES (?, ?, ?, '案件', "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0)",
        rows,
    )
    complaints = zip(
        f.complaint_id.tolist(),
        f.channel_id.tolist(),
        _ts(at),
        _ts(at),
        f.district_id.astype(object).where(f.district_id.notna(), None).tolist(),
        f.street_id.astype(object).where(f.street_id.notna(), None).tolist(),
        f.category_id.tolist(),
        [int(c) if p else None for c, p in zip(f.complaint_id, primary, strict=True)],
        strict=True,
    )
    con.executemany(
        "INSERT INTO complaints (id, channel_id, received_at, created_at, text, district_id, "
        "street_id, area_id, category_id, case_id) VALUES (?, ?, ?, ?, '投诉', ?, ?, ?, ?, ?)",
        ((i, ch, r, c, d, s, s, cat, case) for i, ch, r, c, d, s, cat, case in complaints),
    )
