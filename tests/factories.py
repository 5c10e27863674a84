"""Plain factory functions: each call makes fresh rows with unique names and addresses."""

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app import auth, changelog, db, schools
from app.models import Membership, Moment, Observation, Person, Role, School, Team, TeamMember

PASSWORD = "wachtwoord-voor-tests"
ClientFactory = Callable[[], TestClient]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def writing(session: Session) -> None:
    """Start the factory's transaction as a writer. On SQLite a transaction that reads first
    and writes later is refused outright (SQLITE_BUSY_SNAPSHOT, no waiting) when another
    process, such as a test's live server, commits in between; begun as a writer it waits its
    turn instead. The factory commits at its end, so the lock is held only while it runs."""
    if not session.in_transaction():
        session.connection(execution_options={db.WRITE: True})


def make_school(session: Session, name: str | None = None) -> School:
    writing(session)
    school = schools.create_school(session, name=name or unique("School"))
    session.commit()
    return school


def make_person(
    session: Session,
    school: School | None,
    roles: Iterable[Role] = (Role.teacher,),
    *,
    name: str | None = None,
    password: str = PASSWORD,
    email: str | None = None,
    active: bool = True,
) -> Person:
    writing(session)
    person = Person(
        email=email or f"{unique('p')}@school.example",
        name=name or unique("Persoon"),
        password_hash=auth.hash_password(password),
        active=active,
    )
    session.add(person)
    session.flush()
    if school is not None:
        add_membership(session, school, person, roles)
    session.commit()
    return person


def add_membership(session: Session, school: School, person: Person, roles: Iterable[Role]) -> None:
    writing(session)
    roles = set(roles)
    session.add(
        Membership(
            school_id=school.id,
            person_id=person.id,
            is_coach=Role.coach in roles,
            is_teacher=Role.teacher in roles,
            is_development_group=Role.development_group in roles,
            is_admin=Role.admin in roles,
        )
    )
    session.commit()


def make_team(session: Session, school: School, members: Iterable[Person] = ()) -> Team:
    writing(session)
    team = Team(school_id=school.id, name=unique("Team"))
    session.add(team)
    session.flush()
    for p in members:
        session.add(TeamMember(team_id=team.id, person_id=p.id))
    session.commit()
    return team


def make_observation(
    session: Session, school: School, observer: Person, teacher: Person, **fields: Any
) -> Observation:
    writing(session)
    obs = Observation(
        id=uuid.uuid4(),
        school_id=school.id,
        observer_id=observer.id,
        observed_teacher_id=teacher.id,
        group_label="2B havo",
        subject="Engels",
        started_at=fields.pop("started_at", datetime.now(UTC) - timedelta(hours=1)),
        **fields,
    )
    session.add(obs)
    changelog.record(
        session, school_id=school.id, entity="observation", entity_id=obs.id, observation_id=obs.id
    )
    session.commit()
    return obs


def make_moment(
    session: Session,
    obs: Observation,
    code: str = "suc-s-succes",
    offset_ms: int = 60_000,
    **fields: Any,
) -> Moment:
    writing(session)
    moment = Moment(
        id=uuid.uuid4(),
        observation_id=obs.id,
        school_id=obs.school_id,
        code=code,
        offset_ms=offset_ms,
        created_by_id=obs.observer_id,
        **fields,
    )
    session.add(moment)
    changelog.record(
        session,
        school_id=obs.school_id,
        entity="moment",
        entity_id=moment.id,
        observation_id=obs.id,
    )
    session.commit()
    return moment


def login(client: TestClient, person: Person, password: str = PASSWORD) -> TestClient:
    """Log in through the API and send the CSRF token with every later request."""
    response = client.post("/api/auth/login", json={"email": person.email, "password": password})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


def log_in_page(page: Any, base_url: str, person: Person, password: str = PASSWORD) -> None:
    """Log in through the login form in a browser page (Playwright), landing on the home page."""
    page.goto(f"{base_url}/inloggen")
    page.fill("input[name=email]", person.email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base_url}/")
