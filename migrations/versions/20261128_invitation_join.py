"""invitations that ask an existing account to join: the name typed by the school and the roles

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(
            sa.Column("name", sa.String(length=120), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("roles", sa.String(length=120), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("invitation") as batch:
        batch.drop_column("roles")
        batch.drop_column("name")
