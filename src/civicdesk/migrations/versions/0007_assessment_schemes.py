"""(reserved: filled in by the change that needs it)

Revision ID: 0007_assessment_schemes
Revises: 0006_assessment_facts
"""

from collections.abc import Sequence

revision: str = "0007_assessment_schemes"
down_revision: str | None = "0006_assessment_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
