"""Who may do what, endpoint by endpoint: the authorization matrix.

Every JSON endpoint in the OpenAPI schema is tried by every role against every kind of record
(own, a colleague's, shared, shared-then-revoked, another school's), and the exact status is
asserted. The cases are generated from the schema itself, so a new endpoint without an entry in
``MATRIX`` fails here until someone decides who may use it.

The rule (design.md, "Who may see what"): a person sees, in their current school, the
observations they made, those of their own lessons and those shared with them (share not
revoked). Records one may not see are 404, never 403, so their existence does not leak; an action
one's role or relation to a visible record does not allow is 403.
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app import db
from app.main import create_app
from app.models import (
    Comment,
    Moment,
    Observation,
    Reflection,
    Role,
    School,
    Share,
    utcnow,
)
from tests.factories import (
    add_membership,
    login,
    make_moment,
    make_observation,
    make_person,
    make_school,
)
from tests.world import (
    CODE,
    MEMBERSHIPS,
    RECORDS,
    RecordSpec,
    World,
    build_world,
    logged_in,
    make_record,
    relation,
)

PUBLIC = {"GET /healthz", "POST /api/auth/login"}
SCHEMA_ENDPOINTS = sorted(
    f"{method.upper()} {path}"
    for path, operations in create_app(check_schema=False).openapi()["paths"].items()
    for method in operations
)

ROLES = ("anonymous", "coach", "coach2", "teacher1", "teacher2", "devgroup", "admin", "member_of_B")


# --- the world: two schools, their people, logged-in clients ---------------------------------


@pytest.fixture(scope="module")
def world(migrated: None, app: FastAPI) -> Iterator[World]:
    with db.new_session(write=True) as session:
        w = build_world(session)
    for role in ROLES:
        w.clients[role] = logged_in(app, None if role == "anonymous" else w.people[role])
    yield w
    for c in w.clients.values():
        c.__exit__(None, None, None)


# --- the matrix --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    json: Any = None
    fresh_client: bool = False  # the request ends or changes the session itself


@dataclass(frozen=True)
class Entry:
    """Who may use one endpoint: its targets, the request per target, the expected status."""

    targets: tuple[str, ...]
    expected: Callable[[str, str], int]
    request: Callable[[World, Session, str, str], Request]
    variant: str = ""
    changes_nothing: bool = False  # even when it succeeds


def everyone(status: int) -> Callable[[str, str], int]:
    return lambda role, _target: 401 if role == "anonymous" else status


def plain(method: str, url: str, *, fresh_client: bool = False) -> Callable[..., Request]:
    return lambda _w, _s, _role, _target: Request(method, url, fresh_client=fresh_client)


def by_relation(allowed: dict[str, int]) -> Callable[[str, str], int]:
    """``allowed`` maps the relations that may do this to their success status; other
    relations to a visible record get 403, relations to an invisible one 404."""

    def expected(role: str, target: str) -> int:
        rel = relation(role, RECORDS[target])
        if rel == "anonymous":
            return 401
        if rel in allowed:
            return allowed[rel]
        return 403 if rel in ("observer", "observed", "shared") else 404

    return expected


def on_record(
    method: str, suffix: str = "", body: Callable[[Observation], Any] | None = None
) -> Callable[..., Request]:
    def make(w: World, s: Session, _role: str, target: str) -> Request:
        obs, moment = make_record(s, w, RECORDS[target])
        url = f"/api/observations/{obs.id}{suffix.format(moment=moment.id)}"
        json = body(obs) if body else None
        if isinstance(json, dict):  # "{moment}" in a body names the record's moment, as in a URL
            json = {k: str(moment.id) if v == "{moment}" else v for k, v in json.items()}
        return Request(method, url, json)

    return make


def revoke_a_share(w: World, s: Session, _role: str, target: str) -> Request:
    """A share to revoke on the target record: one with its observer."""
    obs, _moment = make_record(s, w, RECORDS[target])
    s.add(
        Share(
            observation_id=obs.id, person_id=obs.observer_id, created_by_id=obs.observed_teacher_id
        )
    )
    s.commit()
    return Request("DELETE", f"/api/observations/{obs.id}/shares/{obs.observer_id}")


def withdraw_a_comment(w: World, s: Session, _role: str, target: str) -> Request:
    """A remark to withdraw on the target record: one the observer wrote."""
    obs, _moment = make_record(s, w, RECORDS[target])
    remark = Comment(
        id=uuid.uuid4(), observation_id=obs.id, author_id=obs.observer_id, body="Mooi moment."
    )
    s.add(remark)
    s.commit()
    return Request("DELETE", f"/api/observations/{obs.id}/comments/{remark.id}")


READ = by_relation({"observer": 200, "observed": 200, "shared": 200})
TARGET_RECORDS = tuple(RECORDS)

# An observation a role starts of: teacher1 (a teacher of school A), a teacher of school B, or
# themselves. Only coaches and teachers observe, only teachers of their current school, never
# themselves.
OBSERVE: dict[str, tuple[int, int, int]] = {
    "coach": (201, 422, 422),
    "coach2": (201, 422, 422),
    "teacher1": (422, 422, 422),  # teacher1 is "self"
    "teacher2": (201, 422, 422),
    "devgroup": (201, 422, 422),
    "admin": (403, 403, 403),  # school leaders see aggregates, not single lessons
    "member_of_B": (422, 201, 422),
}
OBSERVE_TARGETS = ("teacher1", "teacher_of_B", "self")


def observe_expected(role: str, target: str) -> int:
    return 401 if role == "anonymous" else OBSERVE[role][OBSERVE_TARGETS.index(target)]


def observe_request(w: World, _s: Session, role: str, target: str) -> Request:
    teacher = {
        "teacher1": w.id("teacher1"),
        "teacher_of_B": w.id("teacher_B"),
        "self": w.id(role) if role != "anonymous" else w.id("coach"),
    }[target]
    return Request(
        "POST",
        "/api/observations",
        {
            "id": str(uuid.uuid4()),
            "observed_teacher_id": str(teacher),
            "group_label": "3A vwo",
            "subject": "Biologie",
        },
    )


def school_request(w: World, _s: Session, role: str, target: str) -> Request:
    mine = MEMBERSHIPS[role][0] if role != "anonymous" else "A"
    school = mine if target == "current_school" else {"A": "B", "B": "A"}[mine]
    return Request(
        "POST", "/api/me/school", {"school_id": str(w.schools[school].id)}, fresh_client=True
    )


MATRIX: dict[str, list[Entry]] = {
    "POST /api/auth/logout": [
        Entry(("own_session",), everyone(204), plain("POST", "/api/auth/logout", fresh_client=True))
    ],
    "GET /api/me": [Entry(("me",), everyone(200), plain("GET", "/api/me"))],
    "GET /api/me/export": [
        Entry(("me",), everyone(200), plain("GET", "/api/me/export")),
        Entry(("me",), everyone(200), plain("GET", "/api/me/export?format=csv"), "csv"),
    ],
    "POST /api/me/school": [
        Entry(
            ("current_school", "school_not_mine"),
            lambda role, target: (
                401 if role == "anonymous" else (200 if target == "current_school" else 403)
            ),
            school_request,
        )
    ],
    "GET /api/people": [Entry(("my_school",), everyone(200), plain("GET", "/api/people"))],
    "GET /api/codebook": [Entry(("my_school",), everyone(200), plain("GET", "/api/codebook"))],
    "GET /api/coulissen": [Entry(("my_school",), everyone(200), plain("GET", "/api/coulissen"))],
    "GET /api/observations": [
        Entry(("visible",), everyone(200), plain("GET", "/api/observations"))
    ],
    "POST /api/observations": [Entry(OBSERVE_TARGETS, observe_expected, observe_request)],
    "GET /api/observations/{observation_id}": [Entry(TARGET_RECORDS, READ, on_record("GET"))],
    "GET /api/observations/{observation_id}/shares": [
        Entry(
            TARGET_RECORDS,
            by_relation({"observed": 200}),
            on_record("GET", suffix="/shares"),
            changes_nothing=True,
        )
    ],
    "POST /api/observations/{observation_id}/shares": [
        Entry(
            TARGET_RECORDS,
            by_relation({"observed": 201}),
            on_record("POST", suffix="/shares", body=lambda o: {"person_id": str(o.observer_id)}),
        )
    ],
    "DELETE /api/observations/{observation_id}/shares/{person_id}": [
        Entry(TARGET_RECORDS, by_relation({"observed": 204}), revoke_a_share)
    ],
    "GET /api/observations/{observation_id}/reads": [
        Entry(
            TARGET_RECORDS,
            by_relation({"observed": 200}),
            on_record("GET", suffix="/reads"),
            changes_nothing=True,
        )
    ],
    "PUT /api/observations/{observation_id}/reflection": [
        Entry(
            TARGET_RECORDS,
            by_relation({"observed": 200}),
            on_record(
                "PUT",
                suffix="/reflection",
                body=lambda o: {"dominant_mechanism": "Ludificering bij de overgang."},
            ),
        )
    ],
    "GET /api/observations/{observation_id}/comments": [
        Entry(TARGET_RECORDS, READ, on_record("GET", suffix="/comments"), changes_nothing=True)
    ],
    "POST /api/observations/{observation_id}/comments": [
        Entry(
            TARGET_RECORDS,
            by_relation({"observer": 201, "observed": 201}),
            on_record("POST", suffix="/comments", body=lambda o: {"body": "Zag je dat ook?"}),
        ),
        Entry(
            TARGET_RECORDS,
            by_relation({"observer": 201, "observed": 201}),
            on_record(
                "POST",
                suffix="/comments",
                body=lambda o: {"body": "Hier ging het om.", "moment_id": "{moment}"},
            ),
            variant="on_a_moment",
        ),
    ],
    "DELETE /api/observations/{observation_id}/comments/{comment_id}": [
        Entry(TARGET_RECORDS, by_relation({"observer": 204}), withdraw_a_comment)
    ],
    "PATCH /api/observations/{observation_id}": [
        Entry(
            TARGET_RECORDS,
            by_relation({"observer": 200}),
            on_record("PATCH", body=lambda o: {"summary": "Rustige start.", "version": o.version}),
            variant="header",
        ),
        Entry(
            TARGET_RECORDS,
            by_relation({"observed": 200}),
            on_record("PATCH", body=lambda o: {"excluded_from_team": True}),
            variant="exclude_from_team",
        ),
        # Nothing to change: only those who may change something get the record back, and its
        # version stays, so that no tablet is told of a conflict that is not there.
        Entry(
            TARGET_RECORDS,
            by_relation({"observer": 200, "observed": 200}),
            on_record("PATCH", body=lambda o: {"version": o.version}),
            variant="nothing",
            changes_nothing=True,
        ),
    ],
    "DELETE /api/observations/{observation_id}": [
        Entry(TARGET_RECORDS, by_relation({"observer": 204}), on_record("DELETE"))
    ],
    "GET /api/observations/{observation_id}/moments": [
        Entry(TARGET_RECORDS, READ, on_record("GET", "/moments"))
    ],
    "POST /api/observations/{observation_id}/moments": [
        Entry(
            TARGET_RECORDS,
            by_relation({"observer": 201}),
            on_record(
                "POST",
                "/moments",
                body=lambda _o: {
                    "id": str(uuid.uuid4()),
                    "code": CODE,
                    "offset_ms": 90_000,
                    "zone": "groen",
                },
            ),
        )
    ],
    "DELETE /api/observations/{observation_id}/moments/{moment_id}": [
        Entry(
            TARGET_RECORDS, by_relation({"observer": 204}), on_record("DELETE", "/moments/{moment}")
        )
    ],
    # Sync answers 200 to anyone logged in; each mutation is authorized on its own (see
    # test_a_pushed_moment_is_applied_only_for_the_observer below), and pull shows only what
    # the person may see (test_pull_shows_exactly_what_the_list_shows).
    "POST /api/sync/push": [
        Entry(TARGET_RECORDS, everyone(200), lambda w, s, role, target: push_moment(w, s, target))
    ],
    "GET /api/sync/pull": [Entry(("my_school",), everyone(200), plain("GET", "/api/sync/pull"))],
}


def push_moment(w: World, s: Session, target: str, obs: Observation | None = None) -> Request:
    if obs is None:
        obs, _moment = make_record(s, w, RECORDS[target])
    mutation = {
        "seq": 1,
        "type": "moment.add",
        "id": str(uuid.uuid4()),
        "base_version": None,
        "data": {"observation_id": str(obs.id), "code": CODE, "offset_ms": 1000},
    }
    body = {"device_id": str(uuid.uuid4()), "schema_version": 1, "mutations": [mutation]}
    return Request("POST", "/api/sync/push", body)


@dataclass(frozen=True)
class Case:
    endpoint: str
    entry: Entry | None
    role: str
    target: str

    @property
    def id(self) -> str:
        variant = f"[{self.entry.variant}]" if self.entry and self.entry.variant else ""
        return f"{self.endpoint}{variant} as {self.role} on {self.target}"


def cases() -> list[Case]:
    found = []
    for endpoint in SCHEMA_ENDPOINTS:
        if endpoint in PUBLIC:
            continue
        entries = MATRIX.get(endpoint)
        if not entries:
            found.append(Case(endpoint, None, "-", "-"))
            continue
        for entry in entries:
            found += [
                Case(endpoint, entry, role, target) for role in ROLES for target in entry.targets
            ]
    return found


def test_every_endpoint_in_the_schema_has_a_matrix_entry_and_no_entry_is_stale() -> None:
    assert set(MATRIX) == set(SCHEMA_ENDPOINTS) - PUBLIC
    assert set(SCHEMA_ENDPOINTS) >= PUBLIC


def _state(session: Session, url: str) -> tuple[Any, ...] | None:
    """What a refused request must leave alone: the observation's version, deletion and
    exclusion, its moments, who it is shared with, its reflection and its conversation."""
    parts = url.split("/")
    if len(parts) < 4:
        return None
    session.rollback()  # a fresh snapshot, and no lock held while the app works
    obs = session.get(Observation, uuid.UUID(parts[3]))
    assert obs is not None
    moments = session.exec(
        select(Moment.id, Moment.deleted_at).where(Moment.observation_id == obs.id)
    ).all()
    shared = session.exec(
        select(Share.person_id).where(
            Share.observation_id == obs.id, col(Share.revoked_at).is_(None)
        )
    ).all()
    reflection = session.exec(
        select(Reflection.version, Reflection.dominant_mechanism).where(
            Reflection.observation_id == obs.id
        )
    ).first()
    remarks = session.exec(
        select(Comment.id, Comment.body, Comment.deleted_at).where(Comment.observation_id == obs.id)
    ).all()
    state = (
        obs.version,
        obs.deleted_at,
        obs.excluded_from_team,
        obs.summary,
        sorted(moments),
        sorted(shared),
        tuple(reflection) if reflection else None,
        sorted(remarks),
    )
    session.rollback()
    return state


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_the_matrix(case: Case, world: World, session: Session, app: FastAPI) -> None:
    if case.entry is None:
        pytest.fail(
            f"{case.endpoint} is in the API but not in the authorization MATRIX: "
            "decide who may use it and add it."
        )
    expected = case.entry.expected(case.role, case.target)
    req = case.entry.request(world, session, case.role, case.target)
    client = world.clients[case.role]
    if req.fresh_client and case.role != "anonymous":
        client = logged_in(app, world.people[case.role])
    before = _state(session, req.url) if req.url.startswith("/api/observations/") else None

    response = client.request(req.method, req.url, json=req.json)

    assert response.status_code == expected, response.text
    if expected >= 400:
        body = response.json()
        assert isinstance(body["detail"], str) and body["detail"]
    if before is not None and (expected >= 400 or case.entry.changes_nothing):
        assert _state(session, req.url) == before, "the request changed the record"
    elif before is not None and req.method != "GET":
        assert _state(session, req.url) != before, "the request succeeded but changed nothing"
    if req.fresh_client and client is not world.clients[case.role]:
        client.__exit__(None, None, None)


def test_the_public_endpoints_answer_without_a_session(world: World) -> None:
    anonymous = world.clients["anonymous"]
    assert anonymous.get("/healthz").status_code == 200
    wrong = anonymous.post(
        "/api/auth/login", json={"email": "niemand@school.example", "password": "geen-wachtwoord"}
    )
    assert wrong.status_code == 401


# --- lists and details agree --------------------------------------------------------------------


def visible_by_list(client: TestClient) -> set[uuid.UUID]:
    response = client.get("/api/observations", params={"limit": 500})
    assert response.status_code == 200, response.text
    return {uuid.UUID(o["id"]) for o in response.json()}


def visible_by_detail(client: TestClient, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    statuses = {i: client.get(f"/api/observations/{i}").status_code for i in ids}
    assert set(statuses.values()) <= {200, 404}, statuses
    return {i for i, status in statuses.items() if status == 200}


@pytest.fixture
def populated(session: Session, app: FastAPI) -> Iterator[tuple[World, dict[str, uuid.UUID]]]:
    """A world of its own with one record of each kind, a deleted one, and logged-in clients."""
    w = build_world(session)
    records = {name: make_record(session, w, spec)[0].id for name, spec in RECORDS.items()}
    deleted, _ = make_record(session, w, RecordSpec("coach", "teacher1"), deleted_at=utcnow())
    records["deleted_coach_of_teacher1"] = deleted.id
    for role in ROLES:
        if role != "anonymous":
            w.clients[role] = logged_in(app, w.people[role])
    yield w, records
    for c in w.clients.values():
        c.__exit__(None, None, None)


def all_observation_ids(session: Session, world: World) -> list[uuid.UUID]:
    school_ids = [s.id for s in world.schools.values()]
    return list(
        session.exec(select(Observation.id).where(col(Observation.school_id).in_(school_ids)))
    )


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_the_list_shows_exactly_the_records_whose_detail_opens(
    role: str, populated: tuple[World, dict[str, uuid.UUID]], session: Session
) -> None:
    world, records = populated
    client = world.clients[role]
    ids = all_observation_ids(session, world)
    assert len(ids) == len(records)
    listed = visible_by_list(client)
    assert listed == visible_by_detail(client, ids)
    expected = {
        records[name]
        for name, spec in RECORDS.items()
        if relation(role, spec) in ("observer", "observed", "shared")
    }
    assert listed == expected
    assert records["deleted_coach_of_teacher1"] not in listed


def test_a_revoked_share_stops_access_at_once(
    populated: tuple[World, dict[str, uuid.UUID]], session: Session
) -> None:
    world, records = populated
    shared = records["shared_with_teacher2_and_coach"]
    teacher2 = world.clients["teacher2"]
    assert teacher2.get(f"/api/observations/{shared}").status_code == 200
    assert shared in visible_by_list(teacher2)

    share = session.exec(
        select(Share).where(Share.observation_id == shared, Share.person_id == world.id("teacher2"))
    ).one()
    share.revoked_at = utcnow()
    session.add(share)
    session.commit()

    assert teacher2.get(f"/api/observations/{shared}").status_code == 404
    assert teacher2.get(f"/api/observations/{shared}/moments").status_code == 404
    assert shared not in visible_by_list(teacher2)
    coach = world.clients["coach"]  # the other share on the same record still holds
    assert coach.get(f"/api/observations/{shared}").status_code == 200


def test_a_coach_never_sees_another_coachs_observations_unless_shared(
    populated: tuple[World, dict[str, uuid.UUID]], session: Session
) -> None:
    world, records = populated
    coach2_ids = set(
        session.exec(
            select(Observation.id).where(
                Observation.observer_id == world.id("coach2"), col(Observation.deleted_at).is_(None)
            )
        )
    )
    assert len(coach2_ids) == 2
    seen = visible_by_list(world.clients["coach"])
    assert seen & coach2_ids == {records["shared_with_teacher2_and_coach"]}
    by_observer = world.clients["coach"].get(
        "/api/observations", params={"observer_id": str(world.id("coach2"))}
    )
    assert {o["id"] for o in by_observer.json()} == {str(records["shared_with_teacher2_and_coach"])}
    # coach2 once had a share of one of coach's records, revoked: nothing of coach's is visible.
    coach_ids = set(
        session.exec(select(Observation.id).where(Observation.observer_id == world.id("coach")))
    )
    assert visible_by_list(world.clients["coach2"]) & coach_ids == set()


@pytest.mark.parametrize("role", [r for r in ROLES if MEMBERSHIPS.get(r, ("",))[0] == "A"])
def test_nothing_from_school_B_appears_for_anyone_working_in_A(
    role: str, populated: tuple[World, dict[str, uuid.UUID]], session: Session
) -> None:
    world, records = populated
    client = world.clients[role]
    school_b = world.schools["B"]
    b_ids = set(session.exec(select(Observation.id).where(Observation.school_id == school_b.id)))
    assert b_ids == {records["in_school_B"]}
    assert visible_by_list(client) & b_ids == set()
    for params in (
        {"observer_id": str(world.id("member_of_B"))},
        {"observed_teacher_id": str(world.id("teacher_B"))},
        {"relation": "shared"},
        {"relation": "observer"},
        {"relation": "observed"},
    ):
        listed = {uuid.UUID(o["id"]) for o in client.get("/api/observations", params=params).json()}
        assert listed & b_ids == set(), params
    for i in b_ids:
        assert client.get(f"/api/observations/{i}").status_code == 404
        assert client.get(f"/api/observations/{i}/moments").status_code == 404
    people = {p["id"] for p in client.get("/api/people").json()}
    assert str(world.id("member_of_B")) not in people and str(world.id("teacher_B")) not in people
    assert str(world.id("teacher1")) in people
    book = client.get("/api/codebook").json()
    me = client.get("/api/me").json()
    assert me["current_school_id"] == str(world.schools["A"].id)
    assert [s["id"] for s in me["schools"]] == [str(world.schools["A"].id)]
    assert book["id"] != "" and book["id"] == _codebook_id(session, world.schools["A"])


def _codebook_id(session: Session, school: School) -> str:
    from app import codebook

    return str(codebook.current_version(session, school.id).id)


def test_someone_in_two_schools_sees_only_the_current_one_and_switches_only_to_their_own(
    session: Session, make_client: Callable[[], TestClient]
) -> None:
    a, b, c = make_school(session), make_school(session), make_school(session)
    roaming = make_person(session, a, [Role.coach])
    add_membership(session, b, roaming, [Role.coach])
    teacher_a, teacher_b = make_person(session, a), make_person(session, b)
    in_a = make_observation(session, a, roaming, teacher_a)
    in_b = make_observation(session, b, roaming, teacher_b)
    client = login(make_client(), roaming)

    me = client.get("/api/me").json()
    assert me["current_school_id"] == str(a.id)
    assert {s["id"] for s in me["schools"]} == {str(a.id), str(b.id)}
    assert visible_by_list(client) == {in_a.id}
    assert client.get(f"/api/observations/{in_b.id}").status_code == 404
    # Observing a teacher of the other school is refused while working in this one.
    refused = client.post("/api/observations", json={"observed_teacher_id": str(teacher_b.id)})
    assert refused.status_code == 422

    switched = client.post("/api/me/school", json={"school_id": str(b.id)})
    assert switched.status_code == 200, switched.text
    assert switched.json()["current_school_id"] == str(b.id)
    assert visible_by_list(client) == {in_b.id}
    assert client.get(f"/api/observations/{in_a.id}").status_code == 404
    assert client.get(f"/api/observations/{in_b.id}").status_code == 200

    for not_mine in (c.id, uuid.uuid4()):
        refused = client.post("/api/me/school", json={"school_id": str(not_mine)})
        assert refused.status_code == 403
        assert refused.json()["detail"] == "Je hoort niet bij deze school."
    assert client.get("/api/me").json()["current_school_id"] == str(b.id)
    assert visible_by_list(client) == {in_b.id}


def test_removing_a_membership_takes_the_schools_records_away_at_once(
    session: Session, make_client: Callable[[], TestClient]
) -> None:
    from app.models import Membership

    a, b = make_school(session), make_school(session)
    roaming = make_person(session, a, [Role.coach])
    add_membership(session, b, roaming, [Role.coach])
    in_b = make_observation(session, b, roaming, make_person(session, b))
    client = login(make_client(), roaming)
    assert client.post("/api/me/school", json={"school_id": str(b.id)}).status_code == 200
    assert client.get(f"/api/observations/{in_b.id}").status_code == 200

    membership = session.exec(
        select(Membership).where(Membership.school_id == b.id, Membership.person_id == roaming.id)
    ).one()
    session.delete(membership)
    session.commit()

    assert client.get(f"/api/observations/{in_b.id}").status_code == 404
    assert client.get("/api/me").json()["current_school_id"] == str(a.id)


def test_the_observed_teacher_sees_every_moment_and_the_count_agrees(
    populated: tuple[World, dict[str, uuid.UUID]], session: Session
) -> None:
    world, records = populated
    obs_id = records["coach_of_teacher1"]
    obs = session.get(Observation, obs_id)
    assert obs is not None
    make_moment(session, obs, code=CODE, offset_ms=5_000, note="Kort gesprek bij de deur.")
    body = world.clients["teacher1"].get(f"/api/observations/{obs_id}").json()
    stored = session.exec(
        select(func.count())
        .select_from(Moment)
        .where(Moment.observation_id == obs_id, col(Moment.deleted_at).is_(None))
    ).one()
    assert body["moment_count"] == len(body["moments"]) == stored == 2


@pytest.mark.parametrize("target", TARGET_RECORDS)
@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_a_pushed_moment_is_applied_only_for_the_observer(
    role: str, target: str, world: World, session: Session
) -> None:
    obs, _moment = make_record(session, world, RECORDS[target])
    before = _state(session, f"/api/observations/{obs.id}")
    req = push_moment(world, session, target, obs)
    response = world.clients[role].post(req.url, json=req.json)
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    if relation(role, RECORDS[target]) == "observer":
        assert result["status"] == "applied"
        assert _state(session, f"/api/observations/{obs.id}") != before
    else:
        assert result["status"] == "rejected" and result["reason"]
        assert _state(session, f"/api/observations/{obs.id}") == before


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_pull_shows_exactly_what_the_list_shows(
    role: str, populated: tuple[World, dict[str, uuid.UUID]]
) -> None:
    w, _records = populated
    client = w.clients[role]
    pulled = client.get("/api/sync/pull", params={"cursor": 0, "limit": 1000}).json()
    live = {
        uuid.UUID(c["id"])
        for c in pulled["changes"]
        if c["entity"] == "observation" and not c["deleted"]
    }
    assert live == visible_by_list(client)
