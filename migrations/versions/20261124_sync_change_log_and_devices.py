"""sync change log and devices

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 16:55:03.069665
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change",
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("observation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_change_school_id_school"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("school_id", "seq", name=op.f("pk_change")),
    )
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_observation_id"), ["observation_id"], unique=False
        )

    op.create_table(
        "schoolcounter",
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_schoolcounter_school_id_school"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_schoolcounter")),
    )
    op.create_table(
        "syncdevice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_push_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_syncdevice_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_syncdevice")),
    )
    with op.batch_alter_table("syncdevice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_syncdevice_person_id"), ["person_id"], unique=False)

    op.create_table(
        "syncmutation",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("received_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["syncdevice.id"],
            name=op.f("fk_syncmutation_device_id_syncdevice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", "seq", name=op.f("pk_syncmutation")),
    )


def downgrade() -> None:
    op.drop_table("syncmutation")
    with op.batch_alter_table("syncdevice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_syncdevice_person_id"))

    op.drop_table("syncdevice")
    op.drop_table("schoolcounter")
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_observation_id"))

    op.drop_table("change")
