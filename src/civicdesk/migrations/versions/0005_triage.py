"""triage suggestions, models, routing rules

Revision ID: 0005_triage
Revises: 0004_portal
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicdesk.db

revision: str = "0005_triage"
down_revision: str | None = "0004_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = civicdesk.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "triage_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("trained_on", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_models")),
        sa.UniqueConstraint("version", name=op.f("uq_triage_models_version")),
    )
    op.create_index(
        "uq_triage_models_active",
        "triage_models",
        ["active"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "triage_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("low_confidence", sa.Boolean(), nullable=False),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.Column("in_remit", sa.Boolean(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.JSON(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("route", sa.Text(), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("final_category_id", sa.Integer(), nullable=True),
        sa.Column("final_area_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", _TIME, nullable=True),
        sa.CheckConstraint(
            "status in ('pending','confirmed','corrected')",
            name=op.f("ck_triage_suggestions_status"),
        ),
        sa.CheckConstraint(
            "confidence is null or (confidence between 0 and 1)",
            name=op.f("ck_triage_suggestions_confidence"),
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_triage_suggestions_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_triage_suggestions_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_triage_suggestions_area_id_areas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_triage_suggestions_unit_id_units"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["final_category_id"],
            ["categories.id"],
            name=op.f("fk_triage_suggestions_final_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["final_area_id"],
            ["areas.id"],
            name=op.f("fk_triage_suggestions_final_area_id_areas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_triage_suggestions_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_suggestions")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_triage_suggestions_complaint_id")),
    )
    op.create_index(
        "ix_triage_suggestions_status_decided", "triage_suggestions", ["status", "decided_at"]
    )
    op.create_index(
        op.f("ix_triage_suggestions_final_category_id"), "triage_suggestions", ["final_category_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_triage_suggestions_final_category_id"), table_name="triage_suggestions")
    op.drop_index("ix_triage_suggestions_status_decided", table_name="triage_suggestions")
    op.drop_table("triage_suggestions")
    op.drop_index("uq_triage_models_active", table_name="triage_models")
    op.drop_table("triage_models")
