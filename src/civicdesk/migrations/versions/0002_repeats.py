"""repeat and duplicate links

Revision ID: 0002_repeats
Revises: e744c86460cc
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicdesk.db

revision: str = "0002_repeats"
down_revision: str | None = "e744c86460cc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = "'duplicate_intake','repeat_same_complainant','repeat_other_complainant','recurrence'"


def upgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lookback_days", sa.Integer(), nullable=True))

    op.create_table(
        "repeat_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("earlier_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detected_kind", sa.String(length=32), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", civicdesk.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("created_at", civicdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", civicdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=True),
        sa.Column("earlier_case_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"kind in ({_KINDS})", name=op.f("ck_repeat_links_kind")),
        sa.CheckConstraint(
            "status in ('suggested','confirmed','rejected')", name=op.f("ck_repeat_links_status")
        ),
        sa.CheckConstraint("source in ('online','batch')", name=op.f("ck_repeat_links_source")),
        sa.CheckConstraint("complaint_id <> earlier_id", name=op.f("ck_repeat_links_not_itself")),
        sa.CheckConstraint("score >= 0 and score <= 1", name=op.f("ck_repeat_links_score_range")),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_repeat_links_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["earlier_id"],
            ["complaints.id"],
            name=op.f("fk_repeat_links_earlier_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_repeat_links_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["earlier_case_id"],
            ["cases.id"],
            name=op.f("fk_repeat_links_earlier_case_id_cases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_repeat_links_unit_id_units"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repeat_links")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_repeat_links_complaint_id")),
    )
    with op.batch_alter_table("repeat_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repeat_links_earlier_id"), ["earlier_id"])
        batch_op.create_index(batch_op.f("ix_repeat_links_earlier_case_id"), ["earlier_case_id"])
        batch_op.create_index(
            "ix_repeat_links_status_kind_received", ["status", "kind", "received_at"]
        )

    op.create_table(
        "repeat_keys",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("received_at", civicdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_repeat_keys_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("complaint_id", "key", name=op.f("pk_repeat_keys")),
    )
    with op.batch_alter_table("repeat_keys", schema=None) as batch_op:
        batch_op.create_index("ix_repeat_keys_key_received", ["key", "received_at"])

    op.create_table(
        "repeat_caller_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", civicdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status in ('malicious','cleared')", name=op.f("ck_repeat_caller_reviews_status")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_repeat_caller_reviews_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repeat_caller_reviews")),
        sa.UniqueConstraint("caller", name=op.f("uq_repeat_caller_reviews_caller")),
    )


def downgrade() -> None:
    op.drop_table("repeat_caller_reviews")
    with op.batch_alter_table("repeat_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_repeat_keys_key_received")
    op.drop_table("repeat_keys")
    with op.batch_alter_table("repeat_links", schema=None) as batch_op:
        batch_op.drop_index("ix_repeat_links_status_kind_received")
        batch_op.drop_index(batch_op.f("ix_repeat_links_earlier_case_id"))
        batch_op.drop_index(batch_op.f("ix_repeat_links_earlier_id"))
    op.drop_table("repeat_links")
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_column("lookback_days")
