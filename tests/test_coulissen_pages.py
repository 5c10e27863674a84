"""The coulissen-ruimte over HTTP: who may open what, the session pack's example notes (only
shareable ones, never one that looks like it names a pupil, never from a lesson kept out or
outside the view), the CSV export with its context and hidden cells, and the JSON API."""

import csv
import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Observation, Person, Role, School, Team
from tests import factories
from tests.factories import ClientFactory
from tests.test_pages import HTML

SHAREABLE = "Beurten via wisbordjes, iedereen antwoordt."


@dataclass
class Scene:
    school: School
    group: Person  # development group
    admin: Person
    coach: Person
    teachers: list[Person]
    small_team: Team
    excluded: Observation


def scene(session: Session) -> Scene:
    """Six teachers observed twice each (enough for the whole school), a team of two (too
    few), shareable and private notes, one note with a pupil's name, one lesson kept out."""
    school = factories.make_school(session)
    group = factories.make_person(
        session, school, [Role.teacher, Role.development_group], name="Ontwikkel Groep"
    )
    admin = factories.make_person(session, school, [Role.admin], name="Schoolleider Test")
    coach = factories.make_person(session, school, [Role.coach], name="Coach Achternaam")
    teachers = [
        factories.make_person(session, school, [Role.teacher], name=f"Docent{i} Achternaam{i}")
        for i in range(6)
    ]
    small_team = factories.make_team(session, school, teachers[:2])
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=3)
    excluded = None
    for i, teacher in enumerate(teachers):
        for j in range(2):
            began = start - timedelta(days=j, hours=i)
            obs = factories.make_observation(
                session,
                school,
                coach,
                teacher,
                started_at=began,
                ended_at=began + timedelta(minutes=50),
                status="ready",
            )
            notes = {
                (0, 0): ("Kevin haakt af bij de uitleg.", True),  # a name: never shown
                (1, 0): ("Privé voor de docent.", False),
                (2, 0): (SHAREABLE, True),
                (5, 1): ("Uit een les die de docent buiten de teampatronen hield.", True),
            }
            note, shareable = notes.get((i, j), ("", False))
            factories.make_moment(
                session, obs, code="suc-s-succes", note=note, note_shareable=shareable
            )
            factories.make_moment(session, obs, code="lud-s-chillen", offset_ms=120_000)
            if (i, j) == (5, 1):
                obs.excluded_from_team = True
                session.add(obs)
                session.commit()
                excluded = obs
    assert excluded is not None
    return Scene(school, group, admin, coach, teachers, small_team, excluded)


def client_for(make_client: ClientFactory, person: Person) -> TestClient:
    client = factories.login(make_client(), person)
    client.headers.update(HTML)
    return client


def test_the_pages_answer_each_role_as_the_design_says(
    session: Session, make_client: ClientFactory
) -> None:
    world = scene(session)
    group = client_for(make_client, world.group)
    admin = client_for(make_client, world.admin)
    coach = client_for(make_client, world.coach)
    teacher = client_for(make_client, world.teachers[3])
    for client in (group, admin, coach, teacher):
        assert client.get("/coulissen").status_code == 200
    assert group.get("/coulissen/sessiepakket").status_code == 200
    assert group.get("/coulissen/projectie").status_code == 200
    for client in (admin, coach, teacher):
        refused = client.get("/coulissen/sessiepakket")
        assert refused.status_code == 403
        assert "Alleen de ontwikkelgroep maakt het sessiepakket." in refused.text
    assert group.get("/coulissen/export.csv").status_code == 200
    assert admin.get("/coulissen/export.csv").status_code == 200
    for client in (coach, teacher):
        assert client.get("/coulissen/export.csv").status_code == 403
    anonymous = make_client()
    anonymous.headers.update(HTML)
    assert anonymous.get("/coulissen", follow_redirects=False).status_code in (303, 401)
    assert group.get("/coulissen?team=geen-id").status_code == 422
    assert group.get(f"/coulissen?team={uuid.uuid4()}").status_code == 404
    assert group.get(f"/coulissen?semester={uuid.uuid4()}").status_code == 404


