"""The JSON API. Routes parse, authorize through the use case, and return; rules live in the
use-case modules. Errors come back as ``{"detail": "<Dutch message>", "code": "..."}``.

Every route declares in the OpenAPI schema each answer it can give: its success, and each error
status with the shape the app's error handlers send (``ERROR``). tests/test_schema.py holds the
app to that schema."""

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError
from sqlalchemy import text

from app import (
    auth,
    codebook,
    conversation,
    coulissen,
    mydata,
    observations,
    people,
    readlog,
    reflection,
    sharing,
    sync,
)
from app.access import Action, authorize
from app.auth import CurrentActor, SchoolActor
from app.db import SessionDep
from app.models import (
    CodeKind,
    CommentIn,
    CommentPublic,
    Input,
    MomentCreate,
    MomentPublic,
    ObservationCreate,
    ObservationDetail,
    ObservationPublic,
    ObservationStatus,
    ObservationUpdate,
    ReflectionIn,
    ReflectionPublic,
    Role,
)

router = APIRouter()
api = APIRouter(prefix="/api")


class ErrorOut(BaseModel):
    """An error: a message in Dutch for the person, and a stable code for a program."""

    model_config = ConfigDict(extra="forbid")

    detail: str
    code: str


class InvalidOut(ErrorOut):
    fields: list[str] = Field(
        default_factory=list,
        description="The parts of the request that were refused, such as ``body.summary`` or "
        "``query.limit``; absent when a well-formed request breaks a rule about other records "
        "(a code that is not in the school's codebook, a colleague of another school).",
    )


class ConflictOut(ErrorOut):
    current_version: int | None = Field(
        default=None, description="The record's version now, when the request named an older one."
    )


