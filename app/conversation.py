"""The short conversation on an observation, between its observer and its observed teacher.

A remark is about the observation as a whole or about one of its moments (the timestamped
comment of a video-coaching tool, on a coded moment instead of a video frame). Only the two people
of the lesson write; everyone who may read the observation reads the conversation with it, so a
colleague the teacher shares the lesson with sees the whole of it. Each remark carries an id, made
by the client when it likes, so that sending it twice adds it once. Its author may withdraw it:
the text goes, a marker stays, so that the replies after it keep their sense.
"""

import uuid

from sqlmodel import Session, col, select

from app.access import Action, authorize, get_observation
from app.auth import Actor
from app.db import insert_once, transaction
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.i18n import _
from app.models import Comment, CommentIn, CommentPublic, Moment, Person, PersonRef, utcnow


def comments_of(
    session: Session, *, actor: Actor, observation_id: uuid.UUID
) -> list[CommentPublic]:
    return thread(session, get_observation(session, actor, observation_id).id)


def thread(session: Session, observation_id: uuid.UUID) -> list[CommentPublic]:
    """The conversation of an observation the caller has already found visible."""
    rows = session.exec(
        select(Comment, Person.name)
        .join(Person, col(Person.id) == Comment.author_id)
        .where(Comment.observation_id == observation_id)
        .order_by(col(Comment.created_at), col(Comment.id))
    ).all()
    return [_public(row, name) for row, name in rows]


def _public(row: Comment, name: str) -> CommentPublic:
    withdrawn = row.deleted_at is not None
    return CommentPublic(
        id=row.id,
        observation_id=row.observation_id,
        moment_id=row.moment_id,
        author=PersonRef(id=row.author_id, name=name),
        body="" if withdrawn else row.body,
        created_at=row.created_at,
        deleted=withdrawn,
    )


def add(
    session: Session, *, actor: Actor, observation_id: uuid.UUID, data: CommentIn
) -> tuple[CommentPublic, bool]:
    """Add a remark; returns it and whether it is new (False when the same id came before)."""
    with transaction(session):
        obs = get_observation(session, actor, observation_id)
        authorize(actor, Action.comment, obs)
        body = data.body.strip()
        if not body:
            raise Invalid(_("Schrijf eerst iets voordat je het plaatst."))
        if data.moment_id is not None:
            moment = session.get(Moment, data.moment_id)
            if moment is None or moment.observation_id != obs.id or moment.deleted_at is not None:
                raise Invalid(_("Dit moment hoort niet (meer) bij deze observatie."))
        row = Comment(
            id=data.id or uuid.uuid4(),
            observation_id=obs.id,
            moment_id=data.moment_id,
            author_id=actor.person.id,
            body=body,
        )
        existing = insert_once(session, row)
        if existing is not None:
            get_observation(session, actor, existing.observation_id)
            same = (
                existing.observation_id == obs.id
                and existing.author_id == actor.person.id
                and existing.moment_id == data.moment_id
                and existing.body == body
            )
            if not same:
                raise Conflict(_("Er bestaat al een reactie met dit id, met andere inhoud."))
            return _public(existing, actor.person.name), False
        return _public(row, actor.person.name), True


def withdraw(
    session: Session, *, actor: Actor, observation_id: uuid.UUID, comment_id: uuid.UUID
) -> None:
    with transaction(session):
        obs = get_observation(session, actor, observation_id)
        row = session.get(Comment, comment_id)
        if row is None or row.observation_id != obs.id:
            raise NotFound(_("Deze reactie bestaat niet."))
        if row.author_id != actor.person.id:
            raise Forbidden(_("Alleen wie een reactie schreef, kan haar intrekken."))
        if row.deleted_at is None:
            row.deleted_at = utcnow()
            row.body = ""
            session.add(row)
