"""Who may do what: the one place that answers it.

The rule for observations (design.md, "Who may see what"): within their current school, a person
sees the observations they made, the observations of their own lessons, and those shared with
them (share not revoked). School leaders and the development group see no more single
observations than a teacher does; they see aggregates. Nothing crosses schools.

Lists and detail views use the same query, :func:`visible_observations`, so they cannot disagree.
Records a person may not see are reported as not found, so their existence does not leak.
"""

import enum
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.auth import Actor
from app.errors import Forbidden, NotFound
from app.i18n import _
from app.models import Observation, Role, Share


class Action(enum.StrEnum):
    observe = "observe"  # start an observation of a colleague's lesson
    edit_observation = "edit_observation"  # header fields, summary, moments
    delete_observation = "delete_observation"
    reflect = "reflect"  # the observed teacher's reflection
    comment = "comment"  # the conversation between observer and observed teacher
    share = "share"
    exclude_from_team = "exclude_from_team"
    read_log = "read_log"  # who opened an observation of my lesson
    own_lessons = "own_lessons"  # "Mijn lessen": the lessons in which I was observed
    read_aggregates = "read_aggregates"
    export_aggregates = "export_aggregates"
    session_pack = "session_pack"
    administer = "administer"  # people, teams, semesters, codebook, retention


_ROLE_ACTIONS: dict[Action, set[Role]] = {
    Action.observe: {Role.coach, Role.teacher},
    Action.own_lessons: {Role.teacher},
    Action.read_aggregates: {Role.coach, Role.teacher, Role.development_group, Role.admin},
    Action.export_aggregates: {Role.development_group, Role.admin},
    Action.session_pack: {Role.development_group},
    Action.administer: {Role.admin},
}


def visible_observations(
    actor: Actor, *, include_deleted: bool = False
) -> SelectOfScalar[Observation]:
    if actor.school is None:
        return select(Observation).where(sa.false())
    me = actor.person.id
    shared_with_me = (
        select(Share.id)
        .where(
            Share.observation_id == Observation.id,
            Share.person_id == me,
            col(Share.revoked_at).is_(None),
        )
        .exists()
    )
    return select(Observation).where(
        Observation.school_id == actor.school.id,
        sa.true() if include_deleted else col(Observation.deleted_at).is_(None),
        sa.or_(
            col(Observation.observer_id) == me,
            col(Observation.observed_teacher_id) == me,
            shared_with_me,
        ),
    )


def get_observation(session: Session, actor: Actor, observation_id: uuid.UUID) -> Observation:
    found = session.exec(
        visible_observations(actor).where(Observation.id == observation_id)
    ).first()
    if found is None:
        raise not_visible()
    return found


def not_visible() -> NotFound:
    """What a person hears of an observation they may not see: the same as of one that does
    not exist."""
    return NotFound(_("Deze observatie bestaat niet of je hebt er geen toegang toe."))


def can(actor: Actor, action: Action, observation: Observation | None = None) -> bool:
    if actor.school is None or actor.membership is None:
        return False
    if observation is not None:
        if observation.school_id != actor.school.id:
            return False
        me = actor.person.id
        if action in (Action.edit_observation, Action.delete_observation):
            return observation.observer_id == me
        if action == Action.comment:
            return me in (observation.observer_id, observation.observed_teacher_id)
        if action in (Action.reflect, Action.share, Action.exclude_from_team, Action.read_log):
            return observation.observed_teacher_id == me
        return False
    allowed = _ROLE_ACTIONS.get(action, set())
    return any(actor.has(role) for role in allowed)


@dataclass(frozen=True)
class Allowed:
    """What a person may do in their current school, decided here once for the pages: the
    menus and the home page show what this says, and never look at roles themselves."""

    observe: bool
    own_lessons: bool
    read_aggregates: bool
    export_aggregates: bool
    session_pack: bool
    administer: bool


def allowed(actor: Actor) -> Allowed:
    return Allowed(
        observe=can(actor, Action.observe),
        own_lessons=can(actor, Action.own_lessons),
        read_aggregates=can(actor, Action.read_aggregates),
        export_aggregates=can(actor, Action.export_aggregates),
        session_pack=can(actor, Action.session_pack),
        administer=can(actor, Action.administer),
    )


def authorize(actor: Actor, action: Action, observation: Observation | None = None) -> None:
    if not can(actor, action, observation):
        raise Forbidden(_(_FORBIDDEN.get(action, "Dit mag je niet doen met jouw rol.")))


# Source texts; translated when raised.
_FORBIDDEN = {
    Action.observe: "Alleen coaches en docenten kunnen een les observeren.",
    Action.edit_observation: "Alleen wie de les observeerde kan deze observatie aanpassen.",
    Action.delete_observation: "Alleen wie de les observeerde kan deze observatie verwijderen.",
    Action.reflect: "Alleen de geobserveerde docent schrijft de reflectie.",
    Action.comment: "Alleen de observator en de geobserveerde docent voeren dit gesprek.",
    Action.share: "Alleen de geobserveerde docent kan deze observatie delen.",
    Action.exclude_from_team: "Alleen de geobserveerde docent beslist over teamgegevens.",
    Action.read_log: "Alleen de geobserveerde docent ziet wie een observatie opende.",
    Action.own_lessons: "Mijn lessen is er voor docenten: de observaties van hun eigen lessen.",
    Action.administer: "Alleen de schoolleiding beheert de school.",
    Action.export_aggregates: "Alleen de ontwikkelgroep en de schoolleiding kunnen exporteren.",
    Action.session_pack: "Alleen de ontwikkelgroep maakt het sessiepakket.",
}
