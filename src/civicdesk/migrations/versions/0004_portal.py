"""citizen portal, attachments, service cards, Open311 keys

Revision ID: 0004_portal
Revises: 0003_supervision
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicdesk.db

revision: str = "0004_portal"
down_revision: str | None = "0003_supervision"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = civicdesk.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "open311_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_open311_keys_name")),
    )
    op.create_table(
        "portal_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("media_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.CheckConstraint(
            "source in ('portal','open311')", name=op.f("ck_portal_submissions_source")
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["open311_keys.id"],
            name=op.f("fk_portal_submissions_api_key_id_open311_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_portal_submissions_complaint_id_complaints"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_submissions")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_portal_submissions_complaint_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_submissions_token_hash")),
    )
    op.create_index(
        "ix_portal_submissions_dedupe", "portal_submissions", ["dedupe_key", "created_at"]
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=120), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.CheckConstraint(
            "content_type in ('image/jpeg','image/png','image/webp')",
            name=op.f("ck_attachments_content_type"),
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_attachments_size_positive")),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_attachments_complaint_id_complaints"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_attachments_stored_name")),
    )
    op.create_index(op.f("ix_attachments_complaint_id"), "attachments", ["complaint_id"])
    op.create_table(
        "citizen_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.String(length=16), nullable=False),
        sa.Column("solved", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("rated_at", _TIME, nullable=False),
        sa.CheckConstraint(
            "satisfaction in ('satisfied','basically','unsatisfied')",
            name=op.f("ck_citizen_ratings_satisfaction"),
        ),
        sa.CheckConstraint("via in ('link','phone')", name=op.f("ck_citizen_ratings_via")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_citizen_ratings_case_id_cases"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_citizen_ratings_complaint_id_complaints"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_ratings")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_citizen_ratings_complaint_id")),
    )
    op.create_index(op.f("ix_citizen_ratings_case_id"), "citizen_ratings", ["case_id"])
    op.create_table(
        "service_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("staff_name", sa.String(length=50), nullable=False),
        sa.Column("post", sa.String(length=50), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("duties", sa.Text(), nullable=False),
        sa.Column("office_hours", sa.String(length=200), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_service_cards_area_id_areas"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_service_cards_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_service_cards_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_cards")),
    )
    op.create_index(op.f("ix_service_cards_unit_id"), "service_cards", ["unit_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_service_cards_unit_id"), table_name="service_cards")
    op.drop_table("service_cards")
    op.drop_index(op.f("ix_citizen_ratings_case_id"), table_name="citizen_ratings")
    op.drop_table("citizen_ratings")
    op.drop_index(op.f("ix_attachments_complaint_id"), table_name="attachments")
    op.drop_table("attachments")
    op.drop_index("ix_portal_submissions_dedupe", table_name="portal_submissions")
    op.drop_table("portal_submissions")
    op.drop_table("open311_keys")
