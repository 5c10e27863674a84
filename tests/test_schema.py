"""The OpenAPI schema is the JSON API's contract, and Schemathesis holds the app to it.

Schemathesis reads ``/api/openapi.json`` from the app and sends generated requests, valid and
deliberately invalid, to every operation, in-process through the ASGI app, once as each role:
anonymous, coach, teacher, development group member and school leader (admin), each with the
session cookie and the ``X-CSRF-Token`` header of a real login. Every built-in check runs on
every answer: no server error; a status code, content type, headers and body that the schema
declares for the operation; schema-valid input accepted and schema-invalid input refused; an
``Allow`` header that names the path's methods. Where a check cannot know this app, ``CONFIG``
and ``filter_failure`` say so, narrowly, and why.

Each test gets a school of its own, with a person in each role, observations with moments, a
remark, a reflection and a share, and a fresh login. Generated values that are valid are now and
then swapped for real ones (the id of one of those records, a code of the codebook), so that
requests also reach the answers about a record that exists (200, 201, 204, 409), not only
"not found". Generation is derandomized with a fixed seed and every test starts from the same
kind of school, so a run sends the same requests every time: 25 generated examples per
operation and role, and Schemathesis's coverage cases, about 7,900 requests in all, in a minute
or two on two cores.
"""

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
import schemathesis.core.failures
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.openapi.checks import RejectedPositiveData
from sqlmodel import select
from starlette.types import Receive, Scope, Send

from app import auth, db
from app.codebook import default_book
from app.main import create_app
from app.models import DEFAULT_PHASES, Comment, Reflection, Role, Semester, Share
from app.sync import SCHEMA_VERSIONS
from tests.factories import (
    login,
    make_moment,
    make_observation,
    make_person,
    make_school,
    make_team,
)

APP = create_app(check_schema=False)
CLIENT_HEADER = "x-test-client-address"


async def schemathesis_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The app, seeing each test's requests come from an address of that test's own, so that
    its failed logins are throttled apart from every other test's (and other tests' logins,
    from the test client's address, are never throttled by these)."""
    if scope["type"] == "http":
        headers = [(k, v) for k, v in scope["headers"] if k != CLIENT_HEADER.encode()]
        address = dict(scope["headers"]).get(CLIENT_HEADER.encode())
        if address is not None:
            scope = {**scope, "headers": headers, "client": (address.decode(), 50000)}
    await APP(scope, receive, send)


MAX_EXAMPLES = 25

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261124,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        "operations": [
            {
                # A batch from a version of the app that the server no longer speaks is well
                # formed, and answered 426 Upgrade Required by design (docs/sync.md): the
                # statuses Schemathesis takes by default as accepting valid data, and 426.
                "include-name": "POST /api/sync/push",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": [
                            *("2xx", "3xx", "401", "403", "404", "409", "429", "5xx"),
                            "426",
                        ]
                    }
                },
            }
        ],
    }
)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", schemathesis_app, config=CONFIG)

ROLES: dict[str, list[Role]] = {
    "anonymous": [],
    "coach": [Role.coach],
    "teacher": [Role.teacher],
    "development_group": [Role.teacher, Role.development_group],
    "admin": [Role.admin],
}

# --- real values -----------------------------------------------------------------------------

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def an_id(value: Any) -> bool:
    return isinstance(value, str) and UUID.fullmatch(value) is not None


def a_key(value: Any) -> bool:
    """Text that is valid for every key field it is used for (``code``, ``phase``)."""
    return isinstance(value, str) and 0 < len(value) <= 40 and "\x00" not in value


def an_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Values that name something real in the running test's school, by the name of the parameter
# or field they go into, each with the test a generated value must pass to be swapped for one:
# only a value that is valid for its field is swapped, so that an invalid request stays
# invalid. Filled by the `world` fixture; read while examples are drawn.
KNOWN: dict[str, tuple[Callable[[Any], bool], list[Any]]] = {}


def with_real_values(values: Any) -> st.SearchStrategy[Any]:
    """The generated values, each valid one of a known kind kept or swapped for a real one:
    the id of a record of the school, a code of its codebook, a phase of its lessons."""
    if not isinstance(values, dict):
        return st.just(values)
    choices = {
        name: st.sampled_from([value, *KNOWN[name][1]])
        for name, value in values.items()
        if name in KNOWN and KNOWN[name][0](value)
    }
    if not choices:
        return st.just(values)
    return st.fixed_dictionaries(choices).map(lambda chosen: {**values, **chosen})


@schema.hook
def flatmap_path_parameters(_context: schemathesis.HookContext, values: Any) -> Any:
    return with_real_values(values)


@schema.hook
def flatmap_query(_context: schemathesis.HookContext, values: Any) -> Any:
    return with_real_values(values)


