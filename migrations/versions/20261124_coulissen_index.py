"""coulissen index: a lesson's counted moments, read from the index alone

The coulissen dashboard counts a semester's moments per lesson, per code and per code and
phase. With this index the database reads a lesson's moments that are not deleted as one range
of one index that holds everything those counts need (code, phase, zone), instead of a table
row per moment. ``bench/coulissen.py`` measures the difference.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 22:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("moment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_moment_observation_counted",
            ["observation_id", "deleted_at", "code", "phase", "zone"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("moment", schema=None) as batch_op:
        batch_op.drop_index("ix_moment_observation_counted")
