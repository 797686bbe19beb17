"""athletes carry the generation of their web page's login sessions and a mark of the password it was counted for

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08

Issue 24: logging out of the web page, or a new password, ends every session on the server. A session cookie
carries the generation it was made in, and a cookie of an older generation is logged out. Existing athletes start
at generation 0 with no password mark, so the first start after the upgrade counts once and asks for the password
again (sessions made before the upgrade carry no generation and end anyway).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("athletes") as batch:
        batch.add_column(sa.Column("web_session_generation", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("web_password_mark", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("athletes") as batch:
        batch.drop_column("web_password_mark")
        batch.drop_column("web_session_generation")
