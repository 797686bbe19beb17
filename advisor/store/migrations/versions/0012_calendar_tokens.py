"""calendar tokens: the secret in each athlete's calendar feed URL

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

Issue 22 item 2: `advisor serve` publishes the next 7 days' plan as an ICS feed at `/calendar/TOKEN.ics`; a
calendar app cannot log in, so the token is the credential. One row per athlete (deleted with them), looked up by
the token's SHA-256; `advisor calendar reset` replaces both.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_tokens",
        sa.Column("athlete_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["athlete_id"], ["athletes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("athlete_id"),
        sa.UniqueConstraint("token_sha256", name="uq_calendar_tokens_sha256"),
    )


def downgrade() -> None:
    op.drop_table("calendar_tokens")
