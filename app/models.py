"""The data model: tables and the API shapes built on them.

Every id is a UUID; observations, moments and reflections get theirs on the tablet, so that
sending the same record twice can be recognised. Every timestamp is stored in UTC and comes
back time-zone aware, on SQLite as on PostgreSQL.
"""

import enum
import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import (
    BeforeValidator,
    ConfigDict,
    StrictBool,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError
from sqlmodel import JSON, Column, Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp that is always stored as UTC and always read back time-zone aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; Coulisse stores only time-zone aware timestamps")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EnumText(sa.types.TypeDecorator[enum.Enum]):
    """An enum stored as its plain text value (no database enum type to migrate), read back as
    the enum member."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_class: type[enum.Enum], length: int):
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> enum.Enum | None:
        return None if value is None else self.enum_class(value)


class Role(enum.StrEnum):
    coach = "coach"
    teacher = "teacher"
    development_group = "development_group"
    admin = "admin"


class Zone(enum.StrEnum):
    groen = "groen"
    oranje = "oranje"
    rood = "rood"


class Target(enum.StrEnum):
    klas = "klas"
    groep = "groep"
    leerling = "leerling"


class ObservationStatus(enum.StrEnum):
    in_progress = "in_progress"
    ended = "ended"
    ready = "ready"


class CodeKind(enum.StrEnum):
    signaal = "signaal"
    productieve_reflex = "productieve-reflex"
    improductieve_reflex = "improductieve-reflex"


DEFAULT_PHASES = ["start", "instructie", "verwerking", "afsluiting"]
NOTE_MAX = 500
SUMMARY_MAX = 4000
REFLECTION_MAX = 4000
COMMENT_MAX = 1000


# --- schools, people, teams, semesters -----------------------------------------------------


class School(SQLModel, table=True):
    __table_args__ = (sa.CheckConstraint("aggregate_minimum >= 3", name="aggregate_minimum"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=120)
    slug: str = Field(max_length=60, unique=True)
    aggregate_minimum: int = 5
    retention_years: int = 2
    phases: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PHASES), sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Person(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=120)
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Membership(SQLModel, table=True):
    """A person's place in one school, with any combination of roles."""

    __table_args__ = (sa.UniqueConstraint("school_id", "person_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    school_id: uuid.UUID = Field(foreign_key="school.id", index=True, ondelete="CASCADE")
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    is_coach: bool = False
    is_teacher: bool = False
    is_development_group: bool = False
    is_admin: bool = False
    # An admin switches a person off per school; the account itself stays usable for the
    # person's other schools.
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def roles(self) -> list[Role]:
        flags = [
            (self.is_coach, Role.coach),
            (self.is_teacher, Role.teacher),
            (self.is_development_group, Role.development_group),
            (self.is_admin, Role.admin),
        ]
        return [role for on, role in flags if on]

    def has(self, role: Role) -> bool:
        return role in self.roles


class Team(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("school_id", "name"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    school_id: uuid.UUID = Field(foreign_key="school.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)


class TeamMember(SQLModel, table=True):
    """A person's current place in a team. ``since`` is the school day the membership began
    (None: before the team's figures began). A team's figures for a semester count the
    members as they were on the semester's first day, so that no later change of a team
    moves lessons into or out of figures that were already shown (docs/coulissen.md)."""

    team_id: uuid.UUID = Field(foreign_key="team.id", primary_key=True, ondelete="CASCADE")
    person_id: uuid.UUID = Field(
        foreign_key="person.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    since: date | None = None


class TeamMemberPast(SQLModel, table=True):
    """A membership that ended: kept so that the figures of the semesters it covered stay
    what they were."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    team_id: uuid.UUID = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    since: date | None = None
    until: date


class Semester(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("school_id", "starts_on"),
        sa.CheckConstraint("ends_on > starts_on", name="ends_after_start"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    school_id: uuid.UUID = Field(foreign_key="school.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    starts_on: date
    ends_on: date


# --- the codebook ---------------------------------------------------------------------------


class CodebookVersion(SQLModel, table=True):
    """One version of a school's codebook. An edit makes a new version; moments keep their
    meaning through the code's stable key, which every version shares."""

    __table_args__ = (sa.UniqueConstraint("school_id", "number"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    school_id: uuid.UUID = Field(foreign_key="school.id", index=True, ondelete="CASCADE")
    number: int
    name: str = Field(max_length=80)
    change_note: str = Field(default="", max_length=300)
    created_by_id: uuid.UUID | None = Field(
        default=None, foreign_key="person.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Code(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("version_id", "key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    version_id: uuid.UUID = Field(foreign_key="codebookversion.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=40)
    family: str = Field(max_length=40)
    kind: CodeKind = Field(sa_type=EnumText(CodeKind, 30))
    face: str = Field(max_length=40)
    aim: str = Field(max_length=40)
    label: str = Field(max_length=80)
    description: str = Field(max_length=300)
    colour: str = Field(max_length=7)
    retired: bool = False
    position: int = 0


# --- observations ---------------------------------------------------------------------------


class ObservationBase(SQLModel):
    observed_teacher_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    group_label: str = Field(default="", max_length=40)
    subject: str = Field(default="", max_length=60)
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: ObservationStatus = Field(
        default=ObservationStatus.in_progress, sa_type=EnumText(ObservationStatus, 20)
    )
    summary: str = Field(default="", max_length=SUMMARY_MAX)


class Observation(ObservationBase, table=True):
    __table_args__ = (sa.Index("ix_observation_school_started", "school_id", "started_at"),)

    id: uuid.UUID = Field(primary_key=True)
    school_id: uuid.UUID = Field(foreign_key="school.id", ondelete="CASCADE")
    observer_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    codebook_version_id: uuid.UUID | None = Field(
        default=None, foreign_key="codebookversion.id", ondelete="SET NULL"
    )
    phases: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PHASES), sa_column=Column(JSON, nullable=False)
    )
    focus_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    excluded_from_team: bool = False
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Moment(SQLModel, table=True):
    """A coded moment. Append-only: a correction is a tombstone (``deleted_at``) plus a new one."""

    __table_args__ = (
        sa.CheckConstraint("offset_ms >= 0", name="offset_not_negative"),
        # The coulissen dashboard reads counts per lesson, code, phase and zone from this index
        # alone (bench/coulissen.py measures it with and without).
        sa.Index(
            "ix_moment_observation_counted", "observation_id", "deleted_at", "code", "phase", "zone"
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    observation_id: uuid.UUID = Field(foreign_key="observation.id", index=True, ondelete="CASCADE")
    school_id: uuid.UUID = Field(foreign_key="school.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=40)
    offset_ms: int
    phase: str | None = Field(default=None, max_length=40)
    zone: Zone | None = Field(default=None, sa_type=EnumText(Zone, 10))
    target: Target | None = Field(default=None, sa_type=EnumText(Target, 10))
    note: str = Field(default="", max_length=NOTE_MAX)
    note_shareable: bool = False
    created_by_id: uuid.UUID = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Reflection(SQLModel, table=True):
    """The observed teacher's reflection on one observation, guided by the seed's questions."""

    id: uuid.UUID = Field(primary_key=True)
    observation_id: uuid.UUID = Field(foreign_key="observation.id", unique=True, ondelete="CASCADE")
    author_id: uuid.UUID = Field(foreign_key="person.id")
    dominant_mechanism: str = Field(default="", max_length=REFLECTION_MAX)
    zones: str = Field(default="", max_length=REFLECTION_MAX)
    next_step: str = Field(default="", max_length=REFLECTION_MAX)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Comment(SQLModel, table=True):
    """One remark in the short conversation between observer and observed teacher, on the
    observation as a whole or on one of its moments. Its author may withdraw it; the row stays
    as a tombstone so the thread keeps its shape."""

    __table_args__ = (sa.Index("ix_comment_observation_created", "observation_id", "created_at"),)

    id: uuid.UUID = Field(primary_key=True)
    observation_id: uuid.UUID = Field(foreign_key="observation.id", ondelete="CASCADE")
    moment_id: uuid.UUID | None = Field(default=None, foreign_key="moment.id", ondelete="CASCADE")
    author_id: uuid.UUID = Field(foreign_key="person.id")
    body: str = Field(max_length=COMMENT_MAX)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ObservationRead(SQLModel, table=True):
    """Someone other than the observed teacher opened an observation: the observed teacher
    sees who and when (the read log). Opens by one person within a few minutes count once."""

    __table_args__ = (sa.Index("ix_observationread_observation_read", "observation_id", "read_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    observation_id: uuid.UUID = Field(foreign_key="observation.id", ondelete="CASCADE")
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    read_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Share(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("observation_id", "person_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    observation_id: uuid.UUID = Field(foreign_key="observation.id", index=True, ondelete="CASCADE")
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    created_by_id: uuid.UUID = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- accounts -------------------------------------------------------------------------------


class AuthSession(SQLModel, table=True):
    """A server-side login session. Only a hash of the cookie's token is stored."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    school_id: uuid.UUID | None = Field(default=None, foreign_key="school.id", ondelete="SET NULL")
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    user_agent: str = Field(default="", max_length=300)


class Invitation(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    school_id: uuid.UUID = Field(foreign_key="school.id", index=True, ondelete="CASCADE")
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    created_by_id: uuid.UUID | None = Field(
        default=None, foreign_key="person.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # An invitation either sets the password of an account that this school made (the school
    # already holds its membership), or asks someone who already has an account (or is
    # pending elsewhere) to join: then the membership is made only when that person, logged
    # in, accepts. ``name`` is what the inviting school typed; until acceptance that school
    # sees this, never the account's own name. ``roles`` is comma-separated role values.
    name: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})
    roles: str = Field(default="", max_length=120, sa_column_kwargs={"server_default": ""})


class LoginThrottle(SQLModel, table=True):
    """Failed logins per account or per address; the wait after them grows, and then lapses."""

    key: str = Field(primary_key=True, max_length=300)
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    blocked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- sync ---------------------------------------------------------------------------------------


class SchoolCounter(SQLModel, table=True):
    """The school's change counter. Every change takes the next value in the transaction that
    makes the change, so values become visible in commit order (a database sequence may not)."""

    school_id: uuid.UUID = Field(foreign_key="school.id", primary_key=True, ondelete="CASCADE")
    value: int = Field(default=0, sa_type=sa.BigInteger)


class Change(SQLModel, table=True):
    """One entry per change to a synced record, numbered by the school's counter: what a
    tablet pulls after its cursor. The record's current state is read when pulled."""

    school_id: uuid.UUID = Field(foreign_key="school.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(primary_key=True, sa_type=sa.BigInteger)
    entity: str = Field(max_length=20)
    entity_id: uuid.UUID
    observation_id: uuid.UUID = Field(index=True)


class SyncDevice(SQLModel, table=True):
    """A tablet (one browser profile) of one person, and the last mutation it had applied."""

    id: uuid.UUID = Field(primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    last_seq: int = Field(default=0, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_push_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SyncMutation(SQLModel, table=True):
    """Every mutation a device pushed, by (device, seq): the primary key absorbs a repeat, and
    the stored outcome answers it. Conflicting and rejected writes keep their data for review."""

    device_id: uuid.UUID = Field(foreign_key="syncdevice.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(primary_key=True, sa_type=sa.BigInteger)
    type: str = Field(max_length=30)
    record_id: uuid.UUID
    status: str = Field(max_length=12)
    reason: str = Field(default="", max_length=500)
    version: int | None = None
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- API shapes -----------------------------------------------------------------------------


def aware_timestamp(value: datetime | None) -> datetime | None:
    """A timestamp from outside must carry its time zone and lie in a range the database and
    date arithmetic can hold (year 1 or 9999 would overflow on the way to UTC). The year is
    the one written, before any conversion to UTC, so that the API schema can state the range
    (``TIMESTAMP_YEARS``); no offset takes a year from 1900 to 8999 out of range."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("tijdstip zonder tijdzone; gebruik bijvoorbeeld 2026-11-24T09:00:00Z")
    if not 1900 <= value.year < 9000:
        raise ValueError("tijdstip ligt buiten het bereik van het jaar 1900 tot 9000")
    return value


# A timestamp as RFC 3339 text, the API schema's ``date-time`` format. Without this check
# pydantic would also take a number of seconds since 1970. (One without its offset passes here
# and is refused by ``aware_timestamp``, which says so.)
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)?")
TIMESTAMP_YEARS = r"^(19\d\d|[2-8]\d\d\d)-"


def _timestamp_text(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and RFC3339.fullmatch(value)):
        return value
    raise PydanticCustomError("datetime_parsing", "Input should be a valid datetime")


Timestamp = Annotated[
    datetime,
    BeforeValidator(_timestamp_text),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": TIMESTAMP_YEARS}),
]


def _json_integer(value: Any) -> Any:
    if isinstance(value, bool | str):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


# An integer as JSON has it: 5.0 is one, as the schema's ``integer`` says; pydantic alone would
# also take true and "5".
Integer = Annotated[int, BeforeValidator(_json_integer)]


def storable_text(text: str) -> bool:
    """No NUL (PostgreSQL cannot store it) and no lone surrogate (not encodable as UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


NO_NUL = "^[^\\u0000]*$"


def _text_rule(schema: dict[str, Any]) -> None:
    """Every text field of an ``Input`` says in the API schema that it takes no NUL."""

    def mark(part: Any) -> None:
        if not isinstance(part, dict):
            return
        if part.get("type") == "string" and not {"format", "enum", "const", "pattern"} & set(part):
            part["pattern"] = NO_NUL
        for alternative in part.get("anyOf", []):
            mark(alternative)
        mark(part.get("items"))

    for field in schema.get("properties", {}).values():
        mark(field)


class Input(SQLModel):
    """Every request body: text may not hold the NUL character, which PostgreSQL cannot store
    (it would be a server error instead of a clear message)."""

    model_config = ConfigDict(json_schema_extra=_text_rule)  # type: ignore[assignment]

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        for t in texts:
            if isinstance(t, str) and not storable_text(t):
                raise ValueError("de tekst bevat een ongeldig teken (NUL of een los surrogaat)")
        return value


class ObservationCreate(Input):
    id: uuid.UUID | None = None
    observed_teacher_id: uuid.UUID
    group_label: str = Field(default="", max_length=40)
    subject: str = Field(default="", max_length=60)
    started_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    status: ObservationStatus = ObservationStatus.in_progress
    summary: str = Field(default="", max_length=SUMMARY_MAX)
    focus_codes: list[str] = Field(default_factory=list, max_length=40)
    phases: list[str] | None = Field(default=None, max_length=12)

    @field_validator("started_at", "ended_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return aware_timestamp(value)


def _not_null(schema: dict[str, Any]) -> None:
    """The field may be left out, but when it is sent it may not be null: its schema shows
    neither a null alternative nor a null default."""
    schema.pop("default", None)
    kept = [a for a in schema.pop("anyOf", []) if a != {"type": "null"}]
    if len(kept) == 1:
        schema.update(kept[0])
    elif kept:
        schema["anyOf"] = kept


NOT_NULL: dict[str, Any] = {"json_schema_extra": _not_null}


class ObservationUpdate(Input):
    group_label: str | None = Field(default=None, max_length=40, schema_extra=NOT_NULL)
    subject: str | None = Field(default=None, max_length=60, schema_extra=NOT_NULL)
    ended_at: Timestamp | None = None
    status: ObservationStatus | None = Field(default=None, schema_extra=NOT_NULL)
    summary: str | None = Field(default=None, max_length=SUMMARY_MAX, schema_extra=NOT_NULL)
    focus_codes: list[str] | None = Field(default=None, max_length=40, schema_extra=NOT_NULL)
    excluded_from_team: StrictBool | None = Field(default=None, schema_extra=NOT_NULL)
    version: Integer | None = Field(
        default=None, description="The version you edited; a stale version gives 409."
    )

    @field_validator("ended_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return aware_timestamp(value)


class MomentCreate(Input):
    id: uuid.UUID | None = None
    code: str = Field(min_length=1, max_length=40)
    offset_ms: Integer = Field(ge=0, le=24 * 3600 * 1000)
    phase: str | None = Field(default=None, max_length=40)
    zone: Zone | None = None
    target: Target | None = None
    note: str = Field(default="", max_length=NOTE_MAX)
    note_shareable: StrictBool = False


class MomentPublic(SQLModel):
    id: uuid.UUID
    observation_id: uuid.UUID
    code: str
    offset_ms: int
    phase: str | None
    zone: Zone | None
    target: Target | None
    note: str
    note_shareable: bool
    created_by_id: uuid.UUID
    created_at: datetime
    deleted_at: datetime | None


class PersonRef(SQLModel):
    id: uuid.UUID
    name: str


class ObservationPublic(ObservationBase):
    id: uuid.UUID
    school_id: uuid.UUID
    observer: PersonRef
    observed_teacher: PersonRef
    phases: list[str]
    focus_codes: list[str]
    excluded_from_team: bool
    version: int
    created_at: datetime
    updated_at: datetime
    moment_count: int


class ReflectionIn(Input):
    # A misspelt field would otherwise save an empty answer and report success.
    model_config = ConfigDict(extra="forbid")

    dominant_mechanism: str = Field(default="", max_length=REFLECTION_MAX)
    zones: str = Field(default="", max_length=REFLECTION_MAX)
    next_step: str = Field(default="", max_length=REFLECTION_MAX)
    version: Integer | None = Field(
        default=None,
        description="The version you edited (none for a first reflection); a stale one gives 409.",
    )


class ReflectionPublic(SQLModel):
    id: uuid.UUID
    observation_id: uuid.UUID
    dominant_mechanism: str
    zones: str
    next_step: str
    version: int
    created_at: datetime
    updated_at: datetime


class CommentIn(Input):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(
        default=None, description="Made by the client, so that sending it twice adds it once."
    )
    body: str = Field(min_length=1, max_length=COMMENT_MAX)
    moment_id: uuid.UUID | None = None


class CommentPublic(SQLModel):
    id: uuid.UUID
    observation_id: uuid.UUID
    moment_id: uuid.UUID | None
    author: PersonRef
    body: str
    created_at: datetime
    deleted: bool


class ObservationDetail(ObservationPublic):
    moments: list[MomentPublic]
    reflection: ReflectionPublic | None = None
    comments: list[CommentPublic] = []
