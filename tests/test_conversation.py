"""The short conversation on an observation: observer and observed teacher remark on the
lesson or on one moment; whoever may read the observation reads the conversation; a remark sent
twice lands once; its author may withdraw it and its place stays."""

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Comment, School
from tests import factories
from tests.factories import ClientFactory
from tests.test_sharing import lesson_and_colleague


def remark(client: TestClient, obs_id: uuid.UUID, **body: object) -> tuple[int, dict]:
    response = client.post(f"/api/observations/{obs_id}/comments", json=body)
    return response.status_code, response.json()


def test_observer_and_teacher_talk_about_the_lesson_and_a_moment(
    session: Session, make_client: ClientFactory
) -> None:
    coach, teacher, colleague, obs = lesson_and_colleague(session)
    moment = factories.make_moment(session, obs)
    as_coach = factories.login(make_client(), coach)
    as_teacher = factories.login(make_client(), teacher)

    status, first = remark(as_teacher, obs.id, body="  Herkende je de onrust na de pauze?  ")
    assert status == 201
    assert first["body"] == "Herkende je de onrust na de pauze?"
    assert first["author"]["id"] == str(teacher.id) and first["moment_id"] is None
    status, reply = remark(
        as_coach, obs.id, body="Ja, precies bij dit moment.", moment_id=str(moment.id)
    )
    assert status == 201 and reply["moment_id"] == str(moment.id)

    thread = as_teacher.get(f"/api/observations/{obs.id}/comments").json()
    assert [c["body"] for c in thread] == [first["body"], reply["body"]]
    detail = as_coach.get(f"/api/observations/{obs.id}").json()
    assert [c["id"] for c in detail["comments"]] == [first["id"], reply["id"]]

    # A colleague the teacher shares with reads the conversation, but does not join it.
    as_teacher.post(f"/api/observations/{obs.id}/shares", json={"person_id": str(colleague.id)})
    as_colleague = factories.login(make_client(), colleague)
    assert len(as_colleague.get(f"/api/observations/{obs.id}/comments").json()) == 2
    status, refused = remark(as_colleague, obs.id, body="Mag ik ook iets zeggen?")
    assert status == 403
    assert refused["detail"] == (
        "Alleen de observator en de geobserveerde docent voeren dit gesprek."
    )


def test_a_remark_sent_twice_lands_once(session: Session, make_client: ClientFactory) -> None:
    coach, _teacher, _colleague, obs = lesson_and_colleague(session)
    as_coach = factories.login(make_client(), coach)
    remark_id = str(uuid.uuid4())
    assert remark(as_coach, obs.id, id=remark_id, body="Sterke start.")[0] == 201
    assert remark(as_coach, obs.id, id=remark_id, body="Sterke start.")[0] == 200
    status, clash = remark(as_coach, obs.id, id=remark_id, body="Iets anders.")
    assert status == 409 and "andere inhoud" in clash["detail"]
    session.commit()
    assert len(session.exec(select(Comment).where(Comment.observation_id == obs.id)).all()) == 1


def test_bad_remarks_are_refused_with_a_reason(
    session: Session, make_client: ClientFactory
) -> None:
    coach, teacher, _colleague, obs = lesson_and_colleague(session)
    school = session.get(School, obs.school_id)
    assert school is not None
    other = factories.make_observation(session, school, coach, teacher)
    elsewhere = factories.make_moment(session, other)
    gone = factories.make_moment(session, obs)
    as_coach = factories.login(make_client(), coach)
    as_coach.delete(f"/api/observations/{obs.id}/moments/{gone.id}")

    for body, expected in (
        ({"body": ""}, 422),
        ({"body": "   "}, 422),
        ({"body": "x" * 1001}, 422),
        ({"body": "Kijk hier", "moment_id": str(elsewhere.id)}, 422),
        ({"body": "Kijk hier", "moment_id": str(gone.id)}, 422),
        ({"body": "Kijk hier", "moment_id": "geen-id"}, 422),
        ({"tekst": "Kijk hier"}, 422),
    ):
        status, answer = remark(as_coach, obs.id, **body)
        assert status == expected, (body, answer)
        assert isinstance(answer["detail"], str) and answer["detail"]
    session.commit()
    assert session.exec(select(Comment).where(Comment.observation_id == obs.id)).all() == []


def test_the_author_withdraws_a_remark_and_its_place_stays(
    session: Session, make_client: ClientFactory
) -> None:
    coach, teacher, _colleague, obs = lesson_and_colleague(session)
    as_coach = factories.login(make_client(), coach)
    as_teacher = factories.login(make_client(), teacher)
    _, first = remark(as_coach, obs.id, body="Dit bedoelde ik niet zo.")
    _, second = remark(as_teacher, obs.id, body="Geen probleem.")
    url = f"/api/observations/{obs.id}/comments"

    refused = as_teacher.delete(f"{url}/{first['id']}")
    assert refused.status_code == 403
    assert as_coach.delete(f"{url}/{first['id']}").status_code == 204
    assert as_coach.delete(f"{url}/{first['id']}").status_code == 204  # again: no harm
    assert as_coach.delete(f"{url}/{uuid.uuid4()}").status_code == 404

    thread = as_teacher.get(url).json()
    assert [(c["id"], c["deleted"], c["body"]) for c in thread] == [
        (first["id"], True, ""),
        (second["id"], False, "Geen probleem."),
    ]
    session.commit()
    stored = session.get(Comment, uuid.UUID(first["id"]))
    assert stored is not None and stored.body == "" and stored.deleted_at is not None


def test_the_id_of_a_remark_one_may_not_see_answers_as_if_it_did_not_exist(
    session: Session, make_client: ClientFactory
) -> None:
    coach, teacher, colleague, obs = lesson_and_colleague(session)
    as_teacher = factories.login(make_client(), teacher)
    status, hidden = remark(as_teacher, obs.id, body="Alleen voor ons twee.")
    assert status == 201
    # The colleague observes a lesson of their own and reuses the id of that remark.
    own = factories.make_observation(
        session, session.get_one(School, obs.school_id), colleague, coach
    )
    as_colleague = factories.login(make_client(), colleague)
    status, answer = remark(as_colleague, own.id, body="Iets anders.", id=hidden["id"])
    assert status == 404, answer
    session.commit()
    assert session.get(Comment, uuid.UUID(hidden["id"])).body == "Alleen voor ons twee."  # type: ignore[union-attr]
