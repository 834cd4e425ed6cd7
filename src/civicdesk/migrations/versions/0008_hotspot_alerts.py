"""(reserved: filled in by the change that needs it)

Revision ID: 0008_hotspot_alerts
Revises: 0007_assessment_schemes
"""

from collections.abc import Sequence

revision: str = "0008_hotspot_alerts"
down_revision: str | None = "0007_assessment_schemes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