ERROR: dict[int, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The body could not be read: not JSON, or not UTF-8."},
    401: {"model": ErrorOut, "description": "Not logged in, or the session has ended."},
    403: {
        "model": ErrorOut,
        "description": "Not allowed: your role or your relation to the record does not allow "
        "it, you belong to no school, or a change came from another site or without the "
        "session's `X-CSRF-Token` header.",
    },
    404: {"model": ErrorOut, "description": "No such record, or none that you may see."},
    409: {
        "model": ConflictOut,
        "description": "The id is taken by other content, or the record changed since the "
        "version you sent.",
    },
    413: {"model": ErrorOut, "description": "The body is larger than this route takes."},
    422: {"model": InvalidOut, "description": "The request breaks a rule; `detail` says which."},
    426: {
        "model": ErrorOut,
        "description": "The app on the device is too old to sync; it keeps what it holds.",
    },
    429: {
        "model": ErrorOut,
        "description": "Too many failed logins: wait before the next attempt.",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
    503: {
        "model": ErrorOut,
        "description": "The server is too busy to take this now; nothing of it was kept. "
        "Send it again after `Retry-After` seconds.",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route can give, for its ``responses``."""
    return {status: ERROR[status] for status in statuses}


def again(model: type[BaseModel], what: str) -> dict[int | str, dict[str, Any]]:
    """The answer to a create that names an id sent before with the same content."""
    return {200: {"model": model, "description": f"This {what} came before; nothing changed."}}


# What each kind of route can answer besides its success: a request without a valid session
# (401); for the routes of a school, a person of none (403); parameters that do not parse (422);
# for a change, a request from another site or without the CSRF token (403), or too large (413).
READ = errors(401, 403, 422)
READ_ONE = errors(401, 403, 404, 422)
REMOVE = errors(401, 403, 404, 413, 422)
WRITE = errors(400, 401, 403, 404, 409, 413, 422)


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return value
    raise PydanticCustomError("date_parsing", "Input should be a valid date")


# A day as the schema's ``date`` format has it (pydantic alone would read ``0`` as 1970-01-01).
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


@router.get("/healthz", tags=["system"])
def healthz(session: SessionDep) -> dict[str, str]:
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    return {"status": "ok", "database": "ok"}


# --- auth --------------------------------------------------------------------------------------


class LoginIn(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=auth.PASSWORD_MAX)


class SchoolOut(BaseModel):
    id: uuid.UUID
    name: str
    roles: list[Role]
    phases: list[str]


class TeamOut(BaseModel):
    id: uuid.UUID
    name: str


class MeOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str
    current_school_id: uuid.UUID | None
    roles: list[Role]
    schools: list[SchoolOut]
    teams: list[TeamOut]
    csrf_token: str


def me_out(session: SessionDep, actor: auth.Actor) -> MeOut:
    rows = people.schools_with_roles(session, actor.person.id)
    teams = people.teams_of(session, actor.school.id, actor.person.id) if actor.school else []
    return MeOut(
        id=actor.person.id,
        name=actor.person.name,
        email=actor.person.email,
        current_school_id=actor.school.id if actor.school else None,
        roles=actor.roles,
        schools=[SchoolOut(id=s.id, name=s.name, roles=m.roles, phases=s.phases) for m, s in rows],
        teams=[TeamOut(id=t.id, name=t.name) for t in teams],
        csrf_token=actor.auth.csrf_token,
    )


@api.post("/auth/login", tags=["auth"], responses=errors(400, 401, 403, 409, 413, 422, 429))
def login(body: LoginIn, request: Request, response: Response, session: SessionDep) -> MeOut:
    """Log in with email and password; sets the session cookie. Send the returned
    ``csrf_token`` as ``X-CSRF-Token`` with every change."""
    auth.check_same_origin(request)
    done = auth.login(
        session,
        email=body.email,
        password=body.password,
        address=auth.client_address(request),
        user_agent=request.headers.get("user-agent", ""),
        device=request.cookies.get(auth.DEVICE_COOKIE),
        replaces=request.cookies.get(auth.SESSION_COOKIE),
    )
    token = done.token
    auth.set_session_cookie(request, response, token)
    auth.set_device_cookie(request, response, done.device)
    actor = auth._resolve_token(session, token)
    assert actor is not None
    return me_out(session, actor)


@api.post(
    "/auth/logout",
    tags=["auth"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(401, 403, 413),
)
def logout(request: Request, actor: CurrentActor, session: SessionDep) -> Response:
    auth.logout(session, token=request.cookies.get(auth.SESSION_COOKIE, ""))
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@api.get("/me", tags=["auth"], responses=errors(401))
def me(actor: CurrentActor, session: SessionDep) -> MeOut:
    return me_out(session, actor)


@api.get(
    "/me/export",
    tags=["auth"],
    responses={
        **errors(401, 422),
        200: {
            "description": "Everything about and by you, as a JSON or CSV download.",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
    },
)
def export_my_data(
    actor: CurrentActor,
    session: SessionDep,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> Response:
    """My data (the AVG right of access): everything Coulisse holds about you and by you, in
    every school you belong to. ``?format=csv`` gives one row per field."""
    data = mydata.collect(session, actor.person)
    stamp = data["exported_at"].astimezone(auth.get_settings().tz).date().isoformat()
    name = f"coulisse-mijn-gegevens-{stamp}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if format == "csv":
        # With a byte order mark, so that a spreadsheet reads the accents right.
        body = "\ufeff" + mydata.as_csv(data)
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    return JSONResponse(jsonable_encoder(data), headers=headers)


class SchoolChoice(BaseModel):
    school_id: uuid.UUID


@api.post("/me/school", tags=["auth"], responses=errors(400, 401, 403, 413, 422))
def choose_school(body: SchoolChoice, actor: CurrentActor, session: SessionDep) -> MeOut:
    """Switch the school you work in (for people who belong to several)."""
    auth.switch_school(session, actor=actor, school_id=body.school_id)
    return me_out(session, actor)


# --- people (for choosing whom to observe) -------------------------------------------------------


class PersonOut(BaseModel):
    id: uuid.UUID
    name: str
    roles: list[Role]


@api.get("/people", tags=["people"], responses=READ)
def list_people(
    actor: SchoolActor, session: SessionDep, role: Role | None = None
) -> list[PersonOut]:
    """People of your current school (names and roles only), e.g. to choose whom to observe."""
    assert actor.school is not None
    return [
        PersonOut(id=p.id, name=p.name, roles=m.roles)
        for p, m in people.people_of(session, actor.school.id, role)
        if m.active
    ]


# --- codebook ----------------------------------------------------------------------------------


class FamilyOut(BaseModel):
    key: str
    label: str
    face: str
    aim: str
    colour: str
    description: str


class CodeOut(BaseModel):
    key: str
    family: str
    kind: CodeKind
    face: str
    aim: str
    label: str
    description: str
    colour: str
    retired: bool


class CodebookOut(BaseModel):
    id: uuid.UUID
    number: int
    name: str
    families: list[FamilyOut]
    codes: list[CodeOut]


@api.get("/codebook", tags=["codebook"], responses=errors(401, 403, 404))
def get_codebook(actor: SchoolActor, session: SessionDep) -> CodebookOut:
    """The current version of your school's codebook: families and codes by stable key."""
    assert actor.school is not None
    book = codebook.as_json(session, codebook.current_version(session, actor.school.id))
    return CodebookOut.model_validate(book)


# --- observations ------------------------------------------------------------------------------


@api.post(
    "/observations",
    tags=["observations"],
    status_code=201,
    responses={**again(ObservationDetail, "observation"), **WRITE},
)
def create_observation(
    body: ObservationCreate, actor: SchoolActor, session: SessionDep, response: Response
) -> ObservationDetail:
    """Start an observation. Sending the same ``id`` with the same content again is harmless
    (200); with different content it is a conflict (409)."""
    obs, new = observations.create(session, actor=actor, data=body)
    if not new:
        response.status_code = status.HTTP_200_OK
    return observations.detail(session, actor=actor, observation_id=obs.id)


@api.get("/observations", tags=["observations"], responses=READ)
def list_observations(
    actor: SchoolActor,
    session: SessionDep,
    observed_teacher_id: uuid.UUID | None = None,
    observer_id: uuid.UUID | None = None,
    relation: Annotated[
        Literal["observer", "observed", "shared"] | None,
        Query(description="observer: made by me; observed: of my lessons; shared: shared with me"),
    ] = None,
    status: ObservationStatus | None = None,
    since: IsoDate | None = None,
    until: IsoDate | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ObservationPublic]:
    """The observations you may see: those you made, those of your lessons, those shared
    with you."""
    return observations.list_visible(
        session,
        actor=actor,
        observed_teacher_id=observed_teacher_id,
        observer_id=observer_id,
        relation=relation,
        status=status,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )


@api.get("/observations/{observation_id}", tags=["observations"], responses=READ_ONE)
def get_observation(
    observation_id: uuid.UUID, actor: SchoolActor, session: SessionDep
) -> ObservationDetail:
    """One observation with its moments. Anyone but the observed teacher who opens it is
    noted in its read log."""
    found = observations.detail(session, actor=actor, observation_id=observation_id)
    readlog.record(actor=actor, observation=found)
    return found


class ShareIn(BaseModel):
    person_id: uuid.UUID


class ShareOut(BaseModel):
    person_id: uuid.UUID
    name: str
    since: datetime


@api.get("/observations/{observation_id}/shares", tags=["sharing"], responses=READ_ONE)
def list_shares(
    observation_id: uuid.UUID, actor: SchoolActor, session: SessionDep
) -> list[ShareOut]:
    """The colleagues an observation of your lesson is shared with (the observed teacher)."""
    return [
        ShareOut(**vars(s))
        for s in sharing.shares_of(session, actor=actor, observation_id=observation_id)
    ]


@api.post(
    "/observations/{observation_id}/shares",
    tags=["sharing"],
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
def add_share(
    observation_id: uuid.UUID, body: ShareIn, actor: SchoolActor, session: SessionDep
) -> ShareOut:
    """Share an observation of your lesson with a colleague of your school. Sharing again
    with the same colleague changes nothing."""
    shared = sharing.share(
        session, actor=actor, observation_id=observation_id, person_id=body.person_id
    )
    return ShareOut(**vars(shared))


@api.delete(
    "/observations/{observation_id}/shares/{person_id}",
    tags=["sharing"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=REMOVE,
)
def revoke_share(
    observation_id: uuid.UUID, person_id: uuid.UUID, actor: SchoolActor, session: SessionDep
) -> Response:
    """Revoke a share: the colleague loses access at once, and their tablet is told so at
    its next sync."""
    sharing.revoke(session, actor=actor, observation_id=observation_id, person_id=person_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@api.get("/coulissen", tags=["coulissen"], responses=READ_ONE)
def get_coulissen(
    actor: SchoolActor,
    session: SessionDep,
    semester: Annotated[
        uuid.UUID | None, Query(description="Default: the current semester.")
    ] = None,
    team: Annotated[uuid.UUID | None, Query(description="Default: the whole school.")] = None,
) -> coulissen.Dashboard:
    """The patterns of a semester for the whole school or one team: the figures of the
    coulissen-ruimte. Every cell carries ``n_teachers`` (null when hidden) and ``suppressed``;
    a cell that rests on fewer distinct observed teachers than the school's minimum, or that
    would let such a cell be worked out, is hidden. No person is named."""
    authorize(actor, Action.read_aggregates)
    assert actor.school is not None
    return coulissen.build(session, school_id=actor.school.id, semester_id=semester, team_id=team)


@api.put("/observations/{observation_id}/reflection", tags=["reflection"], responses=WRITE)
def put_reflection(
    observation_id: uuid.UUID, body: ReflectionIn, actor: SchoolActor, session: SessionDep
) -> ReflectionPublic:
    """Write your reflection on an observation of your lesson (the observed teacher only).
    Send the ``version`` you edited; none for a first reflection. A stale version is refused
    with 409 and the current version, so nobody's words are overwritten unseen."""
    row, _status = reflection.save(
        session,
        actor=actor,
        observation_id=observation_id,
        texts=body.model_dump(include=set(reflection.FIELDS)),
        version=body.version,
    )
    return ReflectionPublic.model_validate(row, from_attributes=True)


@api.get("/observations/{observation_id}/comments", tags=["conversation"], responses=READ_ONE)
def list_comments(
    observation_id: uuid.UUID, actor: SchoolActor, session: SessionDep
) -> list[CommentPublic]:
    """The conversation on an observation, oldest first; withdrawn remarks keep their place."""
    return conversation.comments_of(session, actor=actor, observation_id=observation_id)


@api.post(
    "/observations/{observation_id}/comments",
    tags=["conversation"],
    status_code=status.HTTP_201_CREATED,
    responses={**again(CommentPublic, "remark"), **WRITE},
)
def add_comment(
    observation_id: uuid.UUID,
    body: CommentIn,
    actor: SchoolActor,
    session: SessionDep,
    response: Response,
) -> CommentPublic:
    """Add a remark on the observation, or on one moment with ``moment_id`` (observer and
    observed teacher). The same ``id`` with the same text again is harmless (200)."""
    added, new = conversation.add(session, actor=actor, observation_id=observation_id, data=body)
    if not new:
        response.status_code = status.HTTP_200_OK
    return added


@api.delete(
    "/observations/{observation_id}/comments/{comment_id}",
    tags=["conversation"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=REMOVE,
)
def withdraw_comment(
    observation_id: uuid.UUID, comment_id: uuid.UUID, actor: SchoolActor, session: SessionDep
) -> Response:
    """Withdraw your own remark: its text is removed, its place in the conversation stays."""
    conversation.withdraw(
        session, actor=actor, observation_id=observation_id, comment_id=comment_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class ReaderOut(BaseModel):
    person_id: uuid.UUID
    name: str
    first: datetime
    last: datetime
    opens: int


@api.get("/observations/{observation_id}/reads", tags=["observations"], responses=READ_ONE)
def observation_reads(
    observation_id: uuid.UUID, actor: SchoolActor, session: SessionDep
) -> list[ReaderOut]:
    """Who opened this observation of your lesson, and when (the observed teacher only).
    Opens by one person within ten minutes count once."""
    return [
        ReaderOut(**vars(r))
        for r in readlog.readers(session, actor=actor, observation_id=observation_id)
    ]


@api.patch("/observations/{observation_id}", tags=["observations"], responses=WRITE)
def patch_observation(
    observation_id: uuid.UUID, body: ObservationUpdate, actor: SchoolActor, session: SessionDep
) -> ObservationDetail:
    """Change header fields (the observer) or keep the observation out of team patterns (the
    observed teacher). Send ``version`` to be told (409) when someone else changed it first."""
    observations.update(session, actor=actor, observation_id=observation_id, data=body)
    return observations.detail(session, actor=actor, observation_id=observation_id)


@api.delete(
    "/observations/{observation_id}", tags=["observations"], status_code=204, responses=REMOVE
)
def delete_observation(
    observation_id: uuid.UUID, actor: SchoolActor, session: SessionDep
) -> Response:
    observations.delete(session, actor=actor, observation_id=observation_id)
    return Response(status_code=204)


@api.get("/observations/{observation_id}/moments", tags=["moments"], responses=READ_ONE)
def list_moments(
    observation_id: uuid.UUID, actor: SchoolActor, session: SessionDep
) -> list[MomentPublic]:
    return observations.detail(session, actor=actor, observation_id=observation_id).moments


@api.post(
    "/observations/{observation_id}/moments",
    tags=["moments"],
    status_code=201,
    responses={**again(MomentPublic, "moment"), **WRITE},
)
def add_moment(
    observation_id: uuid.UUID,
    body: MomentCreate,
    actor: SchoolActor,
    session: SessionDep,
    response: Response,
) -> MomentPublic:
    """Add a coded moment. The same ``id`` with the same content again is harmless (200)."""
    moment, new = observations.add_moment(
        session, actor=actor, observation_id=observation_id, data=body
    )
    if not new:
        response.status_code = status.HTTP_200_OK
    return MomentPublic.model_validate(moment, from_attributes=True)


@api.delete(
    "/observations/{observation_id}/moments/{moment_id}",
    tags=["moments"],
    status_code=204,
    responses=REMOVE,
)
def delete_moment(
    observation_id: uuid.UUID, moment_id: uuid.UUID, actor: SchoolActor, session: SessionDep
) -> Response:
    observations.delete_moment(
        session, actor=actor, observation_id=observation_id, moment_id=moment_id
    )
    return Response(status_code=204)


# --- sync ----------------------------------------------------------------------------------------


@api.post("/sync/push", tags=["sync"], responses=errors(400, 401, 403, 409, 413, 422, 426, 503))
def sync_push(body: sync.PushIn, actor: SchoolActor, session: SessionDep) -> sync.PushOut:
    """Send the tablet's outbox. One result per mutation, in order; the batch stops at a gap
    in ``seq`` and says which seq the server expects. See docs/sync.md."""
    return sync.push(session, actor=actor, batch=body)


@api.get("/sync/pull", tags=["sync"], responses=READ)
def sync_pull(
    actor: SchoolActor,
    session: SessionDep,
    cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> sync.PullOut:
    """Every change you may see after ``cursor``, tombstones included, oldest first."""
    return sync.pull(session, actor=actor, cursor=cursor, limit=limit)
