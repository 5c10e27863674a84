"""One shape for writes (docs/architecture.md): a use case's changes commit together or not at
all, a use case inside another's block joins it, and nobody after a failed use case has to
clean up after it."""

import uuid
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

from app import auth, db, observations, people
from app.errors import Invalid
from app.models import Observation, ObservationCreate, Person, Role, Team
from tests.factories import PASSWORD, make_person, make_school

T = TypeVar("T", bound=SQLModel)


def actor_of(person: Person) -> auth.Actor:
    with db.new_session(write=True) as s:
        done = auth.login(s, email=person.email, password=PASSWORD, address="127.0.0.1")
    actor = auth._resolve(done.token)
    assert actor is not None
    return actor


def stored(model: type[T], **where: object) -> list[T]:
    """What a fresh session sees: only what was committed."""
    with db.new_session() as s:
        query: SelectOfScalar[T] = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(s.exec(query))


def test_a_use_case_that_fails_halfway_leaves_nothing_for_the_next_commit(
    session: Session,
) -> None:
    school = make_school(session)
    address = f"nieuw-{uuid.uuid4().hex[:8]}@school.example"
    with db.new_session(write=True) as s:
        # A new address makes an account first, then the empty choice of roles is refused.
        with pytest.raises(Invalid):
            people.invite(s, school_id=school.id, email=address, name="Nieuw", roles=[])
        # The same session goes on with the next use case, which commits.
        team = Team(school_id=school.id, name="Na de fout")
        with db.transaction(s):
            s.add(team)
    assert stored(Team, id=team.id)
    assert stored(Person, email=address) == []


def test_a_use_case_inside_another_block_commits_only_with_it(session: Session) -> None:
    school = make_school(session)
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher])
    actor = actor_of(coach)
    made = uuid.uuid4()
    with db.new_session(write=True) as s, pytest.raises(RuntimeError), db.transaction(s):
        observations.create(
            s,
            actor=actor,
            data=ObservationCreate(
                id=made, observed_teacher_id=teacher.id, started_at=datetime.now(UTC)
            ),
        )
        raise RuntimeError("the outer block fails after the inner use case ended")
    assert stored(Observation, id=made) == []


def test_after_a_failed_block_the_next_one_commits_on_its_own(session: Session) -> None:
    school = make_school(session)
    first, second = Team(school_id=school.id, name="Een"), Team(school_id=school.id, name="Twee")
    with db.new_session(write=True) as s:
        with pytest.raises(Invalid), db.transaction(s):
            s.add(first)
            raise Invalid("refused")
        with db.transaction(s):
            s.add(second)
    assert stored(Team, id=first.id) == []
    assert stored(Team, id=second.id)


def test_a_repeated_insert_finds_the_stored_record_and_keeps_the_transaction_usable(
    session: Session,
) -> None:
    school = make_school(session)
    team = Team(school_id=school.id, name="Origineel")
    with db.new_session(write=True) as s, db.transaction(s):
        s.add(team)
    with db.new_session(write=True) as s, db.transaction(s):
        again = db.insert_once(s, Team(id=team.id, school_id=school.id, name="Kopie"))
        assert again is not None and again.name == "Origineel"
        s.add(Team(school_id=school.id, name="Daarna"))
    assert {t.name for t in stored(Team, school_id=school.id)} == {"Origineel", "Daarna"}
