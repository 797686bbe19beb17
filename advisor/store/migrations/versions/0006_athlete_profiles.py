"""athletes carry their own profile and threshold overrides; job runs are named per athlete

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Every profile column is nullable: NULL means "as the config file's [profile]", so the default athlete of a single
runner keeps reading the config file and notices nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("athletes") as batch:
        batch.add_column(sa.Column("sex", sa.String(20), nullable=True))
        batch.add_column(sa.Column("flat_feet", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("orthotics", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("max_hr", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("resting_hr", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=True))
        batch.add_column(sa.Column("email", sa.Text(), nullable=True))
        batch.add_column(sa.Column("units", sa.String(2), nullable=True))
        batch.add_column(sa.Column("thresholds", sa.Text(), nullable=True))
    with op.batch_alter_table("job_runs") as batch:
        batch.alter_column("name", type_=sa.String(100), existing_type=sa.String(40), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("job_runs") as batch:
        batch.alter_column("name", type_=sa.String(40), existing_type=sa.String(100), existing_nullable=False)
    with op.batch_alter_table("athletes") as batch:
        for column in (
            "thresholds",
            "units",
            "email",
            "timezone",
            "resting_hr",
            "max_hr",
            "orthotics",
            "flat_feet",
            "sex",
        ):
            batch.drop_column(column)
