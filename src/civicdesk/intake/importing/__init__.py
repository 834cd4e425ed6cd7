"""Bulk import of complaints forwarded by hotlines (CSV/Excel): read, validate, then write.

Three phases, so that nothing is ever half-imported (docs/import.md):

1. **read** (``reading``) — the file's encoding is decided strictly (UTF-8, then GB18030, a
   detector only as a last resort, refusal rather than mojibake); rows are streamed, headers
   (English or the Chinese names hotline exports use) mapped to fields;
2. **validate** (``rows``, ``references``) — every row is checked in memory with
   ``ComplaintCreate`` and the reference data (channel, category, area by code or Chinese name);
   rows already on record (same channel and upstream reference, in the database or earlier in
   the file) are skipped, not counted twice;
3. **write** (``writing``) — only if no row failed (or ``skip_invalid``): cases, complaints and
   their "receive" history events are bulk-inserted in the caller's transaction, with exactly
   the fields ``intake.service.record_complaint`` gives a complaint that opens a case.

``pipeline.import_file`` runs the three; ``report`` holds what it returns.
"""

from civicdesk.intake.importing.pipeline import import_file
from civicdesk.intake.importing.report import (
    ImportReport,
    Progress,
    RowError,
    Skipped,
    UnreadableFile,
    write_error_report,
)

__all__ = [
    "ImportReport",
    "Progress",
    "RowError",
    "Skipped",
    "UnreadableFile",
    "import_file",
    "write_error_report",
]
