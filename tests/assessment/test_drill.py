"""Drill-down: every figure lists exactly the complaints it counts — every measure, both parts,
all three periods, on both backends — and the JSON route and staff page serve it by role."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.app import create_app
from civicdesk.assessment.analytical import refresh
from civicdesk.assessment.drill import drill
from civicdesk.assessment.engine import evaluate
from civicdesk.assessment.measures import MEASURE_LIST
from civicdesk.errors import InvalidInput
from civicdesk.reports.periods import Period
from civicdesk.settings import Settings
from tests import builders as b
from tests.assessment.test_engine import AS_OF, MARCH, build_march
from tests.assessment.world import World, make_world


@pytest.fixture
def world(session: Session) -> World:
    w = make_world(session)
    build_march(w)
    w.case("2026-03-12 10:00", street=w.xixi, unit=w.other_unit)
    w.case("2025-03-12 10:00", status="accepted", handled=False, handle_due="2025-03-20 17:00")
    w.case("2026-02-12 10:00", satisfaction="satisfied")
    return w


@pytest.mark.parametrize("backend", ["sql", "duckdb"])
def test_drill_count_equals_every_figure(
    session: Session, world: World, backend: str, tmp_path: Path
) -> None:
    path = tmp_path / "facts.duckdb"
    if backend == "duckdb":
        refresh(session, path)
    options: dict[str, Any] = {"as_of": AS_OF, "backend": backend, "duckdb_path": path}
    result = evaluate(session, period=MARCH, by="district", **options)
    checked = 0
    for row in result.rows:
        if row.figures["complaints"].value == 0 and row.figures["complaints"].last_year.value == 0:
            continue
        for m in MEASURE_LIST:
            figure = row.figures[m.key]
            for which in ("current", "last_year", "previous"):
                value = getattr(figure, which)
                parts = {"numerator": value.numerator}
                if m.is_rate:
                    parts["denominator"] = value.denominator
                for part, expected in parts.items():
                    page = drill(
                        session,
                        measure=m.key,
                        period=MARCH,
                        by="district",
                        key=row.key,
                        part=part,
                        which=which,
                        page_size=500,
                        **options,
                    )  # type: ignore[arg-type]
                    assert page.total == expected, (row.label, m.key, which, part)
                    assert len(page.items) == expected
                    checked += 1
    assert checked > 100


def test_drill_items_pages_and_month_keys(session: Session, world: World) -> None:
    page = drill(session, measure="complaints", period=MARCH, page_size=4, as_of=AS_OF)
    assert page.total == 12 and page.pages == 3 and len(page.items) == 4
    second = drill(session, measure="complaints", period=MARCH, page_size=4, page=2, as_of=AS_OF)
    assert not {i.complaint_id for i in page.items} & {i.complaint_id for i in second.items}
    item = page.items[0]
    assert item.case_number and item.district == "上城区" and item.unit == world.unit.name
    q1 = Period(date(2026, 1, 1), date(2026, 3, 31))
    feb = drill(session, measure="closed", period=q1, by="month", key=("2026-02",), as_of=AS_OF)
    assert feb.total == 1 and feb.period == Period(date(2026, 2, 1), date(2026, 2, 28))
    closed_cases = drill(
        session, measure="closure_rate", period=MARCH, as_of=AS_OF, part="numerator"
    )
    # A case measure lists one complaint per case: its first.
    assert len({i.case_id for i in closed_cases.items}) == closed_cases.total == 4


def test_drill_refuses_what_is_not_a_figure(session: Session, world: World) -> None:
    with pytest.raises(InvalidInput, match="没有分母"):
        drill(session, measure="complaints", period=MARCH, part="denominator")
    with pytest.raises(InvalidInput, match="未知指标"):
        drill(session, measure="nope", period=MARCH)
    with pytest.raises(InvalidInput, match="键应有"):
        drill(session, measure="complaints", period=MARCH, by="district", key=())
    with pytest.raises(InvalidInput, match="不在考核期内"):
        drill(session, measure="complaints", period=MARCH, by="month", key=("2025-01",))


@pytest.fixture
def web(session: Session, clock: Any, db_url: str, now: datetime) -> Iterator[TestClient]:
    app = create_app(
        Settings(database_url=db_url, secret_key="test-secret"),
        engine=session.get_bind().engine,
        clock=clock,
    )
    app.state.sessionmaker = sessionmaker(
        bind=session.connection(),
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )
    for role, username in (("leader", "lead"), ("operator", "op"), ("dispatcher", "disp")):
        b.user(session, role, now=now, username=username)
    session.flush()
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _login(client: TestClient, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": b.PASSWORD})
    assert response.status_code == 303, response.text


def test_json_route_and_page(session: Session, world: World, web: TestClient) -> None:
    district = world.shangcheng.id
    query = (
        f"measure=closure_rate&from=2026-03-01&to=2026-03-31&by=district&key={district}"
        "&part=denominator"
    )
    assert web.get(f"/api/assessment/drill?{query}").status_code in (401, 303)
    _login(web, "op")
    assert web.get(f"/api/assessment/drill?{query}").status_code == 403
    _login(web, "lead")
    body = web.get(f"/api/assessment/drill?{query}").json()
    figure = evaluate(session, period=MARCH, by="district", measures="closure_rate")
    expected = figure.row(world.shangcheng.code).figures["closure_rate"].denominator
    assert body["total"] == expected == 6
    assert body["measure_name"] == "结案率" and len(body["items"]) == 6
    page = web.get(f"/assessment/drill?{query}&page_size=4")
    assert page.status_code == 200
    html = page.text
    assert "结案率" in html and 'id="drill-total">6<' in html and "下一页" in html
    number = body["items"][0]["case_number"]
    assert f'href="/cases/{number}"' in html
    bad = web.get("/api/assessment/drill?measure=closure_rate&from=2026-03-01")
    assert bad.status_code == 422 and "考核期" in bad.text
    _login(web, "disp")
    assert web.get(f"/assessment/drill?{query}").status_code == 200
