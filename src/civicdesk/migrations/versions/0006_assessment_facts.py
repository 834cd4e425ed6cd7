"""(reserved: filled in by the change that needs it)

Revision ID: 0006_assessment_facts
Revises: 0005_triage
"""

from collections.abc import Sequence

revision: str = "0006_assessment_facts"
down_revision: str | None = "0005_triage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
