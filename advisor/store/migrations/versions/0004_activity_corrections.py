"""activities.excluded, file_sport, file_sub_sport: the runner's corrections to an activity

`sport`/`sub_sport` keep holding the effective values (what every reader uses); the file's own values move to
`file_sport`/`file_sub_sport` only when the runner changes the sport, NULL meaning "not corrected".

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("excluded", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("file_sport", sa.String(40), nullable=True))
        batch.add_column(sa.Column("file_sub_sport", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.drop_column("file_sub_sport")
        batch.drop_column("file_sport")
        batch.drop_column("excluded")
