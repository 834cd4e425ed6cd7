"""Former home of the bulk import, kept as a re-export for scripts written against it
(docs/import.md shows this path). New code imports ``civicdesk.intake.importing``."""

from civicdesk.intake.importing import (
    ImportReport,
    Progress,
    RowError,
    Skipped,
    UnreadableFile,
    import_file,
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
