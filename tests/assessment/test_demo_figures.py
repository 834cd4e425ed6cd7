"""The source's January–July figures for the main urban area, from the engine on the full demo
history (both paths), as the summary report states them. Slow: the whole history is generated
and the repeat detector run over it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from civicdesk.assessment.analytical import refresh
from civicdesk.assessment.engine import evaluate
from civicdesk.config.loader import load_config
from civicdesk.db import make_engine
from civicdesk.demo.generator import generate_history
from civicdesk.migrate import upgrade
from civicdesk.repeats.batch import rebuild
from civicdesk.reports.periods import Period
from civicdesk.reports.summary import summary

JAN_JUL = Period(date(2026, 1, 1), date(2026, 7, 31))


@pytest.mark.slow
def test_engine_reproduces_the_published_january_to_july_figures(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'full.db'}")
    upgrade(engine)
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.commit()
        generate_history(session, year=2026, today=date(2026, 11, 27))
        session.commit()
        rebuild(session, now=now)
        session.commit()
        measures = ["complaints", "hotspot", "repeats"]
        live = evaluate(session, period=JAN_JUL, measures=measures, as_of=now)
        refresh(session, tmp_path / "facts.duckdb", now=now)
        fast = evaluate(
            session,
            period=JAN_JUL,
            measures=measures,
            as_of=now,
            backend="duckdb",
            duckdb_path=tmp_path / "facts.duckdb",
        )
        report = summary(session, start=JAN_JUL.start, end=JAN_JUL.end)
    engine.dispose()
    for result in (live, fast):
        total = result.total.figures
        complaints, hotspot, repeats = total["complaints"], total["hotspot"], total["repeats"]
        # 主城区投诉总量16676件，比去年同期减少16295件，下降49.42%
        assert (complaints.value, complaints.last_year.value) == (16676, 32971)
        assert complaints.yoy_change == -16295 and complaints.yoy_percent == Decimal("-49.42")
        # 9类热点问题 13021件，下降36%
        assert hotspot.value == 13021 and round(hotspot.yoy_percent) == -36
        # 重复投诉量2460件，比去年同期的6483件减少了4023件，降幅达62.05% — as the repeat
        # detector counts them (the links it confirms), the same as the summary report.
        assert (repeats.value, repeats.last_year.value) == (
            report.repeats.current,
            report.repeats.previous,
        )
        assert (repeats.value, repeats.last_year.value) == (2460, 6483)
        assert repeats.yoy_change == -4023 and repeats.yoy_percent == Decimal("-62.05")
        print(
            f"\n{result.backend}: repeats {repeats.value} vs {repeats.last_year.value}, "
            f"{repeats.yoy_change}, {repeats.yoy_percent}%"
        )
