"""Hot-spot alerts: recording each spike once, telling the centre, acknowledgement, and the scan
as a task for the worker and the CLI (detection itself: ``hotspots.py``).

**Alerts** are raised once per spike: the row's unique key (kind, subject, first week) makes a
second scan of the same week, or a second worker at the same moment, insert nothing
(``INSERT … ON CONFLICT DO NOTHING``); a spike that goes on the next week updates its alert
(``last_week_start``, ``peak``) rather than raising another. Only an inserted row writes its
outbox message to the centre, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from civicdesk.assessment.hotspot_models import KIND_LABELS, AlertKind, AlertStatus, HotspotAlert
from civicdesk.assessment.hotspots import Spike, SpikeSettings, find_spikes, spike_settings
from civicdesk.notifications import service as outbox

# ---- alerts ---------------------------------------------------------------------------------


@dataclass
class ScanStats:
    spikes: int = 0
    raised: int = 0
    continued: int = 0
    messages: int = 0
    raised_ids: list[int] = field(default_factory=list)


def raise_alerts(
    session: Session, spikes: list[Spike], *, now: datetime, settings: SpikeSettings
) -> ScanStats:
    """Record each spike once and tell the centre about new ones (flush only)."""
    stats = ScanStats(spikes=len(spikes))
    recipient = centre_recipient(session)
    for spike in spikes:
        if _continue_alert(session, spike, now):
            stats.continued += 1
            continue
        alert_id = _insert_once(session, spike, now=now, settings=settings)
        if alert_id is None:
            continue
        stats.raised += 1
        stats.raised_ids.append(alert_id)
        stats.messages += outbox.enqueue(session, [_message(recipient, spike, alert_id)], now=now)
    return stats


def _continue_alert(session: Session, spike: Spike, now: datetime) -> bool:
    """A spike seen the week before (or already this week) is the same spike: update it."""
    alert = session.scalars(
        select(HotspotAlert)
        .where(
            HotspotAlert.kind == spike.subject.kind,
            HotspotAlert.subject_code == spike.subject.code,
            HotspotAlert.last_week_start >= spike.week - timedelta(weeks=1),
            HotspotAlert.week_start <= spike.week,
        )
        .order_by(HotspotAlert.week_start.desc())
        .limit(1)
    ).first()
    if alert is None:
        return False
    observed = spike.verdict.observed
    if alert.last_week_start < spike.week or observed > alert.peak:
        session.execute(
            update(HotspotAlert)
            .where(HotspotAlert.id == alert.id)
            .values(
                last_week_start=max(alert.last_week_start, spike.week),
                peak=max(alert.peak, observed),
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    return True


def _insert_once(
    session: Session, spike: Spike, *, now: datetime, settings: SpikeSettings
) -> int | None:
    verdict = spike.verdict
    method = settings.as_dict() | {
        "baseline_mean": round(verdict.baseline_mean, 3),
        "seasonal_factor": round(verdict.seasonal_factor, 3),
        "dispersion": round(verdict.dispersion, 3),
        "partial_week": spike.partial,
    }
    values = {
        "kind": spike.subject.kind,
        "subject_code": spike.subject.code,
        "subject_name": spike.subject.name,
        "category_id": spike.subject.category_id,
        "area_id": spike.subject.area_id,
        "week_start": spike.week,
        "last_week_start": spike.week,
        "observed": verdict.observed,
        "expected": round(verdict.expected, 3),
        "p_value": verdict.p_value,
        "peak": verdict.observed,
        "method": method,
        "status": AlertStatus.open.value,
        "raised_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(HotspotAlert)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["kind", "subject_code", "week_start"])
        .returning(HotspotAlert.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def centre_recipient(session: Session) -> outbox.Recipient:
    """The 96310 centre as supervision.yaml names it (its e-mail/phone there)."""
    from civicdesk.config.policies import supervision_policy
    from civicdesk.org.models import Unit
    from civicdesk.supervision.notices import UnitDirectory

    policy = supervision_policy(session)
    code = policy.centre or ""
    unit = session.scalars(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        return outbox.Recipient(None, code or "centre")
    recipient = UnitDirectory(session, policy).recipient(unit.id)
    return recipient or outbox.Recipient(unit.id, unit.code)


def _message(recipient: outbox.Recipient, spike: Spike, alert_id: int) -> outbox.Message:
    v = spike.verdict
    end = spike.week + timedelta(days=6)
    what = f"{KIND_LABELS[AlertKind(spike.subject.kind)]}“{spike.subject.name}”"
    so_far = "（本周截至目前）" if spike.partial else ""
    body = (
        f"热点预警：{what}{spike.week:%m月%d日}至{end:%m月%d日}{so_far}投诉{v.observed}件，"
        f"常态水平约{v.expected:.1f}件/周，为常态的{v.observed / v.expected:.1f}倍"
        f"（检验 p={v.p_value:.2g}）。请关注并研判。预警编号 {alert_id}。"
    )
    return outbox.Message(recipient, f"热点预警：{what}投诉激增", body)


def scan(session: Session, *, now: datetime, settings: SpikeSettings | None = None) -> ScanStats:
    """One scan in the caller's transaction: find spikes, raise alerts (flush only)."""
    settings = settings or spike_settings(session)
    return raise_alerts(
        session, find_spikes(session, now=now, settings=settings), now=now, settings=settings
    )


def acknowledge(
    session: Session, alert_id: int, *, user_id: int, now: datetime, note: str | None = None
) -> HotspotAlert:
    """The centre has seen the alert (and says what it did); acknowledging twice keeps the first."""
    from civicdesk.errors import NotFound

    alert = session.get(HotspotAlert, alert_id)
    if alert is None:
        raise NotFound(f"预警 {alert_id} 不存在 / no alert {alert_id}")
    if alert.status != AlertStatus.acknowledged:
        alert.status = AlertStatus.acknowledged.value
        alert.acknowledged_at = now
        alert.acknowledged_by_id = user_id
        alert.note = (note or "").strip()[:1000] or None
        session.flush()
    return alert


def list_alerts(
    session: Session, *, status: str | None = None, limit: int = 200
) -> list[HotspotAlert]:
    stmt = select(HotspotAlert).order_by(HotspotAlert.raised_at.desc(), HotspotAlert.id.desc())
    if status:
        stmt = stmt.where(HotspotAlert.status == status)
    return list(session.scalars(stmt.limit(limit)))


# ---- as a task (the worker, the CLI) -----------------------------------------------------------

_last_scan: dict[str, datetime] = {}


def run_scan(sessions: Any, *, now: datetime, force: bool = True) -> ScanStats | None:
    """One scan in its own transaction; with ``force`` False (the worker), at most once every
    ``scan_minutes`` per database in this process (a skipped pass returns None)."""
    from civicdesk.db import begin_for_writing

    with sessions() as session:
        key = str(session.get_bind().url)
        settings = spike_settings(session)
    last = _last_scan.get(key)
    if not force and last is not None and now - last < timedelta(minutes=settings.scan_minutes):
        return None
    with sessions() as session:
        begin_for_writing(session)
        stats = scan(session, now=now, settings=settings)
        session.commit()
    _last_scan[key] = now
    return stats
