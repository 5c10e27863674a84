"""The lesson pages over HTTP: "Mijn lessen" holds exactly the teacher's own lessons; the
observation page filters its timeline, takes the reflection and the conversation through forms
that keep a person's words when something is wrong, and names peer observation as such."""

import html as htmllib
import re
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.models import Comment, Person, Reflection, Role, Semester
from tests import factories
from tests.factories import ClientFactory
from tests.test_pages import HTML, log_in, post
from tests.test_sharing import lesson_and_colleague


def page_client(make_client: ClientFactory, person: Person) -> tuple[TestClient, str]:
    client = make_client()
    client.headers.update(HTML)
    return client, log_in(client, person)


def text_of(html: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_my_lessons_holds_exactly_my_own_lessons_by_semester(
    session: Session, make_client: ClientFactory
) -> None:
    school = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach], name="Sanne de Wit")
    teacher = factories.make_person(session, school, [Role.teacher], name="Youssef Amrani")
    peer = factories.make_person(session, school, [Role.teacher], name="Lotte Visser")
    autumn_semester = session.exec(
        select(Semester).where(
            Semester.school_id == school.id, Semester.starts_on == datetime(2026, 8, 1).date()
        )
    ).one()  # every new school gets the semesters of the current school year
    autumn_semester.name = "Najaar 2026"
    session.add(autumn_semester)
    session.commit()
    autumn = datetime(2026, 10, 6, 8, 30, tzinfo=UTC)
    by_coach = factories.make_observation(
        session, school, coach, teacher, started_at=autumn, ended_at=autumn + timedelta(minutes=50)
    )
    by_coach.group_label = "2B havo"
    session.add(by_coach)
    session.commit()
    for code in ("suc-s-succes", "suc-s-succes", "lud-s-chillen"):
        factories.make_moment(session, by_coach, code=code)
    long_ago = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    by_peer = factories.make_observation(session, school, peer, teacher, started_at=long_ago)
    by_peer.group_label = "4 vwo"
    session.add(by_peer)
    session.add(
        Reflection(
            id=uuid.uuid4(), observation_id=by_peer.id, author_id=teacher.id, next_step="Wachten"
        )
    )
    session.commit()
    mine_as_observer = factories.make_observation(session, school, teacher, peer)
    of_a_colleague = factories.make_observation(session, school, coach, peer)

    client, _token = page_client(make_client, teacher)
    page = client.get("/lessen")
    assert page.status_code == 200
    text = text_of(page.text)
    for expected in (
        "2 observaties · 3 momenten · 1 met jouw reflectie",
        "Najaar 2026",
        "Buiten de semesters",
        "Geobserveerd door Sanne de Wit",
        "Collegiale observatie door Lotte Visser",
        "Ludificering 1 · Succeservaringen 2",
        "Reflectie geschreven",
        "Nog geen reflectie",
    ):
        assert expected in text, expected
    assert f"/observaties/{by_coach.id}" in page.text and f"/observaties/{by_peer.id}" in page.text
    assert str(mine_as_observer.id) not in page.text
    assert str(of_a_colleague.id) not in page.text
    assert text.index("Najaar 2026") < text.index("Buiten de semesters")

    coach_client, _ = page_client(make_client, coach)
    refused = coach_client.get("/lessen")
    assert refused.status_code == 403
    assert "Mijn lessen is er voor docenten" in refused.text


def test_the_timeline_filters_by_family_and_code_and_ignores_unknown_values(
    session: Session, make_client: ClientFactory
) -> None:
    _coach, teacher, _colleague, obs = lesson_and_colleague(session)
    codes = ["suc-s-succes", "suc-p-aanmoediging", "lud-s-chillen", "suc-s-succes"]
    for i, code in enumerate(codes):
        factories.make_moment(session, obs, code=code, offset_ms=60_000 * (i + 1))
    client, _ = page_client(make_client, teacher)

    def marks(query: str) -> int:
        page = client.get(f"/observaties/{obs.id}{query}")
        assert page.status_code == 200
        return page.text.count('class="mark"')

    assert marks("") == 4
    assert marks("?familie=succeservaringen") == 3
    assert marks("?code=suc-s-succes") == 2
    assert marks("?familie=ludificering&code=suc-s-succes") == 2  # the code wins
    assert marks("?familie=bestaat-niet&code=%3Cscript%3E") == 4
    filtered = text_of(client.get(f"/observaties/{obs.id}?code=suc-s-succes").text)
    assert "2 van de 4 momenten getoond." in filtered


