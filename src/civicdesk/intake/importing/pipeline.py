"""The whole import, in three phases so that nothing is ever half-imported (docs/import.md):
read the file, validate every row in memory, then write — only if no row failed (or
``skip_invalid``) — in the caller's transaction, recording the batch."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicdesk.accounts.models import User
from civicdesk.intake.importing.mapping import ColumnMap
from civicdesk.intake.importing.reading import check_columns, file_sha256, open_table
from civicdesk.intake.importing.references import References
from civicdesk.intake.importing.report import ImportReport, Progress, Skipped, UnreadableFile
from civicdesk.intake.importing.rows import Plan, existing_refs, plan_import
from civicdesk.intake.importing.writing import write_rows, write_rows_one_by_one
from civicdesk.intake.models import ImportBatch

WRITE_RETRIES = 3


def import_file(
    session: Session,
    path: Path,
    *,
    now: datetime,
    actor: User | None = None,
    channel: str | None = None,
    sheet: str | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    case_prefix: str | None = None,
    max_bytes: int | None = None,
    progress: Progress | None = None,
    filename: str | None = None,
    bulk: bool = True,
    mapping: ColumnMap | None = None,
    repeats: bool = True,
) -> ImportReport:
    """Import one file in the caller's transaction (the caller commits; nothing is committed here).

    Raises UnreadableFile when the file as a whole cannot be read. When rows fail validation and
    ``skip_invalid`` is false, nothing is written and ``report.written`` is False. ``bulk=False``
    writes through ``record_complaint`` row by row (the slow reference path).
    """
    started = time.perf_counter()
    if not path.is_file():
        raise UnreadableFile(f"文件不存在：{path}")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise UnreadableFile(f"文件过大：{size / 1e6:.1f} MB，上限 {max_bytes / 1e6:.0f} MB")
    refs = References.load(session)
    if channel:
        try:
            channel = refs.channel(channel).code
        except ValueError:
            known = "、".join(refs.lookups.channels)
            raise UnreadableFile(f"未知渠道：{channel}（--channel）；可用的渠道：{known}") from None
    report = ImportReport(
        filename=(filename or path.name)[:255], sha256=file_sha256(path), dry_run=dry_run
    )
    with open_table(path, sheet=sheet, mapping=mapping) as table:
        check_columns(table, default_channel=channel)
        report.encoding, report.sheet, report.headers = table.encoding, table.sheet, table.headers
        report.columns = {f: table.headers[i] for f, i in table.columns.items()}
        report.ignored_columns = table.ignored
        plan = plan_import(
            session, table, report, refs=refs, default_channel=channel, now=now, progress=progress
        )
    report.previous_import = _previous_import(session, report.sha256)
    report.read_seconds = time.perf_counter() - started
    if dry_run or (report.errors and not skip_invalid):
        return report
    started = time.perf_counter()
    batch = ImportBatch(
        filename=report.filename,
        sha256=report.sha256,
        started_at=now,
        actor_id=actor.id if actor else None,
        rows_total=report.rows_read,
    )
    session.add(batch)
    session.flush()
    _write_with_retries(
        session,
        plan,
        batch_id=batch.id,
        actor=actor,
        now=now,
        prefix=case_prefix or _case_prefix(session),
        progress=progress,
        writer=write_rows if bulk else write_rows_one_by_one,
    )
    batch.rows_imported, batch.rows_already_present = report.imported, report.already_present
    report.write_seconds = time.perf_counter() - started
    # The injected clock gives the start; the batch's end is the start plus the time it took.
    batch.rows_failed = report.failed
    batch.finished_at = now + timedelta(seconds=report.read_seconds + report.write_seconds)
    session.flush()
    report.batch_id, report.written = batch.id, True
    if repeats and plan.valid:
        report.repeat_links = _detect_repeats(session, plan, now)
    return report


def _write_with_retries(
    session: Session,
    plan: Plan,
    *,
    batch_id: int,
    actor: User | None,
    now: datetime,
    prefix: str,
    progress: Progress | None,
    writer: Callable[..., int],
) -> None:
    # Another writer (the web intake) may take a case number of the same day, or record one of
    # the file's tickets, while this import runs: re-check and re-allocate, a few times.
    for attempt in range(WRITE_RETRIES):
        try:
            with session.begin_nested():
                plan.report.imported = writer(
                    session,
                    plan.valid,
                    batch_id=batch_id,
                    actor=actor,
                    now=now,
                    case_prefix=prefix,
                    progress=progress,
                )
            return
        except IntegrityError:
            if attempt == WRITE_RETRIES - 1:
                raise
            present = existing_refs(session, plan.valid)
            for item in plan.valid:
                if (item.channel.id, item.data.upstream_ref or "") in present:
                    plan.report.skipped.append(
                        Skipped(item.row, item.data.upstream_ref or "", "已存在，跳过")
                    )
            plan.valid = [
                v for v in plan.valid if (v.channel.id, v.data.upstream_ref or "") not in present
            ]


def _detect_repeats(session: Session, plan: Plan, now: datetime) -> int:
    """The repeat check for the imported rows: a rebuild of the period they cover (the bulk
    write bypasses record_complaint, so the same rules run here in batch)."""
    from civicdesk.repeats.batch import rebuild

    times = [item.received_at for item in plan.valid]
    result = rebuild(session, start=min(times), end=max(times) + timedelta(seconds=1), now=now)
    return result.links


def _case_prefix(session: Session) -> str:
    from civicdesk.config.service import get_setting

    return get_setting(session, "case_number_prefix", "HZ") or "HZ"


def _previous_import(session: Session, sha256: str) -> tuple[int, datetime] | None:
    row = session.execute(
        select(ImportBatch.id, ImportBatch.finished_at)
        .where(ImportBatch.sha256 == sha256, ImportBatch.finished_at.is_not(None))
        .order_by(ImportBatch.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None
