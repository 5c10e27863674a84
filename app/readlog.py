"""The read log: the observed teacher sees who opened an observation of their lesson, and when.

An open is recorded when someone other than the observed teacher views the observation's
page or asks for it whole through the API. Syncing to a tablet is not an open: the tablet keeps
the data without showing it. A person's opens within ``COLLAPSE`` of their last recorded one
count as the same open, so refreshing a page does not fill the log.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app import db
from app.access import Action, authorize, get_observation
from app.auth import Actor
from app.models import ObservationPublic, ObservationRead, Person, utcnow

COLLAPSE = timedelta(minutes=10)


def record(*, actor: Actor, observation: ObservationPublic) -> None:
    """Note an open of an observation the actor was just shown, in a short write transaction
    of its own (the view itself only reads)."""
    if observation.observed_teacher.id == actor.person.id:
        return
    with db.session_scope() as session:
        last = session.exec(
            select(func.max(ObservationRead.read_at)).where(
                ObservationRead.observation_id == observation.id,
                ObservationRead.person_id == actor.person.id,
            )
        ).one()
        if last is not None and utcnow() - _aware(last) < COLLAPSE:
            return
        session.add(ObservationRead(observation_id=observation.id, person_id=actor.person.id))


@dataclass
class Reader:
    person_id: uuid.UUID
    name: str
    first: datetime
    last: datetime
    opens: int


def readers(session: Session, *, actor: Actor, observation_id: uuid.UUID) -> list[Reader]:
    """Who opened this observation, most recent first. Only for the observed teacher."""
    observation = get_observation(session, actor, observation_id)
    authorize(actor, Action.read_log, observation)
    rows = session.execute(  # five columns: beyond sqlmodel's typed select
        sa.select(
            col(ObservationRead.person_id),
            col(Person.name),
            func.min(ObservationRead.read_at),
            func.max(ObservationRead.read_at),
            func.count(),
        )
        .join(Person, col(Person.id) == ObservationRead.person_id)
        .where(col(ObservationRead.observation_id) == observation.id)
        .group_by(col(ObservationRead.person_id), col(Person.name))
        .order_by(func.max(ObservationRead.read_at).desc())
    ).all()
    return [
        Reader(person_id=p, name=n, first=_aware(f), last=_aware(la), opens=c)
        for p, n, f, la, c in rows
    ]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
