"""Flood protection: token buckets, and the same complaint 100 times in a minute."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicdesk.intake.models import Complaint
from civicdesk.portal.limits import TokenBucket
from tests.citizen import portal_csrf, submit


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_bucket_allows_its_limit_then_refills_over_the_period():
    clock = FakeClock()
    bucket = TokenBucket(3, period=3600, clock=clock)
    assert [bucket.take("a") for _ in range(3)] == [None, None, None]
    wait = bucket.take("a")
    assert wait == pytest.approx(1200)  # one token every 20 minutes
    assert bucket.take("b") is None  # other keys are not affected
    clock.t += 1200
    assert bucket.take("a") is None and bucket.take("a") is not None


def test_a_zero_limit_is_off():
    bucket = TokenBucket(0)
    assert all(bucket.take("x") is None for _ in range(100))


@pytest.fixture
def settings_overrides():
    return {
        "portal_limit_per_address": 30,
        "portal_limit_per_phone": 6,
        "portal_track_limit_per_address": 60,
    }


def complaints(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(Complaint)) or 0


def test_the_same_complaint_100_times_in_a_minute(client, session):
    """Each answer is clear, and exactly one complaint is recorded: the duplicates return the
    first case while the address's bucket lasts, then the limit answers 429."""
    before = complaints(session)
    csrf = portal_csrf(client)
    answers = [submit(client, csrf=csrf) for _ in range(100)]
    codes = [a.status_code for a in answers]
    assert codes[:30] == [303] * 30 and set(codes[30:]) == {429}
    assert answers[0].headers["location"].endswith("?new=1")
    assert all(a.headers["location"].endswith("?again=1") for a in answers[1:30])
    assert "提交过于频繁" in answers[-1].text
    assert complaints(session) == before + 1


def test_one_phone_is_limited_whatever_the_text(client, session):
    csrf = portal_csrf(client)
    codes = [submit(client, csrf=csrf, text=f"第{i}次反映不同的问题").status_code for i in range(8)]
    assert codes == [303] * 6 + [429] * 2


def test_tracking_guesses_are_limited(client):
    csrf = portal_csrf(client, "/portal/track")
    codes = set()
    for i in range(70):
        response = client.post(
            "/portal/track", data={"csrf": csrf, "number": f"HZ2026031000{i:03d}", "phone": "1"}
        )
        codes.add(response.status_code)
    assert codes == {404, 429}
