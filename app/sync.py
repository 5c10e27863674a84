"""Offline sync: the server side of the protocol in docs/sync.md.

push: a device sends its outbox, mutations numbered by a per-device sequence. The whole batch
is one transaction: each mutation's effect, the change number it gets, its outcome row
(device, seq) and the device's last applied seq commit together, or not at all. The device's
row is locked for the batch, so two copies of one batch racing each other are applied once:
the second waits, then finds every seq already done and answers "duplicate" from the stored
outcome. The primary key on (device, seq) backs that up.

Outcomes: applied; duplicate (a repeat of something already done); conflict (the record
exists with other content, or changed since the device's base version: the losing write is
kept in the outcome row); rejected (invalid or not allowed: kept with its reason). Every
outcome counts as processed, so nothing blocks the queue behind it.

pull: every change after the device's cursor that the person may see now, with the record's
current state, tombstones included. A cursor ahead of the school's counter (a restored
database) gets a full snapshot with ``reset``.

What the tablet keeps is listed once, in :data:`ENTITIES`: each kind of record with its table,
its tie to an observation, and its mutations. Push, pull and the snapshot read from there.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, col, select

from app import changelog, observations, reflection
from app.access import Action, authorize, get_observation, visible_observations
from app.auth import Actor
from app.db import transaction
from app.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    UpgradeRequired,
    describe_validation_error,
)
from app.i18n import _
from app.models import (
    REFLECTION_MAX,
    Change,
    Input,
    Integer,
    Moment,
    MomentCreate,
    Observation,
    ObservationCreate,
    ObservationStatus,
    ObservationUpdate,
    Reflection,
    Share,
    SyncDevice,
    SyncMutation,
    aware_timestamp,
    utcnow,
)

SCHEMA_VERSIONS = {1}
MAX_BATCH = 500


# --- the data of each mutation type ---------------------------------------------------------------


class ObservationData(Input):
    observed_teacher_id: uuid.UUID
    group_label: str = Field(default="", max_length=40)
    subject: str = Field(default="", max_length=60)
    started_at: datetime
    ended_at: datetime | None = None
    status: ObservationStatus = ObservationStatus.in_progress
    summary: str = Field(default="", max_length=4000)
    focus_codes: list[str] = Field(default_factory=list, max_length=40)
    phases: list[str] | None = Field(default=None, max_length=12)

    @field_validator("started_at", "ended_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return aware_timestamp(value)


class MomentData(MomentCreate):
    observation_id: uuid.UUID


class MomentDeleteData(Input):
    observation_id: uuid.UUID | None = None


class ReflectionData(Input):
    observation_id: uuid.UUID
    dominant_mechanism: str = Field(default="", max_length=REFLECTION_MAX)
    zones: str = Field(default="", max_length=REFLECTION_MAX)
    next_step: str = Field(default="", max_length=REFLECTION_MAX)


class Outcome(Exception):
    """How a mutation ended, when it did not simply apply."""

    def __init__(self, status: str, reason: str = "", version: int | None = None):
        super().__init__(reason)
        self.status, self.reason, self.version = status, reason, version


def _parse(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        reasons = [describe_validation_error(dict(err)) for err in e.errors()[:3]]
        raise Invalid(" ".join(reasons)) from None


def _put_observation(session: Session, actor: Actor, m: MutationIn) -> int:
    data: ObservationData = _parse(ObservationData, m.data)
    existing = session.get(Observation, m.id)
    if existing is None:
        if m.base_version not in (None, 0):
            raise Outcome("conflict", _("Deze observatie bestaat niet (meer) op de server."))
        obs, _new = observations.create(
            session,
            actor=actor,
            data=ObservationCreate(id=m.id, **data.model_dump()),
        )
        return obs.version
    obs = get_observation(session, actor, m.id)
    authorize(actor, Action.edit_observation, obs)
    if obs.observed_teacher_id != data.observed_teacher_id:
        raise Outcome("conflict", _("De geobserveerde docent van een observatie verandert niet."))
    fields = data.model_dump(
        include={"group_label", "subject", "ended_at", "status", "summary", "focus_codes"}
    )
    same = all(getattr(obs, k) == v for k, v in fields.items())
    if m.base_version is None or m.base_version != obs.version:
        if same:
            raise Outcome("duplicate", version=obs.version)
        raise Outcome(
            "conflict",
            _(
                "Iemand anders heeft deze observatie intussen aangepast (versie {v}).",
                v=obs.version,
            ),
            obs.version,
        )
    if same:
        return obs.version
    updated = observations.update(
        session,
        actor=actor,
        observation_id=obs.id,
        data=ObservationUpdate(**fields, version=m.base_version),
    )
    return updated.version


def _add_moment(session: Session, actor: Actor, m: MutationIn) -> int:
    data: MomentData = _parse(MomentData, m.data)
    payload = data.model_dump(exclude={"observation_id", "id"})
    try:
        _moment, new = observations.add_moment(
            session,
            actor=actor,
            observation_id=data.observation_id,
            data=MomentCreate(id=m.id, **payload),
        )
    except Conflict as e:
        raise Outcome("conflict", e.message) from None
    if not new:
        raise Outcome("duplicate", version=1)
    return 1


def _delete_moment(session: Session, actor: Actor, m: MutationIn) -> int:
    moment = session.get(Moment, m.id)
    if moment is None or moment.school_id != (actor.school.id if actor.school else None):
        raise Invalid(_("Dit moment bestaat niet op de server."))
    deleted = observations.delete_moment(
        session, actor=actor, observation_id=moment.observation_id, moment_id=m.id
    )
    if not deleted:
        raise Outcome("duplicate", version=1)
    return 1


def _put_reflection(session: Session, actor: Actor, m: MutationIn) -> int:
    data: ReflectionData = _parse(ReflectionData, m.data)
    try:
        row, status = reflection.save(
            session,
            actor=actor,
            observation_id=data.observation_id,
            texts=data.model_dump(include=set(reflection.FIELDS)),
            version=m.base_version,
            reflection_id=m.id,
        )
    except reflection.Stale as e:
        raise Outcome("conflict", e.message, e.extra["current_version"]) from None
    except Conflict as e:
        raise Outcome("conflict", e.message) from None
    if status == "duplicate":
        raise Outcome("duplicate", version=row.version)
    return row.version


Apply = Callable[[Session, Actor, "MutationIn"], int]


@dataclass(frozen=True)
class Entity:
    """A kind of record the tablet keeps: the mutations it sends for it, the table its current
    state is read from, and the column that ties a record to its observation (whoever may see
    the observation may see the record). A new kind of record is one more entry in
    :data:`ENTITIES`; push, pull and the snapshot all read from there."""

    name: str
    model: Any
    observation_column: Any
    mutations: dict[str, Apply]

    def state(self, row: Any) -> dict[str, Any]:
        data: dict[str, Any] = row.model_dump(mode="json")
        data.pop("id", None)
        return data


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity("observation", Observation, Observation.id, {"observation.put": _put_observation}),
        Entity(
            "moment",
            Moment,
            Moment.observation_id,
            {"moment.add": _add_moment, "moment.delete": _delete_moment},
        ),
        Entity(
            "reflection",
            Reflection,
            Reflection.observation_id,
            {"reflection.put": _put_reflection},
        ),
    )
}
APPLY: dict[str, Apply] = {t: f for e in ENTITIES.values() for t, f in e.mutations.items()}

if TYPE_CHECKING:
    MutationType = str
    EntityName = str
else:  # the API's schema lists the choices, taken from the registry
    MutationType = Literal[tuple(APPLY)]
    EntityName = Literal[tuple(ENTITIES)]


class MutationIn(BaseModel):
    seq: Integer = Field(ge=1, le=2**62)
    type: MutationType
    id: uuid.UUID
    base_version: Integer | None = Field(default=None, ge=0)
    data: dict[str, Any] = Field(default_factory=dict)


class PushIn(BaseModel):
    device_id: uuid.UUID
    schema_version: Integer
    mutations: list[MutationIn] = Field(max_length=MAX_BATCH)


class MutationResult(BaseModel):
    seq: int
    status: Literal["applied", "duplicate", "conflict", "rejected"]
    version: int | None = None
    reason: str = ""


class PushOut(BaseModel):
    results: list[MutationResult]
    expected_seq: int | None = Field(
        default=None, description="Set when the batch stopped at a gap: the seq the server expects."
    )


class ChangeOut(BaseModel):
    seq: int
    entity: EntityName
    id: uuid.UUID
    deleted: bool
    data: dict[str, Any] | None


class PullOut(BaseModel):
    changes: list[ChangeOut]
    cursor: int
    has_more: bool
    reset: bool = False
    school_id: uuid.UUID


# --- push ---------------------------------------------------------------------------------------


def _lock_device(session: Session, actor: Actor, device_id: uuid.UUID) -> SyncDevice:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = SyncDevice.__table__  # type: ignore[attr-defined]
    session.execute(
        insert(table)
        .values(
            id=device_id,
            person_id=actor.person.id,
            last_seq=0,
            created_at=utcnow(),
            last_push_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    device = session.exec(
        select(SyncDevice).where(SyncDevice.id == device_id).with_for_update()
    ).one()
    session.refresh(device)
    if device.person_id != actor.person.id:
        raise Forbidden(
            _("Dit apparaat-id hoort bij een ander account. Log uit en weer in op deze tablet.")
        )
    return device


def push(session: Session, *, actor: Actor, batch: PushIn) -> PushOut:
    if batch.schema_version not in SCHEMA_VERSIONS:
        raise UpgradeRequired(
            _(
                "Deze versie van de app is te oud om te synchroniseren. Werk de app bij; "
                "wat op de tablet staat blijft bewaard."
            )
        )
    with transaction(session):
        device = _lock_device(session, actor, batch.device_id)
        results: list[MutationResult] = []
        expected: int | None = None
        queue = sorted(batch.mutations, key=lambda x: x.seq)
        while queue:
            m = queue[0]
            if m.seq <= device.last_seq:
                results.append(_repeat(session, device.id, queue.pop(0).seq))
                continue
            if m.seq != device.last_seq + 1:
                expected = device.last_seq + 1
                break
            run = _moment_run(queue)
            if run:
                results.extend(_add_moments(session, actor, device, run))
            else:
                run = [queue[0]]
                results.append(_apply(session, actor, device, m))
            del queue[: len(run)]
            device.last_seq = run[-1].seq
        device.last_push_at = utcnow()
        session.add(device)
    return PushOut(results=results, expected_seq=expected)


def _moment_run(queue: list[MutationIn]) -> list[MutationIn]:
    """The new moments at the head of the queue, in unbroken seq order: most of a lesson's
    outbox, applied together."""
    run: list[MutationIn] = []
    for m in queue:
        if m.type != "moment.add" or (run and m.seq != run[-1].seq + 1):
            break
        run.append(m)
    return run


def _add_moments(
    session: Session, actor: Actor, device: SyncDevice, run: list[MutationIn]
) -> list[MutationResult]:
    """A run of new moments in set-based statements (observations.add_moments), each with the
    outcome it would have had alone. Should the database refuse a value past every check, the
    run is undone and applied one by one, so that only that mutation is refused."""
    outcomes: dict[int, tuple[MutationResult, dict[str, Any] | None]] = {}
    parsed: list[tuple[MutationIn, MomentData]] = []
    for m in run:
        try:
            parsed.append((m, _parse(MomentData, m.data)))
        except DomainError as e:
            outcomes[m.seq] = _refused(m, "rejected", e.message)
    try:
        with session.begin_nested():
            added = observations.add_moments(
                session, actor=actor, moments=[(m.id, d.observation_id, d) for m, d in parsed]
            )
    except (DataError, IntegrityError):
        return [_apply(session, actor, device, m) for m in run]
    for (m, _data), done in zip(parsed, added, strict=True):
        if done.error is None:
            status = "applied" if done.new else "duplicate"
            outcomes[m.seq] = (MutationResult(seq=m.seq, status=status, version=1), None)
        else:
            kind: Literal["conflict", "rejected"] = (
                "conflict" if isinstance(done.error, Conflict) else "rejected"
            )
            outcomes[m.seq] = _refused(m, kind, done.error.message)
    table = SyncMutation.__table__  # type: ignore[attr-defined]
    session.execute(table.insert(), [_outcome_row(device, m, *outcomes[m.seq]) for m in run])
    return [outcomes[m.seq][0] for m in run]


def _refused(
    m: MutationIn, status: Literal["conflict", "rejected"], reason: str
) -> tuple[MutationResult, dict[str, Any] | None]:
    """A losing or refused mutation: its answer, and its data kept for the person to review."""
    return MutationResult(seq=m.seq, status=status, reason=reason), kept_data(m.data)


def _outcome_row(
    device: SyncDevice, m: MutationIn, result: MutationResult, keep: dict[str, Any] | None
) -> dict[str, Any]:
    """The stored outcome of one mutation, by (device, seq), that answers its repeats."""
    return {
        "device_id": device.id,
        "seq": m.seq,
        "type": m.type,
        "record_id": m.id,
        "status": result.status,
        "reason": result.reason[:500],
        "version": result.version,
        "data": keep,
        "received_at": utcnow(),
    }


def _repeat(session: Session, device_id: uuid.UUID, seq: int) -> MutationResult:
    """A seq sent again gets its stored outcome: a conflict or rejection stays one (a retry
    after a lost answer must not hide it); what was applied is now a duplicate."""
    done = session.get(SyncMutation, (device_id, seq))
    if done is None:
        return MutationResult(seq=seq, status="duplicate")
    status = done.status if done.status in ("conflict", "rejected") else "duplicate"
    return MutationResult(seq=seq, status=status, version=done.version, reason=done.reason)


def _apply(session: Session, actor: Actor, device: SyncDevice, m: MutationIn) -> MutationResult:
    status, reason, version = "applied", "", None
    keep: dict[str, Any] | None = None
    try:
        with session.begin_nested():
            version = APPLY[m.type](session, actor, m)
    except Outcome as o:
        status, reason, version = o.status, o.reason, o.version
        if o.status == "conflict":
            keep = kept_data(m.data)
    except DomainError as e:
        status, reason, keep = "rejected", e.message, kept_data(m.data)
    except DataError:
        # A value the database itself cannot hold, past every check: the savepoint is rolled
        # back, and this mutation alone is refused.
        status = "rejected"
        reason = _("Deze invoer bevat tekens of waarden die niet bewaard kunnen worden.")
        keep = kept_data(m.data)
    result = MutationResult(seq=m.seq, status=status, version=version, reason=reason)
    session.add(SyncMutation(**_outcome_row(device, m, result, keep)))
    return result


KEPT_MAX = 16 * 1024


def kept_data(data: dict[str, Any]) -> dict[str, Any]:
    """What is stored of a losing or refused mutation, for the person to review: its content
    made storable (no NUL, no lone surrogate), and nothing unbounded. A valid mutation is far
    below the cap; above it only the size is kept (the device still holds the whole)."""
    clean = _storable(data)
    size = len(json.dumps(clean, ensure_ascii=False).encode())
    if size > KEPT_MAX:
        return {"te_groot": True, "bytes": size}
    return clean


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_storable(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --- pull ---------------------------------------------------------------------------------------


def pull(session: Session, *, actor: Actor, cursor: int, limit: int) -> PullOut:
    assert actor.school is not None
    school_id = actor.school.id
    top = changelog.current(session, school_id)
    if cursor > top:
        return _snapshot(session, actor, top)
    rows = list(
        session.exec(
            select(Change)
            .where(Change.school_id == school_id, col(Change.seq) > cursor)
            .order_by(col(Change.seq))
            .limit(limit + 1)
        )
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    obs_ids = {r.observation_id for r in rows}
    visible = {
        o.id: o
        for o in session.exec(
            visible_observations(actor, include_deleted=True).where(
                col(Observation.id).in_(obs_ids)
            )
        )
    }
    revoked = set(
        session.exec(
            select(Share.observation_id).where(
                col(Share.observation_id).in_(obs_ids),
                Share.person_id == actor.person.id,
                col(Share.revoked_at).is_not(None),
            )
        )
    )
    changes: list[ChangeOut] = []
    latest: dict[uuid.UUID, int] = {r.entity_id: r.seq for r in rows}
    for r in rows:
        if latest[r.entity_id] != r.seq:
            continue  # a later change in this page carries the current state
        if r.observation_id not in visible:
            if r.entity == "observation" and r.observation_id in revoked:
                changes.append(
                    ChangeOut(
                        seq=r.seq, entity="observation", id=r.entity_id, deleted=True, data=None
                    )
                )
            continue
        changes.append(_change_out(session, r.seq, r, visible))
    return PullOut(
        changes=changes,
        cursor=rows[-1].seq if rows else cursor,
        has_more=has_more,
        school_id=school_id,
    )


def _change_out(
    session: Session, seq: int, change: Change, visible: dict[uuid.UUID, Observation]
) -> ChangeOut:
    entity = ENTITIES[change.entity]
    row = (
        visible.get(change.entity_id)
        if entity.model is Observation
        else session.get(entity.model, change.entity_id)
    )
    if row is None:
        return ChangeOut(seq=seq, entity=entity.name, id=change.entity_id, deleted=True, data=None)
    return _row_out(seq, entity, row)


def _row_out(seq: int, entity: Entity, row: Any) -> ChangeOut:
    return ChangeOut(
        seq=seq,
        entity=entity.name,
        id=row.id,
        deleted=getattr(row, "deleted_at", None) is not None,
        data=entity.state(row),
    )


def _snapshot(session: Session, actor: Actor, top: int) -> PullOut:
    """Every record the person may see now, each entity in the registry's order, all at the
    school's current number."""
    assert actor.school is not None
    visible = {o.id: o for o in session.exec(visible_observations(actor))}
    changes: list[ChangeOut] = []
    for entity in ENTITIES.values():
        if entity.model is Observation:
            rows: Any = visible.values()
        else:
            rows = session.exec(
                select(entity.model).where(col(entity.observation_column).in_(list(visible)))
            )
        changes.extend(_row_out(top, entity, row) for row in rows)
    return PullOut(
        changes=changes, cursor=top, has_more=False, reset=True, school_id=actor.school.id
    )
