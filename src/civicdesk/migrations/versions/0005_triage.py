"""triage suggestions, models, routing rules

Revision ID: 0005_triage
Revises: 0004_portal
"""

from collections.abc import Sequence

revision: str = "0005_triage"
down_revision: str | None = "0004_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
