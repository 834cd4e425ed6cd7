"""Emerging spikes: a category or a place whose complaints this week rose above its usual level,
and the alerts that tell the centre.

**Method** (the thresholds are ``hotspots.*`` settings in city.yaml; docs/reports.md):

- Weeks are local calendar weeks, Monday to Sunday (Asia/Shanghai). A scan looks at the last
  complete week and at the current week so far; a week so far is compared with a whole week's
  baseline, which only makes the test stricter (an early alert is a strong one).
- The **baseline** of a subject (a category, a street, a community) is its mean weekly count over
  the ``baseline_weeks`` weeks before the tested week, never less than ``min_expected``.
- **Seasonal adjustment** (``seasonal``): when the same weeks a year earlier (52 weeks back, so
  weekdays match) held at least ``seasonal_min`` complaints, the baseline is multiplied by last
  year's ratio of that week to its own trailing mean, clipped to [0.5, 2] — July noise is not a
  spike if it rose as much last July.
- **Test**: the week is a spike when its count is at least ``min_count``, at least ``min_ratio``
  times the baseline, and improbable: P(X ≥ observed) < ``alpha`` for X Poisson with the
  baseline as mean — or, when the baseline weeks vary more than Poisson allows (variance/mean =
  φ > 1), negative binomial with that mean and variance φ × mean (quasi-Poisson, as outbreak
  detection does for overdispersed counts).

Alerts: ``hotspot_alerts.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from civicdesk.assessment.dashboard import context as measure_context
from civicdesk.assessment.hotspot_models import AlertKind
from civicdesk.clock import to_local
from civicdesk.config.service import get_setting
from civicdesk.errors import ConfigurationError
from civicdesk.intake.models import Complaint
from civicdesk.org.models import Area, AreaLevel
from civicdesk.reports.periods import Period
from civicdesk.reports.summary import COMPLAINTS, count_complaints
from civicdesk.taxonomy.models import Category


@dataclass(frozen=True)
class SpikeSettings:
    baseline_weeks: int = 8
    alpha: float = 0.001
    min_count: int = 10
    min_ratio: float = 1.5
    min_expected: float = 1.0
    seasonal: bool = True
    seasonal_min: int = 20
    kinds: tuple[str, ...] = ("category", "street")
    scan_minutes: float = 60.0  # the worker scans at most this often

    def as_dict(self) -> dict[str, Any]:
        return {
            "test": "poisson",
            "baseline_weeks": self.baseline_weeks,
            "alpha": self.alpha,
            "min_count": self.min_count,
            "min_ratio": self.min_ratio,
            "min_expected": self.min_expected,
            "seasonal": self.seasonal,
        }


_TYPES = {
    "baseline_weeks": int,
    "alpha": float,
    "min_count": int,
    "min_ratio": float,
    "min_expected": float,
    "seasonal_min": int,
    "scan_minutes": float,
}


def spike_settings(session: Session) -> SpikeSettings:
    """``hotspots.*`` settings of city.yaml over the defaults above; a bad value is named."""
    values: dict[str, Any] = {}
    for name, kind in _TYPES.items():
        text = get_setting(session, f"hotspots.{name}")
        if text is None:
            continue
        try:
            values[name] = kind(text)
        except ValueError:
            raise ConfigurationError(f"hotspots.{name}={text!r}: expected a number") from None
    seasonal = get_setting(session, "hotspots.seasonal")
    if seasonal is not None:
        values["seasonal"] = seasonal.strip().lower() in ("1", "true", "yes", "on")
    kinds = get_setting(session, "hotspots.kinds")
    if kinds is not None:
        values["kinds"] = tuple(k.strip() for k in kinds.strip("[]").split(",") if k.strip())
    settings = SpikeSettings(**values)
    unknown = set(settings.kinds) - {k.value for k in AlertKind}
    if unknown or settings.baseline_weeks < 2 or not 0 < settings.alpha < 1:
        raise ConfigurationError(
            f"hotspots settings: kinds must be among category/street/community (got "
            f"{sorted(unknown)}), baseline_weeks ≥ 2, 0 < alpha < 1"
        )
    return settings


# ---- the test -------------------------------------------------------------------------------


def poisson_tail(observed: int, mean: float) -> float:
    """P(X ≥ observed) for X ~ Poisson(mean), summed upwards from ``observed`` in log space
    (exact enough for any count; only called with observed > mean, where terms fall)."""
    if observed <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if observed <= mean:
        return 1.0  # not a rise: the caller never alerts on it
    term = math.exp(-mean + observed * math.log(mean) - math.lgamma(observed + 1))
    total, k = term, observed
    while term > total * 1e-16 and k < observed + 100_000:
        k += 1
        term *= mean / k
        total += term
    return min(1.0, total)


def negative_binomial_tail(observed: int, mean: float, variance: float) -> float:
    """P(X ≥ observed) for a negative binomial with this mean and variance (> mean): the count
    of an overdispersed process, parametrised by moments (r = m²/(v−m), p = m/v)."""
    if variance <= mean:
        return poisson_tail(observed, mean)
    if observed <= mean:
        return 1.0
    p = mean / variance
    r = mean * mean / (variance - mean)
    log_term = (
        math.lgamma(observed + r)
        - math.lgamma(r)
        - math.lgamma(observed + 1)
        + r * math.log(p)
        + observed * math.log1p(-p)
    )
    term = math.exp(log_term)
    total, k = term, observed
    while term > total * 1e-16 and k < observed + 1_000_000:
        term *= (k + r) / (k + 1) * (1 - p)
        k += 1
        total += term
    return min(1.0, total)


@dataclass(frozen=True)
class Verdict:
    observed: int
    expected: float
    p_value: float
    spike: bool
    seasonal_factor: float = 1.0
    baseline_mean: float = 0.0
    dispersion: float = 1.0  # baseline variance / mean, at least 1 (1: Poisson)


def judge(
    observed: int,
    history: list[int],
    settings: SpikeSettings,
    *,
    last_year: int | None = None,
    last_year_history: list[int] | None = None,
) -> Verdict:
    """Is ``observed`` a spike against ``history`` (the weeks before, oldest first)?"""
    mean = sum(history) / len(history) if history else 0.0
    factor = 1.0
    if settings.seasonal and last_year is not None and last_year_history:
        ly_mean = sum(last_year_history) / len(last_year_history)
        if sum(last_year_history) + last_year >= settings.seasonal_min and ly_mean > 0:
            factor = min(2.0, max(0.5, last_year / ly_mean))
    expected = max(settings.min_expected, mean * factor)
    # Weeks vary more than Poisson allows (clusters of complaints about one problem, holidays):
    # the dispersion seen in the baseline widens the test, so a noisy subject needs more.
    dispersion = 1.0
    if len(history) >= 2 and mean > 0:
        variance = sum((x - mean) ** 2 for x in history) / (len(history) - 1)
        dispersion = max(1.0, variance / mean)
    p_value = negative_binomial_tail(observed, expected, expected * dispersion)
    spike = (
        observed >= settings.min_count
        and observed >= settings.min_ratio * expected
        and p_value < settings.alpha
    )
    return Verdict(observed, expected, p_value, spike, factor, mean, dispersion)


# ---- counting weeks -------------------------------------------------------------------------


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Subject:
    kind: str
    code: str
    name: str
    category_id: int | None = None
    area_id: int | None = None


@dataclass(frozen=True)
class Spike:
    subject: Subject
    week: date  # Monday
    verdict: Verdict
    partial: bool  # the week is not over yet


def _group_column(kind: str) -> ColumnElement[Any]:
    return {
        AlertKind.category: Complaint.category_id,
        AlertKind.street: Complaint.street_id,
        AlertKind.community: Complaint.area_id,
    }[AlertKind(kind)]


def _subjects(session: Session, kind: str) -> dict[int, Subject]:
    if kind == AlertKind.category:
        return {
            c.id: Subject(kind, c.code, c.name, category_id=c.id)
            for c in session.scalars(select(Category))
        }
    level = AreaLevel.street if kind == AlertKind.street else AreaLevel.community
    return {
        a.id: Subject(kind, a.code, a.name, area_id=a.id)
        for a in session.scalars(select(Area).where(Area.level == level))
    }


def find_spikes(session: Session, *, now: datetime, settings: SpikeSettings) -> list[Spike]:
    """Spikes in the last complete week and the current week so far, for every configured kind;
    one counting query per kind."""
    today = to_local(now).date()
    current = week_start(today)
    weeks_back = settings.baseline_weeks + 1
    starts = [current - timedelta(weeks=i) for i in range(weeks_back, -1, -1)]  # oldest first
    periods = [Period(s, min(s + timedelta(days=6), today)) for s in starts]
    year_ago = [Period(s - timedelta(weeks=52), s - timedelta(weeks=52, days=-6)) for s in starts]
    spikes: list[Spike] = []
    ctx = measure_context(session)
    for kind in settings.kinds:
        counts = count_complaints(
            session,
            measures=(COMPLAINTS,),
            periods=periods + (year_ago if settings.seasonal else []),
            context=ctx,
            group_by=_group_column(kind),
        )
        subjects = _subjects(session, kind)
        for key, values in counts.items():
            subject = subjects.get(key)
            if subject is None:
                continue
            series = list(values[COMPLAINTS.key])
            spikes += _spikes_in(subject, series, starts, today, settings)
    return spikes


def _spikes_in(
    subject: Subject, series: list[int], starts: list[date], today: date, settings: SpikeSettings
) -> list[Spike]:
    n = len(starts)
    this, last = series[:n], series[n:] if settings.seasonal else []
    found: list[Spike] = []
    spiked: set[int] = set()
    for index in (n - 2, n - 1):  # the last complete week, then this week so far
        # The baseline is the weeks before, leaving out a week that was itself a spike: a spike
        # that goes on is measured against the usual level, not against itself.
        window = [j for j in range(max(0, index - settings.baseline_weeks - 1), index)]
        window = [j for j in window if j not in spiked][-settings.baseline_weeks :]
        verdict = judge(
            this[index],
            [this[j] for j in window],
            settings,
            last_year=last[index] if last else None,
            last_year_history=[last[j] for j in window] if last else None,
        )
        if verdict.spike:
            spiked.add(index)
            partial = starts[index] + timedelta(days=6) > today
            found.append(Spike(subject, starts[index], verdict, partial))
    return found
