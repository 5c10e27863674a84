"""team membership history: since when a person is in a team, and memberships that ended

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teammember") as batch:
        batch.add_column(sa.Column("since", sa.Date(), nullable=True))
    op.create_table(
        "teammemberpast",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_teammemberpast_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_teammemberpast_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teammemberpast")),
    )
    with op.batch_alter_table("teammemberpast") as batch:
        batch.create_index(batch.f("ix_teammemberpast_person_id"), ["person_id"], unique=False)
        batch.create_index(batch.f("ix_teammemberpast_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("teammemberpast") as batch:
        batch.drop_index(batch.f("ix_teammemberpast_team_id"))
        batch.drop_index(batch.f("ix_teammemberpast_person_id"))
    op.drop_table("teammemberpast")
    with op.batch_alter_table("teammember") as batch:
        batch.drop_column("since")
