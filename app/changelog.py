"""Numbering changes for sync.

Each change to an observation, moment, reflection or share takes the next number of its
school's counter, in the same transaction as the change itself. The counter is a row that the
transaction updates, so a second writer in the same school waits for the first to commit:
numbers become visible in the order they were handed out, and a tablet that has read up to
number N has seen every change numbered N or lower.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.models import Change, Moment, Observation, SchoolCounter


def next_seq(session: Session, school_id: uuid.UUID, count: int = 1) -> int:
    """Take ``count`` numbers from the school's counter; returns the last of them."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = SchoolCounter.__table__  # type: ignore[attr-defined]
    stmt = (
        insert(table)
        .values(school_id=school_id, value=count)
        .on_conflict_do_update(index_elements=["school_id"], set_={"value": table.c.value + count})
        .returning(table.c.value)
    )
    return int(session.execute(stmt).scalar_one())


def record(
    session: Session,
    *,
    school_id: uuid.UUID,
    entity: str,
    entity_id: uuid.UUID,
    observation_id: uuid.UUID,
) -> int:
    seq = next_seq(session, school_id)
    session.add(
        Change(
            school_id=school_id,
            seq=seq,
            entity=entity,
            entity_id=entity_id,
            observation_id=observation_id,
        )
    )
    return seq


def observation_changed(
    session: Session, observation: Observation, entity: str, entity_id: uuid.UUID
) -> int:
    """Number a change to an observation or to a record that belongs to it."""
    return record(
        session,
        school_id=observation.school_id,
        entity=entity,
        entity_id=entity_id,
        observation_id=observation.id,
    )


def moments_added(session: Session, moments: Sequence[Moment]) -> None:
    """Number many new moments of one school at once: one counter update reserves the
    numbers, one insert writes the change rows, in the order given."""
    if not moments:
        return
    school_id = moments[0].school_id
    last = next_seq(session, school_id, len(moments))
    table = Change.__table__  # type: ignore[attr-defined]
    session.execute(
        table.insert(),
        [
            {
                "school_id": school_id,
                "seq": last - len(moments) + 1 + i,
                "entity": "moment",
                "entity_id": m.id,
                "observation_id": m.observation_id,
            }
            for i, m in enumerate(moments)
        ],
    )


def current(session: Session, school_id: uuid.UUID) -> int:
    row = session.get(SchoolCounter, school_id)
    if row is not None:
        session.refresh(row)  # the counter moves under us; never trust a cached value
    return row.value if row else 0
