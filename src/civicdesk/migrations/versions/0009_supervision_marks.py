"""(reserved: filled in by the change that needs it)

Revision ID: 0009_supervision_marks
Revises: 0008_hotspot_alerts
"""

from collections.abc import Sequence

revision: str = "0009_supervision_marks"
down_revision: str | None = "0008_hotspot_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
