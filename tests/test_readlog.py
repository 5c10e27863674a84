"""The read log: the observed teacher sees who opened an observation of their lesson and when;
nobody else sees it, the teacher's own opens are not in it, and refreshes count once."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import ObservationRead, Role, Share
from tests import factories
from tests.factories import ClientFactory


def test_the_observed_teacher_sees_who_opened_their_lesson_and_nobody_else_does(
    session: Session, make_client: ClientFactory
) -> None:
    school = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach], name="Sanne de Vries")
    teacher = factories.make_person(session, school, [Role.teacher], name="Mark Jansen")
    colleague = factories.make_person(session, school, [Role.teacher], name="Lotte Visser")
    obs = factories.make_observation(session, school, coach, teacher)
    session.add(Share(observation_id=obs.id, person_id=colleague.id, created_by_id=teacher.id))
    session.commit()
    as_coach = factories.login(make_client(), coach)
    as_teacher = factories.login(make_client(), teacher)
    as_colleague = factories.login(make_client(), colleague)

    assert as_coach.get(f"/observaties/{obs.id}").status_code == 200
    assert as_coach.get(f"/observaties/{obs.id}").status_code == 200  # a refresh: counts once
    assert as_colleague.get(f"/api/observations/{obs.id}").status_code == 200
    assert as_teacher.get(f"/observaties/{obs.id}").status_code == 200  # their own: not logged

    reads = as_teacher.get(f"/api/observations/{obs.id}/reads")
    assert reads.status_code == 200
    assert [(r["name"], r["opens"]) for r in reads.json()] == [
        ("Lotte Visser", 1),
        ("Sanne de Vries", 1),
    ]
    page = as_teacher.get(f"/observaties/{obs.id}").text
    assert "Wie opende deze observatie?" in page
    assert "Sanne de Vries" in page and "Lotte Visser" in page

    for other in (as_coach, as_colleague):
        refused = other.get(f"/api/observations/{obs.id}/reads")
        assert refused.status_code == 403
        assert "geobserveerde docent" in refused.json()["detail"]
        assert "Wie opende deze observatie?" not in other.get(f"/observaties/{obs.id}").text


def test_an_open_after_ten_minutes_counts_again(session: Session, client: TestClient) -> None:
    school = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach])
    teacher = factories.make_person(session, school, [Role.teacher])
    obs = factories.make_observation(session, school, coach, teacher)
    factories.login(client, coach)
    client.get(f"/api/observations/{obs.id}")
    session.commit()
    first = session.exec(
        select(ObservationRead).where(ObservationRead.observation_id == obs.id)
    ).one()
    first.read_at -= timedelta(minutes=11)
    session.add(first)
    session.commit()
    client.get(f"/api/observations/{obs.id}")
    session.commit()
    rows = session.exec(
        select(ObservationRead).where(ObservationRead.observation_id == obs.id)
    ).all()
    assert len(rows) == 2
    assert {r.person_id for r in rows} == {coach.id}
