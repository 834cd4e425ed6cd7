"""supervision, notices, outbox

Revision ID: 0003_supervision
Revises: 0002_repeats
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicdesk.db

revision: str = "0003_supervision"
down_revision: str | None = "0002_repeats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = "'due_soon','overdue','urge','supervise','escalate','review','report'"
_TIME = civicdesk.db.UTCDateTime(timezone=True)

# (name, type, server default) of the columns added to cases; counters and flags are NOT NULL
# with a server default, so rows already there (and bulk writers naming only older columns) fit.
_CASE_COLUMNS: list[tuple[str, sa.types.TypeEngine, object]] = [
    ("reply_due_at", _TIME, None),
    ("review_on", sa.Date(), None),
    ("returned_by_unit_id", sa.Integer(), None),
    ("grade", sa.String(length=32), None),
    ("grade_set_at", _TIME, None),
    ("media_attention", sa.Boolean(), sa.false()),
    ("leader_attention", sa.Boolean(), sa.false()),
    ("leader_flagged_at", _TIME, None),
    ("departments_involved", sa.Integer(), "1"),
    ("long_standing", sa.Boolean(), sa.false()),
    ("needs_demolition", sa.Boolean(), sa.false()),
    ("warned_due_at", _TIME, None),
    ("overdue_due_at", _TIME, None),
    ("next_check_at", _TIME, None),
    ("next_report_at", _TIME, None),
    ("complaints_seen", sa.Integer(), "0"),
    ("escalation_level", sa.Integer(), "0"),
    ("supervise_count", sa.Integer(), "0"),
    ("return_refused_count", sa.Integer(), "0"),
    ("extension_refused_count", sa.Integer(), "0"),
    ("accepted_late", sa.Boolean(), None),
    ("handled_late", sa.Boolean(), None),
    ("close_outcome", sa.String(length=16), None),
]


def upgrade() -> None:
    op.create_table(
        "config_policies",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_config_policies")),
    )
    _create_notices()
    _create_outbox()
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name, type_, default in _CASE_COLUMNS:
            batch_op.add_column(
                sa.Column(name, type_, server_default=default, nullable=default is None)  # type: ignore[arg-type]
            )
        batch_op.create_index(batch_op.f("ix_cases_next_check_at"), ["next_check_at"], unique=False)
        batch_op.create_index(
            "ix_cases_status_complaints", ["status", "complaint_count"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_returned_by_unit_id_units"),
            "units",
            ["returned_by_unit_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(
            op.f("ck_cases_close_outcome"),
            "close_outcome is null or close_outcome in ('fixed','not_fixed')",
        )


def _create_notices() -> None:
    op.create_table(
        "supervision_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("occasion_at", _TIME, nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("handling_unit_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("due_at", _TIME, nullable=True),
        sa.Column("issued_at", _TIME, nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("delivered_at", _TIME, nullable=True),
        sa.Column("read_at", _TIME, nullable=True),
        sa.Column("read_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"kind in ({_KINDS})", name=op.f("ck_supervision_notices_kind")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_supervision_notices_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handling_unit_id"],
            ["units.id"],
            name=op.f("fk_supervision_notices_handling_unit_id_units"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["users.id"],
            name=op.f("fk_supervision_notices_issued_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["read_by_id"],
            ["users.id"],
            name=op.f("fk_supervision_notices_read_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_supervision_notices_unit_id_units"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_notices")),
        sa.UniqueConstraint(
            "case_id",
            "rule",
            "occasion_at",
            name=op.f("uq_supervision_notices_case_id_rule_occasion_at"),
        ),
    )
    with op.batch_alter_table("supervision_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervision_notices_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            "ix_supervision_notices_unit_issued", ["unit_id", "issued_at"], unique=False
        )


def _create_outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("claimed_until", _TIME, nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("sent_at", _TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "channel in ('log','sms','email','inapp')", name=op.f("ck_outbox_channel")
        ),
        sa.CheckConstraint(
            "status in ('pending','sending','sent','failed')", name=op.f("ck_outbox_status")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_outbox_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["supervision_notices.id"],
            name=op.f("fk_outbox_notice_id_supervision_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_outbox_unit_id_units"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("notice_id", "channel", name=op.f("uq_outbox_notice_id_channel")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_status_next", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_cases_close_outcome"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_cases_returned_by_unit_id_units"), type_="foreignkey"
        )
        batch_op.drop_index("ix_cases_status_complaints")
        batch_op.drop_index(batch_op.f("ix_cases_next_check_at"))
        for name, _, _ in reversed(_CASE_COLUMNS):
            batch_op.drop_column(name)
    op.drop_table("outbox")
    op.drop_table("supervision_notices")
    op.drop_table("config_policies")
