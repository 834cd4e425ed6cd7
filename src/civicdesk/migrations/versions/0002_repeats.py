"""repeat and duplicate links

Revision ID: 0002_repeats
Revises: e744c86460cc
"""

from collections.abc import Sequence

revision: str = "0002_repeats"
down_revision: str | None = "e744c86460cc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
