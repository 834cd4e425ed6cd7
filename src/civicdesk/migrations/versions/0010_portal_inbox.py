"""(reserved: filled in by the change that needs it)

Revision ID: 0010_portal_inbox
Revises: 0009_supervision_marks
"""

from collections.abc import Sequence

revision: str = "0010_portal_inbox"
down_revision: str | None = "0009_supervision_marks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
