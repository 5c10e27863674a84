"""The observed teacher's reflection on an observation of their lesson.

One reflection per observation, written only by the observed teacher, guided by the questions of
seed 003: which mechanism was dominant and why; which behaviours were green, orange and red for
us; and the next step. It is versioned like an observation header: a writer names the version
they edited, and a stale version is refused with the current one, so two tabs or a tablet and
the page never overwrite each other unseen. The same words arriving twice change nothing.

The page, the JSON API and the tablet's sync all write through :func:`save`.
"""

import uuid
from typing import Literal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import changelog
from app.access import Action, authorize, get_observation
from app.auth import Actor
from app.db import insert_once, transaction
from app.errors import Conflict
from app.i18n import _
from app.models import Reflection, ReflectionPublic, utcnow

FIELDS = ("dominant_mechanism", "zones", "next_step")

# The guiding questions, as the form and the export show them (source texts, translated on use).
QUESTIONS = {
    "dominant_mechanism": "Welk mechanisme was dominant in deze les, en waarom?",
    "zones": "Welke gedragingen waren voor ons groen, oranje en rood, en waarom?",
    "next_step": "Wat neem ik mee naar een volgende les?",
}


def of(session: Session, observation_id: uuid.UUID) -> Reflection | None:
    query = select(Reflection).where(Reflection.observation_id == observation_id)
    return session.exec(query).first()


def public(row: Reflection | None) -> ReflectionPublic | None:
    return None if row is None else ReflectionPublic.model_validate(row, from_attributes=True)


class Stale(Conflict):
    """The reflection changed since the writer loaded it."""


def save(
    session: Session,
    *,
    actor: Actor,
    observation_id: uuid.UUID,
    texts: dict[str, str],
    version: int | None,
    reflection_id: uuid.UUID | None = None,
) -> tuple[Reflection, Literal["applied", "duplicate"]]:
    """Write the reflection. ``version`` is the version the writer edited (None for a first
    reflection); ``reflection_id`` is the tablet's id, when it comes from one."""
    with transaction(session):
        obs = get_observation(session, actor, observation_id)
        authorize(actor, Action.reflect, obs)
        texts = {k: texts.get(k, "").strip() for k in FIELDS}
        existing = of(session, obs.id)
        if existing is None:
            row = Reflection(
                id=reflection_id or uuid.uuid4(),
                observation_id=obs.id,
                author_id=actor.person.id,
                dominant_mechanism=texts["dominant_mechanism"],
                zones=texts["zones"],
                next_step=texts["next_step"],
            )
            try:
                taken = insert_once(session, row)
            except IntegrityError:  # another first reflection on this lesson landed just before
                raise _stale(session, obs.id) from None
            if taken is not None:
                get_observation(session, actor, taken.observation_id)
                raise Conflict(_("Deze reflectie bestaat al bij een andere observatie."))
            changelog.observation_changed(session, obs, "reflection", row.id)
            return row, "applied"
        if reflection_id is not None and existing.id != reflection_id:
            raise Conflict(_("Er is al een reflectie bij deze les; open die en vul haar aan."))
        same = all(getattr(existing, k) == v for k, v in texts.items())
        if version != existing.version:
            if same:  # the same words, sent again after they landed
                return existing, "duplicate"
            raise _stale(session, obs.id)
        if same:
            return existing, "applied"
        # Compare and set in one statement: two writers who both read this version cannot both win.
        done = session.exec(
            update(Reflection)
            .where(col(Reflection.id) == existing.id, col(Reflection.version) == existing.version)
            .values(**texts, version=existing.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            raise _stale(session, obs.id)
        session.refresh(existing)
        changelog.observation_changed(session, obs, "reflection", existing.id)
        return existing, "applied"


def _stale(session: Session, observation_id: uuid.UUID) -> Stale:
    current = session.exec(
        select(Reflection)
        .where(Reflection.observation_id == observation_id)
        .execution_options(populate_existing=True)
    ).first()
    version = current.version if current else 0
    return Stale(
        _(
            "Je reflectie is intussen elders aangepast (versie {v}). "
            "Jouw tekst staat hieronder nog; neem over wat je wilt bewaren.",
            v=version,
        ),
        current_version=version,
    )