def test_no_name_of_a_person_appears_on_any_screen(
    session: Session, make_client: ClientFactory
) -> None:
    world = scene(session)
    group = client_for(make_client, world.group)
    names = [p.name for p in (world.coach, *world.teachers)]
    for url in (
        "/coulissen",
        f"/coulissen?team={world.small_team.id}",
        "/coulissen/sessiepakket",
        "/coulissen/projectie",
        "/coulissen/export.csv",
        "/api/coulissen",
    ):
        body = group.get(url).text
        main = body.split('id="inhoud"', 1)[-1]  # the header names the person logged in
        assert [n for n in names if n in main] == [], url
        for part in (n.split()[1] for n in names):
            assert part not in main, (url, part)


def test_the_session_pack_shows_only_shareable_notes_without_names_from_counted_lessons(
    session: Session, make_client: ClientFactory
) -> None:
    world = scene(session)
    group = client_for(make_client, world.group)
    pack = group.get("/coulissen/sessiepakket").text
    assert SHAREABLE in pack
    assert "Kevin haakt af" not in pack
    assert "Privé voor de docent." not in pack
    assert "buiten de teampatronen hield" not in pack
    assert "Om over te praten" in pack
    for question in ("dominante uitdaging", "rode, oranje en groene", "kwadrant", "routes"):
        assert question in pack

    # A view too small to show: no figures, and no notes either.
    small = group.get(f"/coulissen/sessiepakket?team={world.small_team.id}").text
    assert "Te weinig observaties" in small
    assert SHAREABLE not in small


def test_the_csv_export_carries_its_context_and_marks_hidden_cells(
    session: Session, make_client: ClientFactory
) -> None:
    world = scene(session)
    group = client_for(make_client, world.group)
    response = group.get(f"/coulissen/export.csv?team={world.small_team.id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="coulissen-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:6] == [
        "school",
        "team",
        "semester",
        "codeboekversie",
        "minimum docenten",
        "gemaakt op",
    ]
    assert body and all(r[0] == world.school.name for r in body)
    assert {r[1] for r in body} == {world.small_team.name}
    assert all(r[3] for r in body)  # the codebook version
    hidden = [r for r in body if "verborgen" in r]
    assert hidden and len(hidden) == len(body)  # two teachers: everything hidden
    value_at = 6 + 3  # after the context: section, row, column, then the value
    assert all(r[value_at] == "" for r in hidden)

    whole = group.get("/coulissen/export.csv").content.decode("utf-8-sig")
    shown = [r for r in csv.reader(io.StringIO(whole))][1:]
    assert any("verborgen" not in r and r[value_at] != "" for r in shown)


@pytest.mark.parametrize("team", [False, True])
def test_the_json_api_gives_every_cell_its_teachers_or_hides_it(
    session: Session, make_client: ClientFactory, team: bool
) -> None:
    world = scene(session)
    api = factories.login(make_client(), world.teachers[0])
    url = f"/api/coulissen?team={world.small_team.id}" if team else "/api/coulissen"
    response = api.get(url)
    assert response.status_code == 200, response.text
    body = response.json()
    cells = list(_cells(body))
    assert cells
    for cell in cells:
        assert set(cell) >= {"value", "n_teachers", "suppressed"}
        if cell["suppressed"]:
            assert cell["value"] is None and cell["n_teachers"] is None
        else:
            assert cell["n_teachers"] >= 5
    assert all(c["suppressed"] for c in cells) is team
    assert body["scope"]["team"] == (world.small_team.name if team else None)
    text = json.dumps(body)
    for person in world.teachers:
        assert person.name not in text and str(person.id) not in text


def _cells(node: object) -> list[dict]:
    found: list[dict] = []
    if isinstance(node, dict):
        if "suppressed" in node and "n_teachers" in node:
            found.append(node)
        for value in node.values():
            found += _cells(value)
    elif isinstance(node, list):
        for value in node:
            found += _cells(value)
    return found
