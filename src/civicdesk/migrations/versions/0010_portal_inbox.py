"""portal inbox: public submissions accepted with one insert, intake done by the drain

Revision ID: 0010_portal_inbox
Revises: 0009_supervision_marks
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicdesk.db

revision: str = "0010_portal_inbox"
down_revision: str | None = "0009_supervision_marks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = civicdesk.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portal_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("media_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("processed_at", _TIME, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("source in ('portal','open311')", name=op.f("ck_portal_inbox_source")),
        sa.CheckConstraint(
            "state in ('pending','done','failed')", name=op.f("ck_portal_inbox_state")
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["open311_keys.id"],
            name=op.f("fk_portal_inbox_api_key_id_open311_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_portal_inbox_complaint_id_complaints"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_inbox")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_portal_inbox_complaint_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_inbox_token_hash")),
    )
    op.create_index("ix_portal_inbox_dedupe", "portal_inbox", ["dedupe_key", "created_at"])
    op.create_index("ix_portal_inbox_state", "portal_inbox", ["state", "id"])


def downgrade() -> None:
    op.drop_index("ix_portal_inbox_state", table_name="portal_inbox")
    op.drop_index("ix_portal_inbox_dedupe", table_name="portal_inbox")
    op.drop_table("portal_inbox")
