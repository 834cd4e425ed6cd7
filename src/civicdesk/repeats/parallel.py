"""The rebuild's detection in several processes: complaints of different top-level category
groups never share a blocking key, so each group can be decided apart. Each worker reads the
committed database itself and returns its keys and link rows; the parent writes them."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.intake.models import Complaint
from civicdesk.repeats.batch import Part, Span, detect_part
from civicdesk.repeats.context import RepeatContext


def detect_parallel(
    session: Session, ctx: RepeatContext, span: Span, *, now: datetime, workers: int
) -> list[Part]:
    shares = _balanced_groups(session, ctx, workers)
    if len(shares) < 2:
        return [detect_part(session, ctx, span, now=now)]
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    # fork: the workers inherit the loaded code and the context (which holds caches that do
    # not pickle) instead of receiving them.
    _inherited["context"] = ctx
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(len(shares), mp_context=context) as pool:
            futures = [pool.submit(_work, url, span, now, share) for share in shares]
            return [f.result() for f in futures]
    finally:
        _inherited.clear()


_inherited: dict[str, RepeatContext] = {}


def _work(url: str, span: Span, now: datetime, categories: list[int | None]) -> Part:
    from civicdesk.db import make_engine

    ctx = _inherited["context"]
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return detect_part(session, ctx, span, now=now, categories=categories)
    finally:
        engine.dispose()


def _balanced_groups(session: Session, ctx: RepeatContext, workers: int) -> list[list[int | None]]:
    """Category groups dealt to the workers by their complaint counts, largest first."""
    counts: dict[int, int] = {}
    members: dict[int, list[int | None]] = {}
    rows = session.execute(
        select(Complaint.category_id, func.count()).group_by(Complaint.category_id)
    )
    for category, count in rows:
        group = ctx.taxonomy.group(category)
        counts[group] = counts.get(group, 0) + count
        members.setdefault(group, []).append(category)
    shares: list[list[int | None]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for group in sorted(counts, key=counts.__getitem__, reverse=True):
        target = loads.index(min(loads))
        shares[target].extend(members[group])
        loads[target] += counts[group]
    return [share for share in shares if share]
