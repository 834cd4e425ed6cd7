"""filing and dispatch deadlines on cases (按时立案, 按期派遣)

Two stored deadlines like ``accept_due_at``/``handle_due_at``: ``file_due_at`` (立案, set when
the case opens) and ``dispatch_due_at`` (派遣, set when it is filed), each from the ``file`` and
``dispatch`` limits of ``supervision.yaml``. Existing rows keep null: the assessment leaves a
case without a deadline out of 按时立案率 and 按期派遣率 rather than guess one.

Revision ID: 0011_filing_dispatch_deadlines
Revises: 0010_portal_inbox
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicdesk.db

revision: str = "0011_filing_dispatch_deadlines"
down_revision: str | None = "0010_portal_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = civicdesk.db.UTCDateTime(timezone=True)
_COLUMNS = ("file_due_at", "dispatch_due_at")


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (no table rebuild: nullable columns, no index).
    for name in _COLUMNS:
        op.add_column("cases", sa.Column(name, _TIME, nullable=True))


def downgrade() -> None:
    for name in reversed(_COLUMNS):
        op.execute(f"alter table cases drop column {name}")
