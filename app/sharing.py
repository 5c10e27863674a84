"""The observed teacher shares an observation of their lesson with named colleagues, and
revokes a share. Only the observed teacher decides (access.Action.share).

A share or a revocation numbers a change of the observation in the sync log in the same
transaction. The colleague's tablet then pulls it, or learns at its next pull that it may no
longer keep it. A revoked share stops all access at once, because every read goes through
access.visible_observations. Sharing again re-opens the same row: one row per observation and
person.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app import changelog, people
from app.access import Action, authorize, get_observation
from app.auth import Actor
from app.db import transaction
from app.errors import Invalid, NotFound
from app.i18n import _
from app.models import Observation, Person, Share, utcnow


@dataclass
class Shared:
    person_id: uuid.UUID
    name: str
    since: datetime


def _own(session: Session, actor: Actor, observation_id: uuid.UUID) -> Observation:
    observation = get_observation(session, actor, observation_id)
    authorize(actor, Action.share, observation)
    return observation


def shares_of(session: Session, *, actor: Actor, observation_id: uuid.UUID) -> list[Shared]:
    observation = _own(session, actor, observation_id)
    rows = session.exec(
        select(Share, Person)
        .join(Person, col(Person.id) == Share.person_id)
        .where(Share.observation_id == observation.id, col(Share.revoked_at).is_(None))
        .order_by(col(Person.name))
    ).all()
    return [Shared(person_id=p.id, name=p.name, since=s.created_at) for s, p in rows]


def share(
    session: Session, *, actor: Actor, observation_id: uuid.UUID, person_id: uuid.UUID
) -> Shared:
    with transaction(session):
        observation = _own(session, actor, observation_id)
        if person_id == actor.person.id:
            raise Invalid(_("Dit is een observatie van je eigen les; die zie je al."))
        membership = people.membership_or_none(session, observation.school_id, person_id)
        person = session.get(Person, person_id)
        if membership is None or not membership.active or person is None or not person.active:
            raise Invalid(_("Je kunt alleen delen met een collega van deze school."))
        row = session.exec(
            select(Share).where(
                Share.observation_id == observation.id, Share.person_id == person_id
            )
        ).first()
        if row is None:
            row = Share(
                observation_id=observation.id, person_id=person_id, created_by_id=actor.person.id
            )
        elif row.revoked_at is None:
            return Shared(person_id=person.id, name=person.name, since=row.created_at)
        else:
            row.revoked_at, row.created_at, row.created_by_id = None, utcnow(), actor.person.id
        session.add(row)
        changelog.observation_changed(session, observation, "observation", observation.id)
        return Shared(person_id=person.id, name=person.name, since=row.created_at)


def revoke(
    session: Session, *, actor: Actor, observation_id: uuid.UUID, person_id: uuid.UUID
) -> None:
    with transaction(session):
        observation = _own(session, actor, observation_id)
        row = session.exec(
            select(Share).where(
                Share.observation_id == observation.id,
                Share.person_id == person_id,
                col(Share.revoked_at).is_(None),
            )
        ).first()
        if row is None:
            raise NotFound(_("Deze observatie is niet met deze persoon gedeeld."))
        row.revoked_at = utcnow()
        session.add(row)
        changelog.observation_changed(session, observation, "observation", observation.id)
