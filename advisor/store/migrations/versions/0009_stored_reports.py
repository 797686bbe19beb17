"""each athlete's report is stored, with triggers that mark it stale; indexes for deletes and the coach's list

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

Issue 25: `status`, the web page, `team status` and the weekly mail read the stored report and recompute it only
when it is stale (advisor.store.stored_reports). Every write of a report's input counts the athlete's
`data_version` up through triggers (advisor.store.report_triggers), so no write path can leave a stale report
current. Existing athletes start with no stored report: the first read computes it.

`activities.source_file_id` gets an index (deleting a source file scanned every activity), and
`source_files (athlete_id, imported_at)` one for "last import" of the coach's list.
"""

import sqlalchemy as sa
from alembic import op

from advisor.store.report_triggers import create_statements, drop_statements

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_reports",
        sa.Column("athlete_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("computed_version", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("engine", sa.String(64), nullable=True),
        sa.Column("settings_key", sa.String(64), nullable=True),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("line", sa.Text(), nullable=True),
        sa.Column("chart", sa.Text(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("athlete_id"),
    )
    op.create_index("ix_activities_source_file", "activities", ["source_file_id"])
    op.create_index("ix_source_files_athlete_imported", "source_files", ["athlete_id", "imported_at"])
    for statement in create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_source_files_athlete_imported", table_name="source_files")
    op.drop_index("ix_activities_source_file", table_name="activities")
    op.drop_table("stored_reports")
