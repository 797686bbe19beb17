"""what the engine said at the end of each chart week, under a digest of all it read

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

Issue 25 item 5: the weekly chart's 13 days were assessed for every mail although twelve of them were last week's
too; `week_ends` keeps the numbers the chart takes from each (advisor.store.week_ends), under a digest of the
engine, the settings, the day and the history cut, so a kept row is used only when nothing it came from changed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "week_ends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("athlete_id", "day", name="uq_week_ends_athlete_day"),
    )


def downgrade() -> None:
    op.drop_table("week_ends")
