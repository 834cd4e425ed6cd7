"""assessment schemes (versions), street-order inspections, appeals, publications

Revision ID: 0007_assessment_schemes
Revises: 0006_assessment_facts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicdesk.db

revision: str = "0007_assessment_schemes"
down_revision: str | None = "0006_assessment_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = civicdesk.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "assessment_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", _TIME, nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_schemes")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_assessment_schemes_code_version")),
    )
    op.create_table(
        "assessment_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_code", sa.String(length=64), nullable=False),
        sa.Column("scheme_version", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("engine_backend", sa.String(length=32), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", _TIME, nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_assessment_publications_version")),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_publications_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_publications")),
        sa.UniqueConstraint(
            "scheme_code",
            "period_start",
            "period_end",
            "version",
            name="uq_assessment_publications_period_version",
        ),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("inspector", sa.String(length=100), nullable=False),
        sa.Column("items_checked", sa.Integer(), nullable=False),
        sa.Column("problems_found", sa.Integer(), nullable=False),
        sa.Column("deductions", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", _TIME, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.CheckConstraint("deductions >= 0", name=op.f("ck_inspections_deductions")),
        sa.CheckConstraint(
            "items_checked >= 0 and problems_found >= 0", name=op.f("ck_inspections_counts")
        ),
        sa.CheckConstraint("score >= 0 and score <= 100", name=op.f("ck_inspections_score_range")),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_inspections_area_id_areas"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_inspections_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    op.create_index("ix_inspections_area_on", "inspections", ["area_id", "inspected_on"])
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("reason_kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence_name", sa.String(length=120), nullable=True),
        sa.Column("evidence_path", sa.String(length=200), nullable=True),
        sa.Column("evidence_type", sa.String(length=40), nullable=True),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filed_by_id", sa.Integer(), nullable=True),
        sa.Column("filed_at", _TIME, nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", _TIME, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "reason_kind in ('not_our_area','unfounded','malicious','force_majeure','other')",
            name=op.f("ck_appeals_reason_kind"),
        ),
        sa.CheckConstraint(
            "status = 'pending' or (decided_at is not null and decision_reason is not null)",
            name=op.f("ck_appeals_decision_recorded"),
        ),
        sa.CheckConstraint(
            "status in ('pending','approved','rejected')", name=op.f("ck_appeals_status")
        ),
        sa.CheckConstraint("period_start <= period_end", name=op.f("ck_appeals_period")),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_appeals_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_appeals_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_id"],
            ["users.id"],
            name=op.f("fk_appeals_filed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_appeals_unit_id_units"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    op.create_index("ix_appeals_status_unit", "appeals", ["status", "unit_id"])
    # One pending or approved appeal per complaint; a rejected one may be followed by another.
    op.create_index(
        "uq_appeals_open_per_complaint",
        "appeals",
        ["complaint_id"],
        unique=True,
        sqlite_where=sa.text("status <> 'rejected'"),
        postgresql_where=sa.text("status <> 'rejected'"),
    )


def downgrade() -> None:
    op.drop_index("uq_appeals_open_per_complaint", table_name="appeals")
    op.drop_index("ix_appeals_status_unit", table_name="appeals")
    op.drop_table("appeals")
    op.drop_index("ix_inspections_area_on", table_name="inspections")
    op.drop_table("inspections")
    op.drop_table("assessment_publications")
    op.drop_table("assessment_schemes")
