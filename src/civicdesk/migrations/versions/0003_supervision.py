"""supervision, notices, outbox

Revision ID: 0003_supervision
Revises: 0002_repeats
"""

from collections.abc import Sequence

revision: str = "0003_supervision"
down_revision: str | None = "0002_repeats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
