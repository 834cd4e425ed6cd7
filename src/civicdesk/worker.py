"""``civicdesk worker``: the background loop that runs the supervision sweep and delivers the
outbox, every ``--interval`` seconds, until SIGTERM or SIGINT (it finishes the pass in hand and
exits 0). The rule files are checked before the first pass: a broken configuration stops the
worker at start-up with the problem named."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.assessment.hotspot_alerts import ScanStats, run_scan
from civicdesk.clock import Clock, SystemClock
from civicdesk.config.policies import check_active
from civicdesk.db import session_factory
from civicdesk.notifications.delivery import DeliveryStats, deliver_pending
from civicdesk.portal.inbox import DrainStats, drain_inbox
from civicdesk.supervision.sweep import SweepStats
from civicdesk.supervision.tasks import run_sweep

log = logging.getLogger("civicdesk.worker")


@dataclass
class PassResult:
    at: datetime
    sweep: SweepStats
    delivery: DeliveryStats
    inbox: DrainStats | None = None  # citizen submissions taken through intake (portal.inbox)
    hotspots: ScanStats | None = None  # hot-spot spike scan; None when not due this pass


def check_configuration(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        check_active(session)


def one_pass(
    sessions: sessionmaker[Session],
    *,
    clock: Clock,
    assume_weekdays: bool = False,
    stop: threading.Event | None = None,
) -> PassResult:
    at = clock.now()
    sweep = run_sweep(sessions, now=at, assume_weekdays=assume_weekdays)
    # Hot-spot spikes (issue 6), at most every hotspots.scan_minutes; alerts go to the outbox.
    hotspots = run_scan(sessions, now=at, force=False)
    delivery = deliver_pending(sessions, now=clock.now, limit=10_000)
    inbox = drain_inbox(sessions, now=clock.now, stop=stop)
    return PassResult(at, sweep, delivery, inbox, hotspots)


def run(
    engine: Engine,
    *,
    interval: float,
    once: bool = False,
    clock: Clock | None = None,
    assume_weekdays: bool = False,
    stop: threading.Event | None = None,
    report: Callable[[PassResult], None] | None = None,
) -> int:
    """Run passes until stopped; returns the number of passes made."""
    sessions = session_factory(engine)
    clock = clock or SystemClock()
    stop = stop or threading.Event()
    check_configuration(sessions)
    passes = 0
    while not stop.is_set():
        result = one_pass(sessions, clock=clock, assume_weekdays=assume_weekdays, stop=stop)
        passes += 1
        if report is not None:
            report(result)
        if once:
            break
        _drain_while_waiting(sessions, clock, stop, interval)
    return passes


def _drain_while_waiting(
    sessions: sessionmaker[Session], clock: Clock, stop: threading.Event, interval: float
) -> None:
    """Between passes, take citizens' submissions through intake every second (a tracking
    page should not say 正在分派 for a whole interval)."""
    until = time.monotonic() + interval
    while not stop.is_set() and (left := until - time.monotonic()) > 0:
        try:
            drain_inbox(sessions, now=clock.now, stop=stop)
        except Exception:  # the pass goes on; the next try is a second away
            log.exception("portal inbox drain failed")
        stop.wait(min(1.0, left))


def install_signal_handlers(stop: threading.Event) -> None:
    """SIGTERM (systemd, docker stop, the demo's shutdown) and SIGINT stop after this pass."""

    def handler(signum: int, _frame: object) -> None:
        log.info("signal %s: stopping after the current pass", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def worker_command(
    interval: float | None = typer.Option(
        None, min=0.05, help="Seconds between passes (CIVICDESK_WORKER_INTERVAL_SECONDS, 60)."
    ),
    once: bool = typer.Option(False, "--once", help="One pass (sweep + outbox), then exit."),
    nice: int = typer.Option(
        0,
        min=0,
        max=19,
        help="Lower this process's CPU priority by NICE (a worker on the web server's host: "
        "under a flood of submissions the pages answer first, the drain takes the idle CPU).",
    ),
) -> None:
    """Run the supervision sweep and deliver the outbox every INTERVAL seconds until SIGTERM."""
    from civicdesk.db import get_engine
    from civicdesk.errors import ConfigurationError
    from civicdesk.notifications.settings import get_notification_settings
    from civicdesk.settings import get_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if nice:
        log.info("worker running at nice %d", os.nice(nice))
    every = interval or get_notification_settings().worker_interval_seconds
    stop = threading.Event()
    install_signal_handlers(stop)
    try:
        passes = run(
            get_engine(),
            interval=every,
            once=once,
            assume_weekdays=get_settings().assume_weekdays_for_unknown_years,
            stop=stop,
            report=_log_pass,
        )
    except ConfigurationError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"worker stopped after {passes} pass(es)")


def _log_pass(result: PassResult) -> None:
    log.info(
        "pass at %s: %d notices issued (%d candidates), outbox sent %d retried %d failed %d",
        result.at.isoformat(timespec="seconds"),
        result.sweep.issued,
        result.sweep.candidates,
        result.delivery.sent,
        result.delivery.retried,
        result.delivery.failed,
    )
    if result.inbox is not None and result.inbox.taken:
        log.info(
            "citizen inbox: %d taken through intake, %d set aside as failed",
            result.inbox.done,
            result.inbox.failed,
        )
