"""clinician_assessments and rehab_sessions: what a clinician said, and the rehab sessions the runner did

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinician_assessments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("athlete_id", sa.Integer(), sa.ForeignKey("athletes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cleared", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_clinician_assessments_athlete_day", "clinician_assessments", ["athlete_id", "day"])
    op.create_table(
        "rehab_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("athlete_id", sa.Integer(), sa.ForeignKey("athletes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("strength", sa.Boolean(), nullable=False),
        sa.Column("mobility", sa.Boolean(), nullable=False),
        sa.Column("band", sa.Boolean(), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_rehab_sessions_athlete_day", "rehab_sessions", ["athlete_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_rehab_sessions_athlete_day", "rehab_sessions")
    op.drop_table("rehab_sessions")
    op.drop_index("ix_clinician_assessments_athlete_day", "clinician_assessments")
    op.drop_table("clinician_assessments")
