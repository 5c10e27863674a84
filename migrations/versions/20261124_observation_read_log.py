"""observation read log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 20:34:57.279207
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "observationread",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("observation_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("read_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observation.id"],
            name=op.f("fk_observationread_observation_id_observation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_observationread_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observationread")),
    )
    with op.batch_alter_table("observationread", schema=None) as batch_op:
        batch_op.create_index(
            "ix_observationread_observation_read", ["observation_id", "read_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_observationread_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("observationread", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observationread_person_id"))
        batch_op.drop_index("ix_observationread_observation_read")

    op.drop_table("observationread")