def test_the_reflection_form_saves_and_a_stale_tab_keeps_its_words(
    session: Session, make_client: ClientFactory
) -> None:
    coach, teacher, _colleague, obs = lesson_and_colleague(session)
    tab_one, token = page_client(make_client, teacher)
    tab_two, token_two = page_client(make_client, teacher)
    url = f"/observaties/{obs.id}/reflectie"
    tab_two.get(f"/observaties/{obs.id}")  # loaded before the first save: version empty

    saved = post(tab_one, url, token, {"dominant_mechanism": "Ludificering", "version": ""})
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("?melding=reflectie#reflectie")
    page = tab_one.get(saved.headers["location"]).text
    assert "Je reflectie is bewaard." in page and 'name="version" value="1"' in page

    mine = "Succeservaringen: drie leerlingen kwamen terug na de uitleg."
    stale = post(tab_two, url, token_two, {"dominant_mechanism": mine, "version": ""})
    assert stale.status_code == 409
    assert "intussen elders aangepast (versie 1)" in stale.text
    assert mine in stale.text  # the person's own words, still in the form
    assert "Zo staat je reflectie nu opgeslagen (versie 1)" in stale.text
    assert 'name="version" value="1"' in stale.text  # a second save now overwrites on purpose
    again = post(tab_two, url, token_two, {"dominant_mechanism": mine, "version": "1"})
    assert again.status_code == 303

    too_long = post(tab_one, url, token, {"next_step": "x" * 4001, "version": "2"})
    assert too_long.status_code == 422 and "hoogstens 4000 tekens" in too_long.text
    assert "x" * 4001 in too_long.text
    odd = post(tab_one, url, token, {"next_step": "Stap", "version": "twee"})
    assert odd.status_code == 422
    assert post(tab_one, url, None, {"next_step": "Stap"}).status_code == 403  # no CSRF token

    coach_client, coach_token = page_client(make_client, coach)
    refused = post(coach_client, url, coach_token, {"dominant_mechanism": "Niet van mij"})
    assert refused.status_code == 403
    assert "Reflectie bewaren" not in coach_client.get(f"/observaties/{obs.id}").text

    session.commit()
    row = session.exec(select(Reflection).where(Reflection.observation_id == obs.id)).one()
    assert (row.version, row.dominant_mechanism) == (2, mine)


def test_the_conversation_form_lands_once_and_keeps_words_on_an_error(
    session: Session, make_client: ClientFactory
) -> None:
    coach, teacher, colleague, obs = lesson_and_colleague(session)
    moment = factories.make_moment(session, obs, code="lud-s-chillen", offset_ms=95_000)
    teacher_client, token = page_client(make_client, teacher)
    url = f"/observaties/{obs.id}/gesprek"

    page = teacher_client.get(f"/observaties/{obs.id}?moment={moment.id}").text
    assert f'<option value="{moment.id}" selected>' in page
    comment_id = re.search(r'name="comment_id" value="([^"]+)"', page)
    assert comment_id
    form = {"body": "Zag je waar het begon?", "moment_id": str(moment.id)}
    form["comment_id"] = comment_id.group(1)
    first = post(teacher_client, url, token, form)
    assert first.status_code == 303
    assert post(teacher_client, url, token, form).status_code == 303  # a double tap: lands once
    shown = text_of(teacher_client.get(first.headers["location"]).text)
    assert "Je reactie is geplaatst." in shown
    assert "Bij 01:35 · " in shown

    empty = post(teacher_client, url, token, {"body": "   "})
    assert empty.status_code == 422 and "Schrijf eerst iets" in empty.text
    long_text = "Lang verhaal. " * 80
    too_long = post(teacher_client, url, token, {"body": long_text})
    assert too_long.status_code == 422 and "hoogstens 1000 tekens" in too_long.text
    assert long_text.strip() in htmllib.unescape(too_long.text)
    wrong = post(teacher_client, url, token, {"body": "Hier", "moment_id": "geen-id"})
    assert wrong.status_code == 422 and "Kies een moment uit de lijst." in wrong.text

    coach_client, coach_token = page_client(make_client, coach)
    assert post(coach_client, url, coach_token, {"body": "Bij de deur al."}).status_code == 303
    session.commit()
    remarks = session.exec(
        select(Comment).where(Comment.observation_id == obs.id).order_by(col(Comment.created_at))
    ).all()
    assert [(r.author_id, r.moment_id) for r in remarks] == [
        (teacher.id, moment.id),
        (coach.id, None),
    ]
    withdraw = f"/observaties/{obs.id}/gesprek/{remarks[1].id}/intrekken"
    assert post(teacher_client, withdraw, token).status_code == 403  # not theirs
    assert post(coach_client, withdraw, coach_token).status_code == 303
    assert "Deze reactie is ingetrokken." in teacher_client.get(f"/observaties/{obs.id}").text

    shared = factories.login(make_client(), teacher).post(
        f"/api/observations/{obs.id}/shares", json={"person_id": str(colleague.id)}
    )
    assert shared.status_code == 201
    colleague_client, colleague_token = page_client(make_client, colleague)
    read = colleague_client.get(f"/observaties/{obs.id}").text
    assert "Zag je waar het begon?" in read and "Plaatsen" not in read
    assert post(colleague_client, url, colleague_token, {"body": "Ik ook"}).status_code == 403


def test_a_peer_observation_is_named_so_and_belongs_to_the_observed_colleague(
    session: Session, make_client: ClientFactory
) -> None:
    school = factories.make_school(session)
    peer = factories.make_person(session, school, [Role.teacher], name="Lotte Visser")
    observed = factories.make_person(session, school, [Role.teacher])
    obs = factories.make_observation(session, school, peer, observed)
    observed_client, _ = page_client(make_client, observed)
    page = text_of(observed_client.get(f"/observaties/{obs.id}").text)
    assert "Collegiale observatie" in page and "Observerende collega Lotte Visser" in page
    assert "net zo goed van jou als bij een coach" in page
    assert "Jij beslist" in page and "Reflectie bewaren" in page
    peer_client, _ = page_client(make_client, peer)
    seen_by_peer = text_of(peer_client.get(f"/observaties/{obs.id}").text)
    assert "Collegiale observatie" in seen_by_peer
    assert "Jij beslist" not in seen_by_peer and "Reflectie bewaren" not in seen_by_peer
