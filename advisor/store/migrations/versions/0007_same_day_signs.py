"""pain entries record the same-day signs and the runner's "none of these" check

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

PRODUCT.md "Referral" and "Same-day signs": a hot, red knee or a fever, swelling or not bearing weight after a twist
or fall, calf pain or swelling and numbness are logged like red flags; a check with none of the signs ends an
unassessed red flag's pause after its 14 days. Every existing entry reported none of the new signs and was no check.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("hot_red_or_fever", "injury_swelling", "calf_pain", "numbness", "no_red_flags")


def upgrade() -> None:
    with op.batch_alter_table("pain_entries") as batch:
        for column in COLUMNS:
            batch.add_column(sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("pain_entries") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)
