"""My data (AVG right of access): the export holds every record about and by the person,
checked against the database, and nothing about anyone else."""

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlmodel import Session, col, or_, select

from app.models import (
    Comment,
    Membership,
    Moment,
    Observation,
    Person,
    Reflection,
    Role,
    Share,
    Team,
)
from tests import factories


@dataclass
class Scene:
    me: Person
    team: Team
    not_mine: Observation


def scene(session: Session) -> Scene:
    a = factories.make_school(session)
    b = factories.make_school(session)
    me = factories.make_person(session, a, [Role.teacher], name="Noor Ahmadi")
    factories.add_membership(session, b, me, [Role.coach])
    coach = factories.make_person(session, a, [Role.coach])
    colleague = factories.make_person(session, a, [Role.teacher])
    other = factories.make_person(session, b, [Role.teacher])
    team = factories.make_team(session, a, [me, colleague])

    of_my_lesson = factories.make_observation(session, a, coach, me, summary="Rustige start")
    factories.make_moment(session, of_my_lesson, note="Wacht na de vraag")
    factories.make_moment(
        session, of_my_lesson, "bel-s-gezien-erkend", deleted_at=datetime.now(UTC)
    )
    by_me = factories.make_observation(session, b, me, other)
    factories.make_moment(session, by_me, "lud-s-chillen")
    shared_with_me = factories.make_observation(session, a, coach, colleague)
    factories.make_moment(session, shared_with_me, "ver-p-fouten-leerkans")
    not_mine = factories.make_observation(session, a, coach, colleague)
    factories.make_moment(session, not_mine, note="Over een ander")

    reflection = Reflection(
        id=uuid.uuid4(), observation_id=of_my_lesson.id, author_id=me.id, next_step="Meer wachten"
    )
    my_share = Share(observation_id=of_my_lesson.id, person_id=colleague.id, created_by_id=me.id)
    share_to_me = Share(
        observation_id=shared_with_me.id, person_id=me.id, created_by_id=colleague.id
    )
    on_my_lesson = Comment(
        id=uuid.uuid4(), observation_id=of_my_lesson.id, author_id=coach.id, body="Mooie start"
    )
    mine_elsewhere = Comment(
        id=uuid.uuid4(), observation_id=by_me.id, author_id=me.id, body="Dank voor je les"
    )
    about_another = Comment(
        id=uuid.uuid4(), observation_id=not_mine.id, author_id=coach.id, body="Over een ander"
    )
    session.add_all(
        [reflection, my_share, share_to_me, on_my_lesson, mine_elsewhere, about_another]
    )
    session.commit()
    return Scene(me=me, team=team, not_mine=not_mine)


def ids(records: list[dict[str, object]]) -> set[str]:
    return {str(r["id"]) for r in records}


def test_the_export_holds_every_record_about_and_by_me_and_nothing_else(
    session: Session, client: TestClient
) -> None:
    world = scene(session)
    me = world.me
    factories.login(client, me)
    response = client.get("/api/me/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="coulisse-mijn-gegevens-'
    )
    data = response.json()
    my_id = me.id

    session.commit()
    observations = session.exec(
        select(Observation).where(
            or_(Observation.observer_id == my_id, Observation.observed_teacher_id == my_id)
        )
    ).all()
    assert ids(data["observations"]) == {str(o.id) for o in observations}
    assert len(observations) == 2
    moments = session.exec(
        select(Moment).where(col(Moment.observation_id).in_([o.id for o in observations]))
    ).all()
    assert ids(data["moments"]) == {str(m.id) for m in moments}
    assert len(moments) == 3  # the deleted moment too: it is still kept
    assert ids(data["reflections"]) == {
        str(r.id) for r in session.exec(select(Reflection).where(Reflection.author_id == my_id))
    }
    assert ids(data["shares"]) == {
        str(s.id)
        for s in session.exec(
            select(Share).where(or_(Share.person_id == my_id, Share.created_by_id == my_id))
        )
    }
    assert len(data["shares"]) == 2
    assert ids(data["comments"]) == {
        str(c.id)
        for c in session.exec(
            select(Comment).where(
                or_(
                    col(Comment.observation_id).in_([o.id for o in observations]),
                    Comment.author_id == my_id,
                )
            )
        )
    }
    assert {c["body"] for c in data["comments"]} == {"Mooie start", "Dank voor je les"}
    assert {m["school_id"] for m in data["memberships"]} == {
        str(s) for s in schools_of(session, my_id)
    }
    assert [t["id"] for t in data["teams"]] == [str(world.team.id)]
    assert data["person"]["email"] == me.email
    assert len(data["sessions"]) == 1
    assert data["reads"] == []
    own_lesson = next(o for o in observations if o.observed_teacher_id == my_id)
    client.get(f"/api/observations/{own_lesson.id}")  # the teacher's own lesson: no read
    shared = next(s for s in session.exec(select(Share).where(Share.person_id == my_id)))
    client.get(f"/api/observations/{shared.observation_id}")
    reads = client.get("/api/me/export").json()["reads"]
    assert [r["observation_id"] for r in reads] == [str(shared.observation_id)]

    text = response.text
    assert str(world.not_mine.id) not in text
    assert "Over een ander" not in text
    for secret in ("password_hash", "token_hash", "csrf_token"):
        assert secret not in text


def schools_of(session: Session, person_id: uuid.UUID) -> set[uuid.UUID]:
    return {
        m.school_id
        for m in session.exec(select(Membership).where(Membership.person_id == person_id))
    }


def test_the_csv_export_has_the_same_records_one_field_a_row(
    session: Session, client: TestClient
) -> None:
    world = scene(session)
    factories.login(client, world.me)
    as_json = client.get("/api/me/export").json()
    response = client.get("/api/me/export?format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].endswith('.csv"')
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["onderdeel", "id", "veld", "waarde"]
    by_section: dict[str, set[str]] = {}
    for section, record_id, _field, _value in rows[1:]:
        by_section.setdefault(section, set()).add(record_id)
    assert by_section["moment"] == ids(as_json["moments"])
    assert by_section["observatie"] == ids(as_json["observations"])
    assert by_section["reflectie"] == ids(as_json["reflections"])
    assert by_section["deling"] == ids(as_json["shares"])
    assert by_section["reactie"] == ids(as_json["comments"])
    notes = {value for section, _id, field, value in rows if field == "note"}
    assert "Wacht na de vraag" in notes
    assert ["persoon", str(world.me.id), "name", "Noor Ahmadi"] in rows


def test_the_export_needs_a_login_and_a_known_format(session: Session, client: TestClient) -> None:
    assert client.get("/api/me/export").status_code == 401
    world = scene(session)
    factories.login(client, world.me)
    refused = client.get("/api/me/export?format=xlsx")
    assert refused.status_code == 422
    assert "json" in refused.json()["detail"]


@pytest.mark.browser
def test_a_teacher_downloads_their_data_from_their_home_page(
    session: Session, browser: Browser, live_server: str
) -> None:
    world = scene(session)
    context = browser.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True)
    page = context.new_page()
    factories.log_in_page(page, live_server, world.me)
    for link, suffix in (("Download als JSON", ".json"), ("Download als CSV", ".csv")):
        with page.expect_download() as download:
            page.get_by_role("link", name=link).click()
        assert download.value.suggested_filename.endswith(suffix)
        content = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert "Wacht na de vraag" in content
        assert "Over een ander" not in content
    context.close()
