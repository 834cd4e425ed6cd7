"""citizen portal, attachments, service cards, Open311 keys

Revision ID: 0004_portal
Revises: 0003_supervision
"""

from collections.abc import Sequence

revision: str = "0004_portal"
down_revision: str | None = "0003_supervision"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
