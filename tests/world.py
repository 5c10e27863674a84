"""The world the authorization matrices run in: two schools, their people in every role, and
one observation of each kind of relation a person can have to it (their own as observer, of
their own lesson, shared with them, shared and then revoked, in another school).

Both matrices, the JSON endpoints' (``test_authorization.py``) and the pages'
(``test_authorization_pages.py``), try every role against these records, so they share the
cast and the rule of :func:`relation`.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.codebook import default_book
from app.models import Moment, Observation, Person, Role, School, Share, utcnow
from tests.factories import login, make_moment, make_observation, make_person, make_school

CODE = default_book()["codes"][0]["key"]

MEMBERSHIPS: dict[str, tuple[str, list[Role]]] = {
    "coach": ("A", [Role.coach]),
    "coach2": ("A", [Role.coach]),
    "teacher1": ("A", [Role.teacher]),
    "teacher2": ("A", [Role.teacher]),
    "devgroup": ("A", [Role.teacher, Role.development_group]),
    "admin": ("A", [Role.admin]),
    "member_of_B": ("B", [Role.coach, Role.teacher]),  # nothing in A
    "admin_of_B": ("B", [Role.admin]),  # school leader of B: nothing in A either
    "teacher_B": ("B", [Role.teacher]),  # observed in school B; never logs in
}


@dataclass(frozen=True)
class RecordSpec:
    observer: str
    observed: str
    shared_with: tuple[str, ...] = ()
    revoked_for: tuple[str, ...] = ()
    school: str = "A"


RECORDS = {
    "coach_of_teacher1": RecordSpec("coach", "teacher1"),
    "coach2_of_teacher2": RecordSpec("coach2", "teacher2"),
    "peer_teacher2_of_teacher1": RecordSpec("teacher2", "teacher1"),
    "shared_with_teacher2_and_coach": RecordSpec(
        "coach2", "devgroup", shared_with=("teacher2", "coach")
    ),
    "share_revoked_for_teacher1_and_coach2": RecordSpec(
        "coach", "teacher2", revoked_for=("teacher1", "coach2")
    ),
    "in_school_B": RecordSpec("member_of_B", "teacher_B", school="B"),
}


def relation(role: str, spec: RecordSpec) -> str:
    if role == "anonymous":
        return "anonymous"
    if MEMBERSHIPS[role][0] != spec.school:
        return "other_school"
    if role == spec.observer:
        return "observer"
    if role == spec.observed:
        return "observed"
    if role in spec.shared_with:
        return "shared"
    if role in spec.revoked_for:
        return "revoked"
    return "unrelated"


@dataclass
class World:
    schools: dict[str, School]
    people: dict[str, Person]
    clients: dict[str, TestClient] = field(default_factory=dict)

    def id(self, name: str) -> uuid.UUID:
        return self.people[name].id


def build_world(session: Session, domain: str = "school.example") -> World:
    """Two schools and everyone in ``MEMBERSHIPS``; every address ends in ``domain``."""
    schools = {"A": make_school(session), "B": make_school(session)}
    people = {}
    for name, (school, roles) in MEMBERSHIPS.items():
        tag = uuid.uuid4().hex[:6]
        people[name] = make_person(
            session,
            schools[school],
            roles,
            name=f"{name} {tag}",
            email=f"{name.lower()}-{tag}@{domain}",
        )
    return World(schools=schools, people=people)


def make_record(
    session: Session, world: World, spec: RecordSpec, **fields: Any
) -> tuple[Observation, Moment]:
    obs = make_observation(
        session,
        world.schools[spec.school],
        world.people[spec.observer],
        world.people[spec.observed],
        **fields,
    )
    for name in spec.shared_with:
        session.add(
            Share(
                observation_id=obs.id,
                person_id=world.id(name),
                created_by_id=world.id(spec.observed),
            )
        )
    for name in spec.revoked_for:
        session.add(
            Share(
                observation_id=obs.id,
                person_id=world.id(name),
                created_by_id=world.id(spec.observed),
                revoked_at=utcnow(),
            )
        )
    session.commit()
    return obs, make_moment(session, obs, code=CODE)


def logged_in(app: FastAPI, person: Person | None) -> TestClient:
    client = TestClient(app)
    client.__enter__()
    return login(client, person) if person is not None else client