@schema.hook
def flatmap_body(_context: schemathesis.HookContext, values: Any) -> Any:
    return with_real_values(values)


# --- where a check cannot know the app ---------------------------------------------------------


@schema.hook
def filter_failure(
    _context: schemathesis.HookContext,
    failure: schemathesis.core.failures.Failure,
    case: schemathesis.Case,
    response: schemathesis.Response,
) -> bool:
    """Keep every failure but these, each narrower than the check it belongs to:

    - "valid data refused" or "invalid data accepted" for a request that holds an integer
      beyond JSON's exact range (``beyond_exact_json``);
    - "valid data refused" with a 422 that names no field of the request: a refusal by a rule
      about other records (the observed teacher must teach at this school, a code must be in
      the school's codebook, a share goes to a colleague and not to oneself), which no JSON
      schema can state. A 422 that names fields refuses the request's shape, which the schema
      should have said, and stays a failure.
    """
    if isinstance(failure, RejectedPositiveData | AcceptedNegativeData) and beyond_exact_json(
        [case.body, case.query]
    ):
        return False
    if isinstance(failure, RejectedPositiveData) and response.status_code == 422:
        return "fields" in response.json()
    return True


def beyond_exact_json(value: Any) -> bool:
    """Whether the request holds an integer beyond 2**53, where JSON numbers stop being exact.
    Schemathesis judges such a number against the schema as a float: 2**62 + 95 passes for
    2**62, and the app, which compares exactly, is then blamed for refusing a "valid" value."""
    if isinstance(value, dict):
        return any(beyond_exact_json(v) for v in value.values())
    if isinstance(value, list):
        return any(beyond_exact_json(v) for v in value)
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53


# --- the world of one test -----------------------------------------------------------------------


@dataclass
class World:
    cookies: dict[str, str]
    headers: dict[str, str]


@pytest.fixture
def world(request: pytest.FixtureRequest, migrated: None) -> Iterator[World]:
    role: str = request.param
    with db.new_session(write=True) as session:
        school = make_school(session)
        people = {name: make_person(session, school, r) for name, r in ROLES.items() if r}
        coach, teacher, member = people["coach"], people["teacher"], people["development_group"]
        team = make_team(session, school, [teacher, member])
        lesson = make_observation(session, school, coach, teacher)
        peer = make_observation(session, school, teacher, member)
        moments = [make_moment(session, lesson), make_moment(session, peer)]
        remark = Comment(
            id=uuid.uuid4(), observation_id=lesson.id, author_id=coach.id, body="Mooi moment."
        )
        session.add(remark)
        session.add(
            Reflection(id=uuid.uuid4(), observation_id=lesson.id, author_id=teacher.id, zones="")
        )
        session.add(Share(observation_id=peer.id, person_id=coach.id, created_by_id=member.id))
        session.commit()
        semesters = [
            str(i) for i in session.exec(select(Semester.id).where(Semester.school_id == school.id))
        ]
        people_ids = [str(p.id) for p in people.values()]
        ids = {
            "observation_id": [str(lesson.id), str(peer.id)],
            "moment_id": [str(m.id) for m in moments],
            "comment_id": [str(remark.id)],
            "person_id": people_ids,
            "observed_teacher_id": people_ids,
            "observer_id": people_ids,
            "school_id": [str(school.id)],
            "semester": semesters,
            "team": [str(team.id)],
        }
    ids["id"] = [*ids["observation_id"], *ids["moment_id"], *ids["comment_id"]]
    KNOWN.clear()
    KNOWN.update({name: (an_id, values) for name, values in ids.items()})
    KNOWN.update(
        code=(a_key, [c["key"] for c in default_book()["codes"][:3]]),
        phase=(a_key, DEFAULT_PHASES[:2]),
        schema_version=(an_integer, sorted(SCHEMA_VERSIONS)),
    )
    headers = {CLIENT_HEADER: f"schemathesis-{uuid.uuid4().hex[:12]}"}
    cookies: dict[str, str] = {}
    if role in people:
        client = login(TestClient(APP), people[role])
        cookies[auth.SESSION_COOKIE] = client.cookies[auth.SESSION_COOKIE]
        headers["X-CSRF-Token"] = client.headers["X-CSRF-Token"]
    yield World(cookies=cookies, headers=headers)
    KNOWN.clear()


@pytest.mark.parametrize("world", list(ROLES), indirect=True)
@schema.parametrize()
@settings(
    # One request in-process takes milliseconds; one that takes seconds is a finding.
    deadline=timedelta(seconds=5),
    # The world is made once per test, on purpose: its examples share it, as requests share a
    # real school.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_answer_is_one_the_schema_declares(case: schemathesis.Case, world: World) -> None:
    case.call_and_validate(cookies=dict(world.cookies), headers=dict(world.headers))
