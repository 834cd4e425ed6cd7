"""supervision marks in a side table (case_marks)

The sweep's bookkeeping moves off the wide ``cases`` table into ``case_marks``: the catch-up
sweep marks thousands of cases at once, and each mark written to ``cases`` changed an indexed
column (``next_check_at``), so every such update rewrote an entry in each of the table's ten
indexes (no HOT update possible). Values already set are carried over (and back on downgrade).

PostgreSQL: ``cases`` gets ``fillfactor = 90`` so that the updates that remain (the counters
``urge_count``/``supervise_count`` and ``escalation_level``, none indexed) can be HOT updates,
which touch no index. It applies to pages written from now on.

Revision ID: 0009_supervision_marks
Revises: 0008_hotspot_alerts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicdesk.db

revision: str = "0009_supervision_marks"
down_revision: str | None = "0008_hotspot_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = civicdesk.db.UTCDateTime(timezone=True)
_MARKS = ("warned_due_at", "overdue_due_at", "next_check_at", "next_report_at", "complaints_seen")


def upgrade() -> None:
    op.create_table(
        "case_marks",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("warned_due_at", _TIME, nullable=True),
        sa.Column("overdue_due_at", _TIME, nullable=True),
        sa.Column("next_check_at", _TIME, nullable=True),
        sa.Column("next_report_at", _TIME, nullable=True),
        sa.Column("complaints_seen", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_marks_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_marks")),
    )
    op.create_index(op.f("ix_case_marks_next_check_at"), "case_marks", ["next_check_at"])
    columns = ", ".join(_MARKS)
    op.execute(
        f"insert into case_marks (case_id, {columns}) select id, {columns} from cases "
        "where warned_due_at is not null or overdue_due_at is not null "
        "or next_check_at is not null or next_report_at is not null or complaints_seen <> 0"
    )
    # Plain ALTER TABLE … DROP COLUMN on both databases (SQLite ≥ 3.35): a batch rebuild of
    # ``cases`` would drop the table that other tables' rows reference.
    op.drop_index("ix_cases_next_check_at", table_name="cases")
    for name in _MARKS:
        op.execute(f"alter table cases drop column {name}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("alter table cases set (fillfactor = 90)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("alter table cases reset (fillfactor)")
    for name in _MARKS:
        if name == "complaints_seen":
            column = sa.Column(name, sa.Integer(), server_default="0", nullable=False)
        else:
            column = sa.Column(name, _TIME, nullable=True)
        op.add_column("cases", column)
    op.create_index("ix_cases_next_check_at", "cases", ["next_check_at"])
    for name in _MARKS:
        op.execute(
            f"update cases set {name} = (select m.{name} from case_marks m "
            "where m.case_id = cases.id) "
            "where id in (select case_id from case_marks)"
        )
    op.drop_index(op.f("ix_case_marks_next_check_at"), table_name="case_marks")
    op.drop_table("case_marks")
