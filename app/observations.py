"""Lesson observations and their coded moments.

Ids come from the tablet. Creating a record whose id already exists is absorbed by the
primary key, not by a look-up first: the insert runs in a savepoint, and on a key clash the
stored record is compared with the new one. The same content is a harmless repeat; different
content is a conflict, reported and never a server error.

Moments are append-only: deleting one leaves a tombstone (``deleted_at``), and a correction is
a tombstone plus a new moment.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from app import changelog, codebook, conversation, people, reflection
from app.access import (
    Action,
    authorize,
    can,
    get_observation,
    not_visible,
    visible_observations,
)
from app.auth import Actor
from app.db import insert_once, transaction
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.i18n import _
from app.models import (
    Moment,
    MomentCreate,
    MomentPublic,
    Observation,
    ObservationCreate,
    ObservationDetail,
    ObservationPublic,
    ObservationStatus,
    ObservationUpdate,
    Person,
    PersonRef,
    Role,
    Share,
    utcnow,
)
from app.settings import get_settings

MAX_LESSON = timedelta(hours=12)


def _check_codes(session: Session, school_id: uuid.UUID, keys: list[str]) -> None:
    unknown = sorted(set(keys) - codebook.known_keys(session, school_id))
    if unknown:
        raise Invalid(
            _(
                "Onbekende code(s): {keys}. Gebruik de sleutels uit het codeboek.",
                keys=", ".join(k[:40] for k in unknown[:5]),
            )
        )


def _check_times(started_at: datetime, ended_at: datetime | None) -> None:
    if ended_at is not None and not started_at <= ended_at <= started_at + MAX_LESSON:
        raise Invalid(_("Het einde van de les ligt voor het begin of meer dan 12 uur erna."))


def create(session: Session, *, actor: Actor, data: ObservationCreate) -> tuple[Observation, bool]:
    """Returns the observation and whether it was new."""
    with transaction(session):
        authorize(actor, Action.observe)
        assert actor.school is not None
        school = actor.school
        if data.observed_teacher_id == actor.person.id:
            raise Invalid(_("Je kunt geen observatie van je eigen les maken."))
        teacher = people.membership_or_none(session, school.id, data.observed_teacher_id)
        if teacher is None or not teacher.active or not teacher.has(Role.teacher):
            raise Invalid(_("De geobserveerde docent is geen docent van deze school."))
        _check_codes(session, school.id, data.focus_codes)
        started_at = data.started_at or utcnow()
        _check_times(started_at, data.ended_at)
        phases = [p.strip()[:40] for p in (data.phases or school.phases) if p.strip()]
        obs = Observation(
            id=data.id or uuid.uuid4(),
            school_id=school.id,
            observer_id=actor.person.id,
            observed_teacher_id=data.observed_teacher_id,
            group_label=data.group_label.strip(),
            subject=data.subject.strip(),
            started_at=started_at,
            ended_at=data.ended_at,
            status=data.status,
            summary=data.summary,
            codebook_version_id=codebook.current_version(session, school.id).id,
            phases=phases or list(school.phases),
            focus_codes=list(dict.fromkeys(data.focus_codes)),
        )
        existing = insert_once(session, obs)
        if existing is not None:
            # An id taken by a record this person may not see answers as if it did not exist.
            get_observation(session, actor, existing.id)
            if _same_observation(existing, obs):
                return existing, False
            raise Conflict(_("Er bestaat al een observatie met dit id, met andere inhoud."))
        changelog.observation_changed(session, obs, "observation", obs.id)
        return obs, True


def _same_observation(a: Observation, b: Observation) -> bool:
    fields = (
        "school_id",
        "observer_id",
        "observed_teacher_id",
        "group_label",
        "subject",
        "started_at",
        "ended_at",
        "summary",
        "focus_codes",
    )
    return all(getattr(a, f) == getattr(b, f) for f in fields) and str(a.status) == str(b.status)


def update(
    session: Session,
    *,
    actor: Actor,
    observation_id: uuid.UUID,
    data: ObservationUpdate,
) -> Observation:
    with transaction(session):
        obs = get_observation(session, actor, observation_id)
        changes = data.model_dump(exclude_unset=True)
        version = changes.pop("version", None)
        if not changes and not can(actor, Action.exclude_from_team, obs):
            # An empty patch changes nothing, but is still only for those who may change something.
            authorize(actor, Action.edit_observation, obs)
        if "excluded_from_team" in changes:
            authorize(actor, Action.exclude_from_team, obs)
        if set(changes) - {"excluded_from_team"}:
            authorize(actor, Action.edit_observation, obs)
        if version is not None and version != obs.version:
            raise Conflict(
                _(
                    "Iemand anders heeft deze observatie intussen aangepast (versie {v}). "
                    "Laad haar opnieuw.",
                    v=obs.version,
                ),
                current_version=obs.version,
            )
        if not changes:  # no new version: a tablet would see a conflict that is not there
            return obs
        if "focus_codes" in changes:
            _check_codes(session, obs.school_id, changes["focus_codes"] or [])
        if changes.get("ended_at") is not None:
            _check_times(obs.started_at, changes["ended_at"])
        for name in (
            "group_label",
            "subject",
            "status",
            "summary",
            "focus_codes",
            "excluded_from_team",
        ):
            if name in changes and changes[name] is None:
                raise Invalid(_("Het veld {field} mag niet leeg (null) zijn.", field=name))
        obs.sqlmodel_update(changes)
        obs.version += 1
        obs.updated_at = utcnow()
        session.add(obs)
        changelog.observation_changed(session, obs, "observation", obs.id)
        return obs


def delete(session: Session, *, actor: Actor, observation_id: uuid.UUID) -> None:
    with transaction(session):
        obs = get_observation(session, actor, observation_id)
        authorize(actor, Action.delete_observation, obs)
        obs.deleted_at = utcnow()
        obs.version += 1
        session.add(obs)
        changelog.observation_changed(session, obs, "observation", obs.id)


# --- moments -----------------------------------------------------------------------------------


def _check_moment(session: Session, obs: Observation, data: MomentCreate) -> None:
    _check_codes(session, obs.school_id, [data.code])
    if data.phase is not None and data.phase not in obs.phases:
        raise Invalid(
            _(
                "Onbekende lesfase ‘{phase}’; kies uit: {phases}.",
                phase=data.phase[:40],
                phases=", ".join(obs.phases),
            )
        )


def _new_moment(actor: Actor, obs: Observation, moment_id: uuid.UUID, data: MomentCreate) -> Moment:
    return Moment(
        id=moment_id,
        observation_id=obs.id,
        school_id=obs.school_id,
        code=data.code,
        offset_ms=data.offset_ms,
        phase=data.phase,
        zone=data.zone,
        target=data.target,
        note=data.note.strip(),
        note_shareable=data.note_shareable,
        created_by_id=actor.person.id,
    )


def _repeated_moment(session: Session, actor: Actor, stored: Moment, new: Moment) -> Moment:
    """A moment id that is already stored: the same content is a harmless repeat, other content
    a conflict; an id of a moment this person may not see answers as if it did not exist."""
    get_observation(session, actor, stored.observation_id)
    fields = ("observation_id", "code", "offset_ms", "phase", "zone", "target", "note")
    if all(str(getattr(stored, f)) == str(getattr(new, f)) for f in fields):
        return stored
    raise Conflict(_("Er bestaat al een moment met dit id, met andere inhoud."))


def add_moment(
    session: Session,
    *,
    actor: Actor,
    observation_id: uuid.UUID,
    data: MomentCreate,
) -> tuple[Moment, bool]:
    with transaction(session):
        obs = get_observation(session, actor, observation_id)
        authorize(actor, Action.edit_observation, obs)
        _check_moment(session, obs, data)
        moment = _new_moment(actor, obs, data.id or uuid.uuid4(), data)
        existing = insert_once(session, moment)
        if existing is not None:
            return _repeated_moment(session, actor, existing, moment), False
        changelog.observation_changed(session, obs, "moment", moment.id)
        return moment, True


@dataclass
class MomentAdded:
    """How one moment of :func:`add_moments` ended: new, a repeat, or refused."""

    moment: Moment | None
    new: bool = False
    error: DomainError | None = None


def add_moments(
    session: Session,
    *,
    actor: Actor,
    moments: Sequence[tuple[uuid.UUID, uuid.UUID, MomentCreate]],
) -> list[MomentAdded]:
    """Add many moments (id, observation id, data) at once, each with the rules of
    :func:`add_moment`, in set-based statements: one visibility read for their observations,
    one read of the ids already stored, one insert, one reservation of change numbers. Each
    moment gets its own outcome, in the order given; a refused one leaves the others alone."""
    with transaction(session):
        obs_ids = {obs_id for _id, obs_id, _data in moments}
        visible = {
            o.id: o
            for o in session.exec(
                visible_observations(actor).where(col(Observation.id).in_(obs_ids))
            )
        }
        ids = [moment_id for moment_id, _obs, _data in moments]
        stored = {m.id: m for m in session.exec(select(Moment).where(col(Moment.id).in_(ids)))}
        results: list[MomentAdded] = []
        fresh: dict[uuid.UUID, tuple[int, Moment]] = {}
        for moment_id, obs_id, data in moments:
            try:
                obs = visible.get(obs_id)
                if obs is None:
                    raise not_visible()
                authorize(actor, Action.edit_observation, obs)
                _check_moment(session, obs, data)
                moment = _new_moment(actor, obs, moment_id, data)
                earlier = stored.get(moment_id) or fresh.get(moment_id, (0, None))[1]
                if earlier is not None:
                    results.append(MomentAdded(_repeated_moment(session, actor, earlier, moment)))
                    continue
                fresh[moment_id] = (len(results), moment)
                results.append(MomentAdded(moment, new=True))
            except DomainError as e:
                results.append(MomentAdded(None, error=e))
        if fresh:
            _insert_moments(session, actor, fresh, results)
        return results


def _insert_moments(
    session: Session,
    actor: Actor,
    fresh: dict[uuid.UUID, tuple[int, Moment]],
    results: list[MomentAdded],
) -> None:
    """One insert for the new moments; an id another writer stored in the meantime is then a
    repeat like any other. The moments that went in take consecutive change numbers."""
    table = Moment.__table__  # type: ignore[attr-defined]
    rows = [{c.name: getattr(m, c.name) for c in table.columns} for _i, m in fresh.values()]
    insert = _upsert(session)(table).on_conflict_do_nothing(index_elements=["id"])
    went_in = set(session.execute(insert.returning(table.c.id), rows).scalars())
    taken = [i for i in fresh if i not in went_in]
    if taken:
        now = {m.id: m for m in session.exec(select(Moment).where(col(Moment.id).in_(taken)))}
        for moment_id in taken:
            index, moment = fresh[moment_id]
            try:
                repeat = _repeated_moment(session, actor, now[moment_id], moment)
                results[index] = MomentAdded(repeat)
            except DomainError as e:
                results[index] = MomentAdded(None, error=e)
    added = [m for _i, m in fresh.values() if m.id in went_in]
    changelog.moments_added(session, added)


def _upsert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def delete_moment(
    session: Session,
    *,
    actor: Actor,
    observation_id: uuid.UUID,
    moment_id: uuid.UUID,
) -> bool:
    """Tombstone a moment; returns False when it was already deleted."""
    with transaction(session):
        obs = get_observation(session, actor, observation_id)
        authorize(actor, Action.edit_observation, obs)
        moment = session.get(Moment, moment_id)
        if moment is None or moment.observation_id != obs.id:
            raise NotFound(_("Dit moment bestaat niet."))
        if moment.deleted_at is not None:
            return False
        moment.deleted_at = utcnow()
        session.add(moment)
        changelog.observation_changed(session, obs, "moment", moment.id)
        return True


def moments_of(session: Session, observation_id: uuid.UUID) -> list[Moment]:
    return list(
        session.exec(
            select(Moment)
            .where(Moment.observation_id == observation_id, col(Moment.deleted_at).is_(None))
            .order_by(col(Moment.offset_ms), col(Moment.created_at))
        )
    )


# --- reading -----------------------------------------------------------------------------------


def list_visible(
    session: Session,
    *,
    actor: Actor,
    observed_teacher_id: uuid.UUID | None = None,
    observer_id: uuid.UUID | None = None,
    relation: str | None = None,
    status: ObservationStatus | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ObservationPublic]:
    query = visible_observations(actor)
    me = actor.person.id
    if observed_teacher_id:
        query = query.where(Observation.observed_teacher_id == observed_teacher_id)
    if observer_id:
        query = query.where(Observation.observer_id == observer_id)
    if relation == "observer":
        query = query.where(Observation.observer_id == me)
    elif relation == "observed":
        query = query.where(Observation.observed_teacher_id == me)
    elif relation == "shared":
        query = query.where(Observation.observer_id != me, Observation.observed_teacher_id != me)
    if status:
        query = query.where(Observation.status == status.value)
    tz = get_settings().tz
    # The first and last days a date can hold bound nothing, and their midnight would
    # overflow on the way to UTC.
    if since and since > date.min:
        query = query.where(Observation.started_at >= datetime.combine(since, time(), tz))
    if until and until < date.max:
        query = query.where(
            Observation.started_at < datetime.combine(until + timedelta(days=1), time(), tz)
        )
    query = query.order_by(col(Observation.started_at).desc(), col(Observation.id))
    found = list(session.exec(query.offset(offset).limit(limit)))
    return to_public(session, found)


def detail(session: Session, *, actor: Actor, observation_id: uuid.UUID) -> ObservationDetail:
    obs = get_observation(session, actor, observation_id)
    public = to_public(session, [obs])[0]
    moments = [
        MomentPublic.model_validate(m, from_attributes=True) for m in moments_of(session, obs.id)
    ]
    return ObservationDetail(
        **public.model_dump(),
        moments=moments,
        reflection=reflection.public(reflection.of(session, obs.id)),
        comments=conversation.thread(session, obs.id),
    )


def to_public(session: Session, found: list[Observation]) -> list[ObservationPublic]:
    if not found:
        return []
    ids = [o.id for o in found]
    counts = dict(
        session.exec(
            select(Moment.observation_id, func.count())
            .where(col(Moment.observation_id).in_(ids), col(Moment.deleted_at).is_(None))
            .group_by(col(Moment.observation_id))
        ).all()
    )
    person_ids = {o.observer_id for o in found} | {o.observed_teacher_id for o in found}
    names = {
        p.id: p.name for p in session.exec(select(Person).where(col(Person.id).in_(person_ids)))
    }
    return [
        ObservationPublic(
            **o.model_dump(exclude={"observer_id", "codebook_version_id", "deleted_at"}),
            observer=PersonRef(id=o.observer_id, name=names.get(o.observer_id, "")),
            observed_teacher=PersonRef(
                id=o.observed_teacher_id, name=names.get(o.observed_teacher_id, "")
            ),
            moment_count=counts.get(o.id, 0),
        )
        for o in found
    ]


def active_shares(session: Session, observation_id: uuid.UUID) -> list[Share]:
    return list(
        session.exec(
            select(Share).where(
                Share.observation_id == observation_id, col(Share.revoked_at).is_(None)
            )
        )
    )
