"""The observed teacher shares an observation with named colleagues and revokes it: access
follows at once, list and detail agree, a tablet learns of it at its next pull."""

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Observation, Person, Role, Share
from tests import factories
from tests.factories import ClientFactory
from tests.test_pages import HTML, log_in, post


def visible(client: TestClient, obs_id: uuid.UUID) -> tuple[int, bool]:
    """The detail's status and whether the list holds it: the two always agree."""
    detail = client.get(f"/api/observations/{obs_id}").status_code
    listed = str(obs_id) in {o["id"] for o in client.get("/api/observations").json()}
    return detail, listed


def lesson_and_colleague(session: Session) -> tuple[Person, Person, Person, Observation]:
    """A coach's observation of a teacher's lesson, and a colleague of theirs."""
    school = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach])
    teacher = factories.make_person(session, school, [Role.teacher])
    colleague = factories.make_person(session, school, [Role.teacher], name="Lotte Visser")
    return coach, teacher, colleague, factories.make_observation(session, school, coach, teacher)


def test_a_share_gives_access_and_a_revocation_takes_it_away_at_once(
    session: Session, make_client: ClientFactory
) -> None:
    _coach, teacher, colleague, obs = lesson_and_colleague(session)
    as_teacher = factories.login(make_client(), teacher)
    as_colleague = factories.login(make_client(), colleague)
    cursor = as_colleague.get("/api/sync/pull?cursor=0").json()["cursor"]

    assert visible(as_colleague, obs.id) == (404, False)
    shared = as_teacher.post(
        f"/api/observations/{obs.id}/shares", json={"person_id": str(colleague.id)}
    )
    assert shared.status_code == 201
    assert shared.json()["name"] == "Lotte Visser"
    assert visible(as_colleague, obs.id) == (200, True)
    pulled = as_colleague.get(f"/api/sync/pull?cursor={cursor}").json()
    assert [(c["id"], c["deleted"]) for c in pulled["changes"]] == [(str(obs.id), False)]
    cursor = pulled["cursor"]
    listing = as_teacher.get(f"/api/observations/{obs.id}/shares").json()
    assert [s["person_id"] for s in listing] == [str(colleague.id)]

    again = as_teacher.post(
        f"/api/observations/{obs.id}/shares", json={"person_id": str(colleague.id)}
    )
    assert again.status_code == 201

    assert as_teacher.delete(f"/api/observations/{obs.id}/shares/{colleague.id}").status_code == 204
    assert visible(as_colleague, obs.id) == (404, False)
    pulled = as_colleague.get(f"/api/sync/pull?cursor={cursor}").json()
    assert [(c["id"], c["deleted"]) for c in pulled["changes"]] == [(str(obs.id), True)]
    assert as_teacher.get(f"/api/observations/{obs.id}/shares").json() == []
    gone = as_teacher.delete(f"/api/observations/{obs.id}/shares/{colleague.id}")
    assert gone.status_code == 404

    # Sharing again opens the same row.
    as_teacher.post(f"/api/observations/{obs.id}/shares", json={"person_id": str(colleague.id)})
    assert visible(as_colleague, obs.id) == (200, True)
    session.commit()
    rows = session.exec(select(Share).where(Share.observation_id == obs.id)).all()
    assert len(rows) == 1 and rows[0].revoked_at is None


def test_only_colleagues_of_the_school_and_never_oneself(
    session: Session, make_client: ClientFactory
) -> None:
    school = factories.make_school(session)
    elsewhere = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach])
    teacher = factories.make_person(session, school, [Role.teacher])
    stranger = factories.make_person(session, elsewhere, [Role.teacher])
    gone = factories.make_person(session, school, [Role.teacher], active=False)
    obs = factories.make_observation(session, school, coach, teacher)
    as_teacher = factories.login(make_client(), teacher)
    for person, message in (
        (teacher, "eigen les"),
        (stranger, "collega van deze school"),
        (gone, "collega van deze school"),
    ):
        refused = as_teacher.post(
            f"/api/observations/{obs.id}/shares", json={"person_id": str(person.id)}
        )
        assert refused.status_code == 422, person.name
        assert message in refused.json()["detail"]
    as_coach = factories.login(make_client(), coach)
    refused = as_coach.post(f"/api/observations/{obs.id}/shares", json={"person_id": str(gone.id)})
    assert refused.status_code == 403
    session.commit()
    assert session.exec(select(Share).where(Share.observation_id == obs.id)).all() == []


def test_the_teacher_shares_revokes_and_keeps_a_lesson_out_of_team_data_on_its_page(
    session: Session, make_client: ClientFactory
) -> None:
    coach, teacher, colleague, obs = lesson_and_colleague(session)
    page = make_client()
    page.headers.update(HTML)
    token = log_in(page, teacher)
    as_colleague = factories.login(make_client(), colleague)

    html = page.get(f"/observaties/{obs.id}").text
    assert "Jij beslist" in html and "Lotte Visser" in html
    shared = post(page, f"/observaties/{obs.id}/delen", token, {"person_id": str(colleague.id)})
    assert shared.status_code == 303
    assert "De observatie is gedeeld." in page.get(shared.headers["location"]).text
    assert visible(as_colleague, obs.id) == (200, True)

    revoked = post(page, f"/observaties/{obs.id}/delen/{colleague.id}/intrekken", token)
    assert revoked.status_code == 303
    assert visible(as_colleague, obs.id) == (404, False)

    assert (
        post(page, f"/observaties/{obs.id}/teamgegevens", token, {"buiten": "ja"}).status_code
        == 303
    )
    session.commit()
    session.refresh(obs)
    assert obs.excluded_from_team is True
    html = page.get(f"/observaties/{obs.id}").text
    assert "Laat haar weer meetellen" in html
    post(page, f"/observaties/{obs.id}/teamgegevens", token, {"buiten": "nee"})
    session.commit()
    session.refresh(obs)
    assert obs.excluded_from_team is False

    refused = post(page, f"/observaties/{obs.id}/delen", token, {"person_id": "niemand"})
    assert refused.status_code == 422
    assert "Kies een collega" in refused.text
    assert (
        post(
            page, f"/observaties/{obs.id}/delen", None, {"person_id": str(colleague.id)}
        ).status_code
        == 403
    )

    as_coach_page = make_client()
    as_coach_page.headers.update(HTML)
    log_in(as_coach_page, coach)
    assert "Jij beslist" not in as_coach_page.get(f"/observaties/{obs.id}").text
