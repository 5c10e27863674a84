"""Bad input never gives a server error and never changes anything.

Each case sends one bad request with a valid session (or, for the cross-site cases, a session
whose proof of origin is missing or wrong) and asserts: a 4xx status, a ``detail`` a person can
read, in Dutch, and a database that is exactly as it was (row counts of every table, and the
rows of this module's observations, moments and shares).

The client is built with ``raise_server_exceptions=False``, so a bug shows up as a 500 status
that the assertion names, not as a traceback from inside the test client.
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import SQLModel, col, func, select

from app import db
from app.codebook import default_book
from app.models import Moment, Observation, Person, Role, School, Share
from tests.factories import login, make_moment, make_observation, make_person, make_school

CODE = default_book()["codes"][0]["key"]
PHASE = "instructie"
BIG = "x" * 100_000
EVIL = "https://evil.example"

# Phrases that mean a framework or Python message leaked through instead of one of ours.
NOT_FOR_PEOPLE = (
    "Input should",
    "Field required",
    "Value error",
    "value_error",
    "There was an",
    "Traceback",
    "Expecting",
    " or ",
    "Exception",
    "{'",
    "[{",
    "object at 0x",
    "UUID(",
    "datetime.",
    "None",
)


@dataclass
class World:
    schools: dict[str, School]
    people: dict[str, Person]
    obs: Observation  # the coach's own observation in school A, at version 3
    moment: Moment
    obs_b: Observation  # an observation in school B
    moment_b: Moment
    clients: dict[str, TestClient] = field(default_factory=dict)
    csrf: str = ""


@pytest.fixture(scope="module")
def world(migrated: None, app: FastAPI) -> Iterator[World]:
    with db.new_session(write=True) as s:
        a, b = make_school(s), make_school(s)
        people = {
            "coach": make_person(s, a, [Role.coach]),
            "teacher1": make_person(s, a, [Role.teacher]),
            "coach_only": make_person(s, a, [Role.coach]),
            "coach_b": make_person(s, b, [Role.coach]),
            "teacher_b": make_person(s, b, [Role.teacher]),
        }
        obs = make_observation(s, a, people["coach"], people["teacher1"], version=3)
        obs_b = make_observation(s, b, people["coach_b"], people["teacher_b"])
        w = World(
            schools={"A": a, "B": b},
            people=people,
            obs=obs,
            moment=make_moment(s, obs, code=CODE),
            obs_b=obs_b,
            moment_b=make_moment(s, obs_b, code=CODE),
        )
    for name in ("coach", "bare", "anonymous"):
        w.clients[name] = TestClient(app, raise_server_exceptions=False)
        w.clients[name].__enter__()
    login(w.clients["coach"], w.people["coach"])
    # The same person with a session cookie but without the CSRF header: a cross-site sender.
    bare = login(w.clients["bare"], w.people["coach"])
    w.csrf = bare.headers.pop("X-CSRF-Token")
    yield w
    for c in w.clients.values():
        c.__exit__(None, None, None)


def snapshot(w: World) -> dict[str, Any]:
    """Everything a bad request could have touched, read on a fresh connection."""
    with db.new_session() as s:
        counts = {
            t.name: s.exec(select(func.count()).select_from(t)).one()
            for t in SQLModel.metadata.sorted_tables
        }
        school_ids = [school.id for school in w.schools.values()]
        obs = [
            o.model_dump()
            for o in s.exec(
                select(Observation)
                .where(col(Observation.school_id).in_(school_ids))
                .order_by(col(Observation.id))
            )
        ]
        moments = [
            m.model_dump()
            for m in s.exec(
                select(Moment).where(col(Moment.school_id).in_(school_ids)).order_by(col(Moment.id))
            )
        ]
        shares = [
            sh.model_dump()
            for sh in s.exec(
                select(Share).where(col(Share.observation_id).in_([o["id"] for o in obs]))
            )
        ]
    return {"counts": counts, "observations": obs, "moments": moments, "shares": shares}


@dataclass(frozen=True)
class Bad:
    id: str
    request: Callable[[World], dict[str, Any]]  # keyword arguments for client.request
    status: int
    says: str  # a fragment the Dutch message must contain
    client: str = "coach"


def obs_url(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/observations/{w.obs.id}{suffix}"


def post_observation(body: Callable[[World], Any]) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"method": "POST", "url": "/api/observations", "json": body(w)}


def observation_of(w: World, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "observed_teacher_id": str(w.people["teacher1"].id),
        "group_label": "2B havo",
        "subject": "Engels",
        "started_at": "2026-11-24T09:00:00+01:00",
        **fields,
    }


def raw(
    method: str, url: Callable[[World], str], content: bytes, content_type: str = "application/json"
) -> Callable[[World], dict[str, Any]]:
    return lambda w: {
        "method": method,
        "url": url(w),
        "content": content,
        "headers": {"content-type": content_type},
    }


def post_moment(**fields: Any) -> Callable[[World], dict[str, Any]]:
    def make(w: World) -> dict[str, Any]:
        body = {"id": str(uuid.uuid4()), "code": CODE, "offset_ms": 60_000, **fields}
        return {"method": "POST", "url": f"/api/observations/{w.obs.id}/moments", "json": body}

    return make


def patch(**fields: Any) -> Callable[[World], dict[str, Any]]:
    return lambda w: {
        "method": "PATCH",
        "url": f"/api/observations/{w.obs.id}",
        "json": {"version": w.obs.version, **fields},
    }


def get(url: str, **params: Any) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"method": "GET", "url": url, "params": params}


NOT_JSON_OBJECT = "De inhoud moet een JSON-object zijn."
UNKNOWN_CODE = "Onbekende code(s)"
TOO_LONG = "te lang"
NAIVE = "tijdstip zonder tijdzone"
OUT_OF_RANGE = "buiten het bereik"
LESSON_END = "Het einde van de les ligt voor het begin of meer dan 12 uur erna."
NOT_FOUND = "Deze observatie bestaat niet of je hebt er geen toegang toe."
NOT_A_TEACHER_HERE = "De geobserveerde docent is geen docent van deze school."
OTHER_SITE = "Dit verzoek komt van een andere website en is geweigerd."
NO_TOKEN = "Dit formulier is verlopen of niet van Coulisse afkomstig."
NUL = "ongeldig teken"

CASES = [
    # --- what is not a JSON object at all
    Bad(
        "observation: malformed JSON",
        raw("POST", lambda _w: "/api/observations", b'{"observed_teacher_id": '),
        422,
        "De inhoud is geen geldige JSON.",
    ),
    Bad(
        "observation: JSON array",
        post_observation(lambda w: [observation_of(w)]),
        422,
        NOT_JSON_OBJECT,
    ),
    Bad(
        "observation: JSON string",
        post_observation(lambda _w: "een observatie"),
        422,
        NOT_JSON_OBJECT,
    ),
    Bad(
        "observation: JSON null",
        raw("POST", lambda _w: "/api/observations", b"null"),
        422,
        NOT_JSON_OBJECT,
    ),
    Bad(
        "observation: JSON number",
        raw("POST", lambda _w: "/api/observations", b"42"),
        422,
        NOT_JSON_OBJECT,
    ),
    Bad(
        "observation: not UTF-8",
        raw("POST", lambda _w: "/api/observations", b'{"summary": "\xff\xfe"}'),
        400,
        "kon niet worden gelezen",
    ),
    Bad(
        "observation: nested too deep",
        raw("POST", lambda _w: "/api/observations", b"[" * 100_000 + b"]" * 100_000),
        400,
        "kon niet worden gelezen",
    ),
    Bad(
        "observation: form instead of JSON",
        raw(
            "POST",
            lambda _w: "/api/observations",
            b"observed_teacher_id=1",
            "application/x-www-form-urlencoded",
        ),
        422,
        NOT_JSON_OBJECT,
    ),
    Bad(
        "moment: malformed JSON",
        raw("POST", obs_url("/moments"), b'{"code": "'),
        422,
        "De inhoud is geen geldige JSON.",
    ),
    Bad("patch: JSON array", raw("PATCH", obs_url(), b'[{"summary": "x"}]'), 422, NOT_JSON_OBJECT),
    # --- wrong types
    Bad(
        "observation: teacher id is a number",
        post_observation(lambda w: observation_of(w, observed_teacher_id=42)),
        422,
        "observed_teacher_id is geen geldig id.",
    ),
    Bad(
        "observation: teacher id missing",
        post_observation(lambda _w: {"subject": "Engels"}),
        422,
        "observed_teacher_id ontbreekt.",
    ),
    Bad(
        "observation: group label is a number",
        post_observation(lambda w: observation_of(w, group_label=5)),
        422,
        "group_label moet tekst zijn.",
    ),
    Bad(
        "observation: focus codes is a string",
        post_observation(lambda w: observation_of(w, focus_codes=CODE)),
        422,
        "focus_codes moet een lijst zijn.",
    ),
    Bad(
        "observation: started_at is not a time",
        post_observation(lambda w: observation_of(w, started_at="gisteren")),
        422,
        "started_at is geen geldig tijdstip.",
    ),
    Bad(
        "moment: offset is text",
        post_moment(offset_ms="een minuut"),
        422,
        "offset_ms moet een geheel getal zijn.",
    ),
    Bad(
        "moment: offset is a fraction",
        post_moment(offset_ms=1.5),
        422,
        "offset_ms moet een geheel getal zijn.",
    ),
    Bad(
        "moment: note_shareable is not a yes or no",
        post_moment(note_shareable="misschien"),
        422,
        "note_shareable moet waar of onwaar zijn.",
    ),
    Bad(
        "patch: version is text",
        patch(version="twee", summary="x"),
        422,
        "version moet een geheel getal zijn.",
    ),
    Bad(
        "patch: excluded_from_team is not a yes or no",
        patch(excluded_from_team="ja"),
        422,
        "excluded_from_team moet waar of onwaar zijn.",
    ),
    Bad("patch: subject null", patch(subject=None), 422, "mag niet leeg (null) zijn"),
    # --- what pydantic alone would read as something else (the API schema says JSON types)
    Bad(
        "observation: started_at is a number of seconds",
        post_observation(lambda w: observation_of(w, started_at=1_764_000_000)),
        422,
        "started_at is geen geldig tijdstip.",
    ),
    Bad(
        "patch: ended_at is a number of seconds in text",
        patch(ended_at="1764003600"),
        422,
        "ended_at is geen geldig tijdstip.",
    ),
    Bad("moment: offset is true", post_moment(offset_ms=True), 422, "geheel getal"),
    Bad("moment: offset is a number in text", post_moment(offset_ms="60000"), 422, "geheel getal"),
    Bad(
        "moment: note_shareable is 1",
        post_moment(note_shareable=1),
        422,
        "note_shareable moet waar of onwaar zijn.",
    ),
    Bad("patch: version is true", patch(version=True, summary="x"), 422, "geheel getal"),
    Bad(
        "patch: excluded_from_team is text",
        patch(excluded_from_team="true"),
        422,
        "excluded_from_team moet waar of onwaar zijn.",
    ),
    Bad(
        "list: until is a number of seconds",
        get("/api/observations", until="0"),
        422,
        "until is geen geldige datum.",
    ),
    # --- values the model does not know
    Bad(
        "observation: status klaar",
        post_observation(lambda w: observation_of(w, status="klaar")),
        422,
        "status heeft een onbekende waarde; kies uit 'in_progress', 'ended' of 'ready'.",
    ),
    Bad("patch: status klaar", patch(status="klaar"), 422, "kies uit"),
    Bad(
        "moment: zone paars",
        post_moment(zone="paars"),
        422,
        "zone heeft een onbekende waarde; kies uit 'groen', 'oranje' of 'rood'.",
    ),
    Bad("moment: target a pupil's name", post_moment(target="Jan"), 422, "kies uit"),
    Bad("moment: unknown code", post_moment(code="bestaat-niet"), 422, UNKNOWN_CODE),
    Bad("moment: empty code", post_moment(code=""), 422, "code is te kort"),
    Bad("moment: unknown phase", post_moment(phase="pauze"), 422, "Onbekende lesfase"),
    Bad(
        "observation: unknown focus code",
        post_observation(lambda w: observation_of(w, focus_codes=[CODE, "bestaat-niet"])),
        422,
        UNKNOWN_CODE,
    ),
    Bad("patch: unknown focus code", patch(focus_codes=["bestaat-niet"]), 422, UNKNOWN_CODE),
    Bad(
        "observation: too many phases",
        post_observation(lambda w: observation_of(w, phases=[f"fase {i}" for i in range(13)])),
        422,
        "phases bevat te veel onderdelen",
    ),
    # --- sizes
    Bad("moment: 100 kB note", post_moment(note=BIG), 422, TOO_LONG),
    Bad(
        "observation: 100 kB summary",
        post_observation(lambda w: observation_of(w, summary=BIG)),
        422,
        TOO_LONG,
    ),
    Bad("patch: 100 kB summary", patch(summary=BIG), 422, TOO_LONG),
    Bad(
        "observation: 100 kB focus code",
        post_observation(lambda w: observation_of(w, focus_codes=[BIG])),
        422,
        UNKNOWN_CODE,
    ),
    Bad("moment: negative offset", post_moment(offset_ms=-1), 422, "offset_ms moet minstens 0"),
    Bad("moment: offset beyond a day", post_moment(offset_ms=10**30), 422, "hoogstens"),
    # --- text PostgreSQL cannot store
    Bad("moment: NUL in the note", post_moment(note="voor\x00na"), 422, NUL),
    Bad(
        "observation: NUL in the summary",
        post_observation(lambda w: observation_of(w, summary="a\x00")),
        422,
        NUL,
    ),
    Bad("patch: NUL in the group label", patch(group_label="2B\x00"), 422, NUL),
    # --- time
    Bad(
        "observation: naive started_at",
        post_observation(lambda w: observation_of(w, started_at="2026-11-24T09:00:00")),
        422,
        NAIVE,
    ),
    Bad(
        "observation: naive ended_at",
        post_observation(lambda w: observation_of(w, ended_at="2026-11-24T10:00:00")),
        422,
        NAIVE,
    ),
    Bad("patch: naive ended_at", patch(ended_at="2026-11-24T10:00:00"), 422, NAIVE),
    Bad(
        "observation: ended before started",
        post_observation(lambda w: observation_of(w, ended_at="2026-11-24T08:59:00+01:00")),
        422,
        LESSON_END,
    ),
    Bad(
        "observation: ended 13 hours after",
        post_observation(lambda w: observation_of(w, ended_at="2026-11-24T22:00:00+01:00")),
        422,
        LESSON_END,
    ),
    Bad("patch: ended before started", patch(ended_at="2000-01-01T00:00:00Z"), 422, LESSON_END),
    Bad(
        "observation: started in the year 1",
        post_observation(lambda w: observation_of(w, started_at="0001-01-01T00:00:00+05:00")),
        422,
        OUT_OF_RANGE,
    ),
    Bad(
        "observation: started at the end of the year 9999",
        post_observation(lambda w: observation_of(w, started_at="9999-12-31T23:00:00-05:00")),
        422,
        OUT_OF_RANGE,
    ),
    # --- whom and where
    Bad(
        "observation: teacher of another school",
        post_observation(
            lambda w: observation_of(w, observed_teacher_id=str(w.people["teacher_b"].id))
        ),
        422,
        NOT_A_TEACHER_HERE,
    ),
    Bad(
        "observation: of oneself",
        post_observation(
            lambda w: observation_of(w, observed_teacher_id=str(w.people["coach"].id))
        ),
        422,
        "Je kunt geen observatie van je eigen les maken.",
    ),
    Bad(
        "observation: of a coach who is no teacher",
        post_observation(
            lambda w: observation_of(w, observed_teacher_id=str(w.people["coach_only"].id))
        ),
        422,
        NOT_A_TEACHER_HERE,
    ),
    Bad(
        "observation: of nobody",
        post_observation(lambda w: observation_of(w, observed_teacher_id=str(uuid.uuid4()))),
        422,
        NOT_A_TEACHER_HERE,
    ),
    Bad(
        "observation: the id of another school's observation answers as if it did not exist",
        post_observation(lambda w: observation_of(w, id=str(w.obs_b.id))),
        404,
        NOT_FOUND,
    ),
    Bad(
        "moment: on another school's observation",
        lambda w: {
            "method": "POST",
            "url": f"/api/observations/{w.obs_b.id}/moments",
            "json": {"id": str(uuid.uuid4()), "code": CODE, "offset_ms": 1000},
        },
        404,
        NOT_FOUND,
    ),
    Bad(
        "moment: the id of another school's moment answers as if it did not exist",
        lambda w: post_moment(id=str(w.moment_b.id), offset_ms=5)(w),
        404,
        NOT_FOUND,
    ),
    Bad(
        "moment: the id of an existing moment, other content",
        lambda w: post_moment(id=str(w.moment.id), offset_ms=5)(w),
        409,
        "Er bestaat al een moment met dit id",
    ),
    Bad(
        "patch: another school's observation",
        lambda w: {
            "method": "PATCH",
            "url": f"/api/observations/{w.obs_b.id}",
            "json": {"summary": "overgenomen"},
        },
        404,
        NOT_FOUND,
    ),
    Bad(
        "delete: another school's observation",
        lambda w: {"method": "DELETE", "url": f"/api/observations/{w.obs_b.id}"},
        404,
        NOT_FOUND,
    ),
    Bad(
        "delete: another school's moment through my observation",
        lambda w: {
            "method": "DELETE",
            "url": f"/api/observations/{w.obs.id}/moments/{w.moment_b.id}",
        },
        404,
        "Dit moment bestaat niet.",
    ),
    Bad(
        "switch: to a school I do not belong to",
        lambda w: {
            "method": "POST",
            "url": "/api/me/school",
            "json": {"school_id": str(w.schools["B"].id)},
        },
        403,
        "Je hoort niet bij deze school.",
    ),
    # --- versions
    Bad(
        "patch: stale version",
        lambda w: {
            "method": "PATCH",
            "url": f"/api/observations/{w.obs.id}",
            "json": {"version": w.obs.version - 1, "summary": "Mijn versie."},
        },
        409,
        "Iemand anders heeft deze observatie intussen aangepast (versie 3).",
    ),
    # --- ids in paths
    Bad(
        "path: observation id is not a UUID",
        get("/api/observations/niet-een-id"),
        422,
        "observation_id is geen geldig id.",
    ),
    Bad(
        "path: patch with an id that is not a UUID",
        lambda _w: {"method": "PATCH", "url": "/api/observations/123", "json": {"summary": "x"}},
        422,
        "observation_id is geen geldig id.",
    ),
    Bad(
        "path: moment id is not a UUID",
        lambda w: {"method": "DELETE", "url": f"/api/observations/{w.obs.id}/moments/123"},
        422,
        "moment_id is geen geldig id.",
    ),
    Bad(
        "switch: school id is not a UUID",
        lambda _w: {"method": "POST", "url": "/api/me/school", "json": {"school_id": "x"}},
        422,
        "school_id is geen geldig id.",
    ),
    # --- query strings
    Bad(
        "list: huge limit",
        get("/api/observations", limit=10**30),
        422,
        "limit mag hoogstens 500 zijn.",
    ),
    Bad("list: limit 0", get("/api/observations", limit=0), 422, "limit moet minstens 1 zijn."),
    Bad(
        "list: limit in words",
        get("/api/observations", limit="veel"),
        422,
        "limit moet een geheel getal zijn.",
    ),
    Bad(
        "list: negative offset",
        get("/api/observations", offset=-1),
        422,
        "offset moet minstens 0 zijn.",
    ),
    Bad("list: huge offset", get("/api/observations", offset=10**30), 422, "offset mag hoogstens"),
    Bad(
        "list: since is not a date",
        get("/api/observations", since="gisteren"),
        422,
        "since is geen geldige datum.",
    ),
    Bad(
        "list: unknown relation",
        get("/api/observations", relation="iedereen"),
        422,
        "relation heeft een onbekende waarde; kies uit 'observer', 'observed' of 'shared'.",
    ),
    Bad("list: status klaar", get("/api/observations", status="klaar"), 422, "kies uit"),
    Bad(
        "list: teacher id not a UUID",
        get("/api/observations", observed_teacher_id="x"),
        422,
        "observed_teacher_id is geen geldig id.",
    ),
    Bad("people: unknown role", get("/api/people", role="baas"), 422, "kies uit"),
    # --- from another site, or without proof that it comes from Coulisse
    Bad(
        "cross-site: JSON post with a foreign Origin",
        lambda w: {
            "method": "POST",
            "url": "/api/observations",
            "json": observation_of(w),
            "headers": {"Origin": EVIL, "X-CSRF-Token": w.csrf},
        },
        403,
        OTHER_SITE,
        client="bare",
    ),
    Bad(
        "cross-site: JSON post marked cross-site by the browser",
        lambda w: {
            "method": "POST",
            "url": "/api/observations",
            "json": observation_of(w),
            "headers": {"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": w.csrf},
        },
        403,
        OTHER_SITE,
        client="bare",
    ),
    Bad(
        "cross-site: JSON post from an opaque origin",
        lambda w: {
            "method": "POST",
            "url": "/api/observations",
            "json": observation_of(w),
            "headers": {"Origin": "null", "X-CSRF-Token": w.csrf},
        },
        403,
        OTHER_SITE,
        client="bare",
    ),
    Bad(
        "cross-site: JSON post without a CSRF token",
        lambda w: {"method": "POST", "url": "/api/observations", "json": observation_of(w)},
        403,
        NO_TOKEN,
        client="bare",
    ),
    Bad(
        "cross-site: JSON post with a wrong CSRF token",
        lambda w: {
            "method": "POST",
            "url": "/api/observations",
            "json": observation_of(w),
            "headers": {"X-CSRF-Token": "geraden"},
        },
        403,
        NO_TOKEN,
        client="bare",
    ),
    Bad(
        "cross-site: form post without a token",
        lambda w: {
            "method": "POST",
            "url": f"/api/observations/{w.obs.id}/moments",
            "data": {"code": CODE, "offset_ms": "1000"},
        },
        403,
        NO_TOKEN,
        client="bare",
    ),
    Bad(
        "cross-site: form post with a wrong token",
        lambda w: {
            "method": "POST",
            "url": f"/api/observations/{w.obs.id}/moments",
            "data": {"code": CODE, "offset_ms": "1000", "csrf_token": "geraden"},
        },
        403,
        NO_TOKEN,
        client="bare",
    ),
    Bad(
        "cross-site: form post with the right token from a foreign Origin",
        lambda w: {
            "method": "POST",
            "url": f"/api/observations/{w.obs.id}/moments",
            "data": {"code": CODE, "offset_ms": "1000", "csrf_token": w.csrf},
            "headers": {"Origin": EVIL},
        },
        403,
        OTHER_SITE,
        client="bare",
    ),
    Bad(
        "cross-site: patch without a token",
        patch(summary="Van elders."),
        403,
        NO_TOKEN,
        client="bare",
    ),
    Bad(
        "cross-site: delete without a token",
        lambda w: {"method": "DELETE", "url": f"/api/observations/{w.obs.id}"},
        403,
        NO_TOKEN,
        client="bare",
    ),
    Bad(
        "cross-site: delete a moment without a token",
        lambda w: {
            "method": "DELETE",
            "url": f"/api/observations/{w.obs.id}/moments/{w.moment.id}",
        },
        403,
        NO_TOKEN,
        client="bare",
    ),
    Bad(
        "cross-site: switch school without a token",
        lambda w: {
            "method": "POST",
            "url": "/api/me/school",
            "json": {"school_id": str(w.schools["A"].id)},
        },
        403,
        NO_TOKEN,
        client="bare",
    ),
    Bad(
        "cross-site: logout without a token",
        lambda _w: {"method": "POST", "url": "/api/auth/logout"},
        403,
        NO_TOKEN,
        client="bare",
    ),
    Bad(
        "cross-site: login from a foreign Origin",
        lambda w: {
            "method": "POST",
            "url": "/api/auth/login",
            "headers": {"Origin": EVIL},
            "json": {"email": w.people["coach"].email, "password": "wachtwoord-voor-tests"},
        },
        403,
        OTHER_SITE,
        client="anonymous",
    ),
    Bad(
        "login: NUL in the email address",
        lambda _w: {
            "method": "POST",
            "url": "/api/auth/login",
            "json": {"email": "a\x00@school.example", "password": "iets"},
        },
        422,
        NUL,
        client="anonymous",
    ),
    Bad(
        "login: 100 kB password is refused by size before it is read",
        lambda w: {
            "method": "POST",
            "url": "/api/auth/login",
            "json": {"email": w.people["coach"].email, "password": BIG},
        },
        413,
        "te groot",
        client="anonymous",
    ),
    Bad(
        "login: a password over 1024 characters",
        lambda w: {
            "method": "POST",
            "url": "/api/auth/login",
            "json": {"email": w.people["coach"].email, "password": "x" * 1025},
        },
        422,
        TOO_LONG,
        client="anonymous",
    ),
]


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(bad: Bad, world: World) -> None:
    before = snapshot(world)

    response = world.clients[bad.client].request(**bad.request(world))

    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert response.status_code == bad.status, response.text[:500]
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail.strip()
    assert bad.says in detail
    for phrase in NOT_FOR_PEOPLE:
        assert phrase not in detail, f"{phrase!r} in {detail!r}"
    assert snapshot(world) == before


@pytest.mark.parametrize(
    "params",
    [
        {"since": "0001-01-01"},
        {"until": "9999-12-31"},
        {"since": "0001-01-01", "until": "9999-12-31"},
        {"offset": 1_000_000},
        {"limit": 500},
    ],
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()),
)
def test_extreme_but_valid_list_parameters_answer_normally(
    params: dict[str, Any], world: World
) -> None:
    response = world.clients["coach"].get("/api/observations", params=params)
    assert response.status_code == 200, response.text
    ids = {o["id"] for o in response.json()}
    assert ids == ({str(world.obs.id)} if "offset" not in params else set())


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("PUT", obs_url(), "GET, PATCH, DELETE"),
        ("OPTIONS", lambda _w: "/api/observations", "GET, POST"),
        ("DELETE", obs_url("/shares"), "GET, POST"),
    ],
    ids=["PUT an observation", "OPTIONS the observations", "DELETE the shares"],
)
def test_a_method_a_path_does_not_take_is_answered_with_every_method_it_does(
    method: str, url: Callable[[World], str], allowed: str, world: World
) -> None:
    """Each method of an API path is a route of its own; the 405 must still name them all."""
    response = world.clients["coach"].request(method, url(world))
    assert response.status_code == 405
    assert response.headers["allow"] == allowed


def test_the_session_survives_every_refused_request(world: World) -> None:
    """The refused requests, the cross-site logout and login attempts among them, end nobody's
    session. The test sends them itself: those of the test above may have run in another
    worker, or not yet."""
    for bad in CASES:
        world.clients[bad.client].request(**bad.request(world))
    for name in ("coach", "bare"):
        assert world.clients[name].get("/api/me").status_code == 200


def test_the_same_requests_made_well_are_accepted_and_seen_by_the_snapshot(world: World) -> None:
    """The control: the client, the session and the snapshot work, so "unchanged" above means
    refused, not unnoticed."""
    before = snapshot(world)
    response = world.clients["coach"].request(**post_moment(zone="groen", phase=PHASE)(world))
    assert response.status_code == 201, response.text
    assert snapshot(world) != before


def test_a_failed_login_does_not_end_the_session_already_there(
    world: World, make_client: Callable[[], TestClient]
) -> None:
    client = login(make_client(), world.people["teacher1"])
    wrong = client.post(
        "/api/auth/login",
        json={"email": world.people["teacher1"].email, "password": "niet-het-wachtwoord"},
    )
    assert wrong.status_code == 401
    assert "wachtwoord" in wrong.json()["detail"]
    assert client.get("/api/me").status_code == 200


def test_a_sync_batch_takes_json_integers_only(world: World) -> None:
    client = world.clients["coach"]
    lax = {
        "device_id": str(uuid.uuid4()),
        "schema_version": "1",
        "mutations": [
            {"seq": True, "type": "moment.delete", "id": str(uuid.uuid4()), "base_version": False}
        ],
    }
    answer = client.post("/api/sync/push", json=lax)
    assert answer.status_code == 422, answer.text
    assert "geheel getal" in answer.json()["detail"]
