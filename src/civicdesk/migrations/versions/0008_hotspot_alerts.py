"""hot-spot alerts (issue 6: emerging spikes of a category or a place)

Revision ID: 0008_hotspot_alerts
Revises: 0007_assessment_schemes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicdesk.db

revision: str = "0008_hotspot_alerts"
down_revision: str | None = "0007_assessment_schemes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = civicdesk.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hotspot_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_code", sa.String(length=64), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("last_week_start", sa.Date(), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("peak", sa.Integer(), nullable=False),
        sa.Column("method", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("raised_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("acknowledged_at", _TIME, nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind in ('category','street','community')", name=op.f("ck_hotspot_alerts_kind")
        ),
        sa.CheckConstraint(
            "status in ('open','acknowledged')", name=op.f("ck_hotspot_alerts_status")
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["users.id"],
            name=op.f("fk_hotspot_alerts_acknowledged_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_hotspot_alerts_area_id_areas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_hotspot_alerts_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotspot_alerts")),
        sa.UniqueConstraint(
            "kind",
            "subject_code",
            "week_start",
            name=op.f("uq_hotspot_alerts_kind_subject_code_week_start"),
        ),
    )
    op.create_index(
        "ix_hotspot_alerts_status_raised", "hotspot_alerts", ["status", "raised_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_hotspot_alerts_status_raised", table_name="hotspot_alerts")
    op.drop_table("hotspot_alerts")
