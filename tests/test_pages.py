"""The server-rendered pages: who sees which page, that every form works with its CSRF token and
is refused without it, and that a mistake in a form gives a Dutch message, never a 500."""

import csv
import io
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app import auth, codebook, people, schools
from app.models import (
    AuthSession,
    Invitation,
    Membership,
    Person,
    Role,
    School,
    Semester,
    Share,
    Team,
    TeamMember,
)
from tests.factories import (
    PASSWORD,
    add_membership,
    make_moment,
    make_observation,
    make_person,
    make_school,
    make_team,
    unique,
)

HTML = {"accept": "text/html,application/xhtml+xml"}
CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
ADMIN_PAGES = [
    "/beheer",
    "/beheer/mensen",
    "/beheer/mensen/import",
    "/beheer/teams",
    "/beheer/semesters",
    "/beheer/codeboek",
    "/beheer/school",
]


# --- helpers -------------------------------------------------------------------------------------


def browser(make_client: Any) -> TestClient:
    """A client that asks for HTML, as a browser does (errors then come back as pages)."""
    client: TestClient = make_client()
    client.headers.update(HTML)
    return client


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a csrf_token"
    return found.group(1)


def login_cookie(client: TestClient, path: str = "/inloggen") -> str:
    value = client.cookies.get(auth.LOGIN_CSRF_COOKIE, path=path)
    assert value
    return value


def log_in(client: TestClient, person: Person, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token for later forms."""
    client.get("/inloggen")
    response = client.post(
        "/inloggen",
        data={"email": person.email, "password": password, "csrf_token": login_cookie(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


def post(
    client: TestClient,
    path: str,
    token: str | None,
    data: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    body = dict(data or {})
    if token is not None:
        body["csrf_token"] = token
    return client.post(path, data=body, follow_redirects=False, **kwargs)


def fresh(session: Session) -> None:
    """See what the app committed through its own connection: end this session's transaction
    (its snapshot) and forget the objects it loaded."""
    session.rollback()
    session.expire_all()


def school_with_admin(session: Session) -> tuple[School, Person]:
    school = make_school(session)
    return school, make_person(session, school, [Role.admin], name=unique("Schoolleider"))


def invitation_path(link: str) -> str:
    return "/uitnodiging/" + link.rsplit("/uitnodiging/", 1)[1]


# --- logging in and out --------------------------------------------------------------------------


def test_the_login_page_names_the_product_and_explains_it_in_dutch(make_client: Any) -> None:
    page = browser(make_client).get("/inloggen")
    assert page.status_code == 200
    assert '<html lang="nl">' in page.text
    assert "Coulisse" in page.text
    assert "Lesobservaties op mechanismen, voor de coulissen-ruimte van het team" in page.text
    assert '<label for="email">E-mailadres</label>' in page.text


def test_a_page_that_needs_a_login_sends_you_back_to_it_after_logging_in(
    session: Session, make_client: Any
) -> None:
    _school, admin = school_with_admin(session)
    client = browser(make_client)
    first = client.get("/beheer/teams", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/inloggen?volgende=/beheer/teams"
    form = client.get(first.headers["location"])
    assert 'name="volgende" value="/beheer/teams"' in form.text
    done = client.post(
        "/inloggen",
        data={
            "email": admin.email,
            "password": PASSWORD,
            "csrf_token": login_cookie(client),
            "volgende": "/beheer/teams",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/beheer/teams"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "beheer",
        "/\r\nSet-Cookie: x=y",
    ],
)
def test_logging_in_never_sends_you_to_another_site(
    session: Session, make_client: Any, target: str
) -> None:
    person = make_person(session, make_school(session))
    client = browser(make_client)
    client.get("/inloggen")
    done = client.post(
        "/inloggen",
        data={
            "email": person.email,
            "password": PASSWORD,
            "csrf_token": login_cookie(client),
            "volgende": target,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/"


def test_a_wrong_password_shows_the_form_again_with_a_dutch_message_and_the_address_kept(
    session: Session, make_client: Any
) -> None:
    person = make_person(session, make_school(session))
    client = browser(make_client)
    client.get("/inloggen")
    page = client.post(
        "/inloggen",
        data={
            "email": person.email,
            "password": "niet-dit-wachtwoord",
            "csrf_token": login_cookie(client),
        },
    )
    assert page.status_code == 401
    assert "Dit e-mailadres en wachtwoord horen niet bij elkaar." in page.text
    assert f'value="{person.email}"' in page.text
    assert auth.SESSION_COOKIE not in client.cookies


def test_the_login_form_without_its_signed_token_is_refused(
    session: Session, make_client: Any
) -> None:
    person = make_person(session, make_school(session))
    client = browser(make_client)
    page = client.post(
        "/inloggen",
        data={"email": person.email, "password": PASSWORD, "csrf_token": "nonce.forged"},
    )
    assert page.status_code == 403
    assert "Het inlogformulier is verlopen" in page.text


def test_logging_out_needs_the_csrf_token_and_then_ends_the_session(
    session: Session, make_client: Any
) -> None:
    person = make_person(session, make_school(session))
    client = browser(make_client)
    token = log_in(client, person)
    assert post(client, "/uitloggen", None).status_code == 403
    assert post(client, "/uitloggen", "wrong").status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200

    cookie = client.cookies[auth.SESSION_COOKIE]
    out = post(client, "/uitloggen", token)
    assert out.status_code == 303 and out.headers["location"] == "/inloggen"
    assert auth.SESSION_COOKIE not in client.cookies
    replay = browser(make_client)
    replay.cookies.set(auth.SESSION_COOKIE, cookie)
    assert replay.get("/", follow_redirects=False).headers["location"] == "/inloggen"
    assert session.exec(select(AuthSession).where(AuthSession.person_id == person.id)).all() == []


# --- home ----------------------------------------------------------------------------------------


def test_home_without_a_login_sends_you_to_the_login_page(make_client: Any) -> None:
    response = browser(make_client).get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/inloggen"


def test_the_header_shows_the_school_the_person_their_dutch_roles_and_a_logout_button(
    session: Session, make_client: Any
) -> None:
    school = make_school(session)
    person = make_person(
        session, school, [Role.teacher, Role.development_group], name="Fenna Kuipers"
    )
    client = browser(make_client)
    log_in(client, person)
    page = client.get("/").text
    assert school.name in page and "Fenna Kuipers" in page
    assert "Docent · Ontwikkelgroep" in page
    assert 'action="/uitloggen"' in page and "Uitloggen" in page


def test_home_shows_each_role_only_what_it_can_use(session: Session, make_client: Any) -> None:
    school = make_school(session)
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher])
    group = make_person(session, school, [Role.development_group])
    admin = make_person(session, school, [Role.admin])

    def home(person: Person) -> str:
        client = browser(make_client)
        log_in(client, person)
        return str(client.get("/").text)

    coach_home, teacher_home, group_home, admin_home = map(home, (coach, teacher, group, admin))
    assert "Mijn observaties" in coach_home and "Observaties van mijn lessen" not in coach_home
    assert "Mijn observaties" in teacher_home and "Observaties van mijn lessen" in teacher_home
    assert all(
        "Met mij gedeeld" in page for page in (coach_home, teacher_home, group_home, admin_home)
    )
    assert "Mijn observaties" not in group_home and "Mijn observaties" not in admin_home
    assert "coulissen-ruimte" in group_home and "coulissen-ruimte" in admin_home
    assert "De coulissen-ruimte" not in coach_home and "De coulissen-ruimte" not in teacher_home
    assert 'href="/beheer/mensen"' in admin_home
    assert "/beheer" not in coach_home + teacher_home + group_home
    # Friendly empty states instead of empty tables.
    assert "Je hebt nog geen les geobserveerd." in coach_home
    assert "Er is nog niets met je gedeeld." in coach_home


def test_every_link_on_a_home_page_leads_to_a_page_that_works(
    session: Session, make_client: Any
) -> None:
    school = make_school(session)
    person = make_person(
        session, school, [Role.admin, Role.teacher, Role.development_group, Role.coach]
    )
    colleague = make_person(session, school, [Role.teacher])
    make_observation(session, school, person, colleague)
    make_observation(session, school, colleague, person)
    client = browser(make_client)
    log_in(client, person)
    page = client.get("/").text
    links = set(re.findall(r'href="(/[^"#]*)"', page)) - {
        "/static/css/coulisse.css",
        "/static/img/coulisse.svg",
    }
    assert len(links) >= 7
    for link in links:
        assert client.get(link).status_code == 200, link


def test_home_lists_observations_by_relation_and_never_others(
    session: Session, make_client: Any
) -> None:
    school = make_school(session)
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher], name=unique("Geobserveerd"))
    reader = make_person(session, school, [Role.teacher])
    outsider = make_person(session, school, [Role.teacher])
    obs = make_observation(session, school, coach, teacher)
    session.add(Share(observation_id=obs.id, person_id=reader.id, created_by_id=teacher.id))
    session.commit()
    link = f'href="/observaties/{obs.id}"'

    def sections(person: Person) -> dict[str, str]:
        client = browser(make_client)
        log_in(client, person)
        page = client.get("/").text
        return {
            key: page.split(f'id="kop-{key}"', 1)[1].split("</section>", 1)[0]
            for key in ("observer", "observed", "shared")
            if f'id="kop-{key}"' in page
        }

    assert link in sections(coach)["observer"]
    assert link in sections(teacher)["observed"] and link not in sections(teacher)["observer"]
    assert link in sections(reader)["shared"]
    assert all(link not in part for part in sections(outsider).values())


def test_someone_in_several_schools_can_switch_with_the_csrf_token(
    session: Session, make_client: Any
) -> None:
    first, second, foreign = make_school(session), make_school(session), make_school(session)
    coach = make_person(session, first, [Role.coach])
    add_membership(session, second, coach, [Role.coach])
    client = browser(make_client)
    token = log_in(client, coach)
    page = client.get("/").text
    assert 'action="/school"' in page and second.name in page

    assert post(client, "/school", None, {"school_id": str(second.id)}).status_code == 403
    switched = post(client, "/school", token, {"school_id": str(second.id)})
    assert switched.status_code == 303
    assert f"Je werkt in {second.name}." in client.get("/").text

    refused = post(client, "/school", token, {"school_id": str(foreign.id)})
    assert refused.status_code == 403 and "Je hoort niet bij deze school." in refused.text
    assert post(client, "/school", token, {"school_id": "geen-id"}).status_code == 422


def test_someone_who_belongs_to_no_school_is_told_so_on_home(
    session: Session, make_client: Any
) -> None:
    client = browser(make_client)
    log_in(client, make_person(session, None))
    page = client.get("/")
    assert page.status_code == 200 and "Je hoort nog bij geen school" in page.text
    assert client.get("/beheer").status_code == 403


def test_someone_in_one_school_sees_no_school_switcher(session: Session, make_client: Any) -> None:
    client = browser(make_client)
    log_in(client, make_person(session, make_school(session), [Role.coach]))
    assert 'action="/school"' not in client.get("/").text


# --- one observation -----------------------------------------------------------------------------


def test_an_observation_shows_its_header_summary_and_moments_in_time_order(
    session: Session, make_client: Any
) -> None:
    school = make_school(session)
    coach = make_person(session, school, [Role.coach], name=unique("Coach"))
    teacher = make_person(session, school, [Role.teacher], name=unique("Docent"))
    obs = make_observation(
        session,
        school,
        coach,
        teacher,
        started_at=datetime(2026, 11, 24, 8, 30, tzinfo=UTC),
        summary="Rustige start.\nDaarna veel beurten voor dezelfde leerlingen.",
    )
    make_moment(
        session,
        obs,
        code="ver-u-ongelijke-beurten",
        offset_ms=754_000,
        zone="oranje",
        phase="verwerking",
        note="Vooral de jongens achterin.",
    )
    make_moment(session, obs, code="suc-s-succes", offset_ms=65_000, zone="groen", phase="start")
    client = browser(make_client)
    log_in(client, teacher)
    page = client.get(f"/observaties/{obs.id}")
    assert page.status_code == 200
    text = page.text
    for expected in (
        teacher.name,
        coach.name,
        "2B havo",
        "Engels",
        "dinsdag 24 november 2026",
        "09:30",
        "Rustige start.",
        "Daarna veel beurten",
        "Vooral de jongens achterin.",
        "Zone groen",
        "Zone oranje",
        "Fase: verwerking",
        "Succeservaringen",
        "Verwachtingscues",
    ):
        assert expected in text, expected
    listing = text[text.index('id="momenten"') :]  # the list of moments, after the timeline
    assert listing.index("01:05") < listing.index("12:34")
    labels = {
        c.key: c
        for c in codebook.codes_of(session, codebook.current_version(session, school.id).id)
    }
    assert listing.index(labels["suc-s-succes"].label) < listing.index(
        labels["ver-u-ongelijke-beurten"].label
    )
    assert "--c: #0072B2" in text  # the family colour of succeservaringen


def test_an_observation_you_may_not_see_gives_a_dutch_404_page(
    session: Session, make_client: Any
) -> None:
    school, elsewhere = make_school(session), make_school(session)
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher])
    obs = make_observation(session, school, coach, teacher)
    for person in (
        make_person(session, school, [Role.teacher]),
        make_person(session, school, [Role.admin, Role.development_group]),
        make_person(session, elsewhere, [Role.coach]),
    ):
        client = browser(make_client)
        log_in(client, person)
        page = client.get(f"/observaties/{obs.id}")
        assert page.status_code == 404
        assert "Deze observatie bestaat niet of je hebt er geen toegang toe." in page.text
        assert 'href="/"' in page.text
    client = browser(make_client)
    log_in(client, coach)
    assert client.get("/observaties/geen-uuid").status_code == 422


def test_a_colleague_it_was_shared_with_reads_the_same_notes_as_the_api(
    session: Session, make_client: Any
) -> None:
    school = make_school(session)
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher])
    reader = make_person(session, school, [Role.teacher])
    obs = make_observation(session, school, coach, teacher)
    make_moment(session, obs, note="Alleen voor de docent.", note_shareable=False)
    make_moment(session, obs, offset_ms=90_000, note="Mag gedeeld worden.", note_shareable=True)
    session.add(Share(observation_id=obs.id, person_id=reader.id, created_by_id=teacher.id))
    session.commit()
    client = browser(make_client)
    log_in(client, reader)
    page = client.get(f"/observaties/{obs.id}").text
    # The teacher shared the observation as a whole; "shareable" marks notes fit for the
    # team's session pack, not notes hidden from a chosen colleague.
    assert "Mag gedeeld worden." in page and "Alleen voor de docent." in page
    client.headers["Accept"] = "application/json"
    notes = {m["note"] for m in client.get(f"/api/observations/{obs.id}").json()["moments"]}
    assert notes == {"Mag gedeeld worden.", "Alleen voor de docent."}


# --- admin: access -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [*ADMIN_PAGES, "/observaties/00000000-0000-4000-8000-000000000000"]
)
def test_without_a_login_every_page_sends_you_to_log_in_first(make_client: Any, path: str) -> None:
    response = browser(make_client).get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/inloggen?volgende={path}"


def test_every_admin_page_renders_for_the_school_leadership(
    session: Session, make_client: Any
) -> None:
    school, admin = school_with_admin(session)
    team = make_team(session, school)
    client = browser(make_client)
    log_in(client, admin)
    semester = schools.semesters(session, school.id)[0]
    for path in [
        *ADMIN_PAGES,
        f"/beheer/mensen/{admin.id}",
        f"/beheer/teams/{team.id}",
        f"/beheer/teams/{team.id}/verwijderen",
        f"/beheer/semesters/{semester.id}",
        f"/beheer/semesters/{semester.id}/verwijderen",
        "/beheer/codeboek/suc-s-succes",
    ]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'name="csrf_token"' in page.text or path == "/beheer", path


def test_admin_pages_and_forms_are_forbidden_for_every_other_role(
    session: Session, make_client: Any
) -> None:
    school = make_school(session)
    team = make_team(session, school)
    for roles in (
        [Role.coach],
        [Role.teacher],
        [Role.development_group],
        [Role.coach, Role.teacher, Role.development_group],
    ):
        person = make_person(session, school, roles)
        client = browser(make_client)
        token = log_in(client, person)
        for path in ADMIN_PAGES:
            page = client.get(path)
            assert page.status_code == 403, path
            assert "Alleen de schoolleiding beheert de school." in page.text
        for path, data in [
            ("/beheer/mensen", {"name": "X", "email": "x@school.example", "roles": "teacher"}),
            ("/beheer/teams", {"name": unique("Team")}),
            (f"/beheer/teams/{team.id}/verwijderen", {}),
            (
                "/beheer/school",
                {
                    "name": "Overgenomen",
                    "aggregate_minimum": "3",
                    "retention_years": "1",
                    "phases": "a",
                },
            ),
        ]:
            assert post(client, path, token, data).status_code == 403, path
    fresh(session)
    assert session.get(Team, team.id) is not None
    assert session.get(School, school.id).name == school.name  # type: ignore[union-attr]


def test_admin_pages_never_show_or_touch_another_schools_data(
    session: Session, make_client: Any
) -> None:
    _school, admin = school_with_admin(session)
    other, other_admin = school_with_admin(session)
    stranger = make_person(session, other, [Role.teacher], name=unique("Vreemde"))
    other_team = make_team(session, other, [stranger])
    other_semester = schools.semesters(session, other.id)[0]
    client = browser(make_client)
    token = log_in(client, admin)
    for path in ADMIN_PAGES:
        page = client.get(path).text
        assert stranger.name not in page and other_team.name not in page
        assert other_admin.name not in page and other.name not in page
    for path in (
        f"/beheer/mensen/{stranger.id}",
        f"/beheer/teams/{other_team.id}",
        f"/beheer/semesters/{other_semester.id}",
    ):
        assert client.get(path).status_code == 404, path
    assert (
        post(client, f"/beheer/mensen/{stranger.id}/rollen", token, {"roles": "admin"}).status_code
        == 404
    )
    assert (
        post(client, f"/beheer/mensen/{stranger.id}/actief", token, {"actief": "nee"}).status_code
        == 404
    )
    assert post(client, f"/beheer/teams/{other_team.id}/verwijderen", token).status_code == 404
    assert (
        post(client, f"/beheer/semesters/{other_semester.id}/verwijderen", token).status_code == 404
    )
    fresh(session)
    assert session.get(Person, stranger.id).active  # type: ignore[union-attr]
    assert session.get(Team, other_team.id) is not None


def test_every_admin_form_is_refused_without_the_csrf_token(
    session: Session, make_client: Any
) -> None:
    school, admin = school_with_admin(session)
    teacher = make_person(session, school, [Role.teacher])
    team = make_team(session, school)
    semester = schools.semesters(session, school.id)[0]
    client = browser(make_client)
    log_in(client, admin)
    forms: list[tuple[str, dict[str, Any]]] = [
        (
            "/beheer/mensen",
            {"name": "Nieuw", "email": f"{unique('n')}@school.example", "roles": "teacher"},
        ),
        ("/beheer/mensen/import", {"text": f"email,naam,rollen\n{unique('i')}@s.example,I,docent"}),
        (f"/beheer/mensen/{teacher.id}/rollen", {"roles": "admin"}),
        (f"/beheer/mensen/{teacher.id}/actief", {"actief": "nee"}),
        (f"/beheer/mensen/{teacher.id}/uitnodiging", {}),
        ("/beheer/teams", {"name": unique("Team")}),
        (f"/beheer/teams/{team.id}", {"name": unique("Hernoemd")}),
        (f"/beheer/teams/{team.id}/leden", {"members": str(teacher.id)}),
        (f"/beheer/teams/{team.id}/verwijderen", {}),
        (
            "/beheer/semesters",
            {"name": "Extra", "starts_on": "2040-08-01", "ends_on": "2041-01-31"},
        ),
        (
            f"/beheer/semesters/{semester.id}",
            {"name": "X", "starts_on": "2040-08-01", "ends_on": "2041-01-31"},
        ),
        (f"/beheer/semesters/{semester.id}/verwijderen", {}),
        (
            "/beheer/codeboek",
            {
                "key": "lud-p-nieuw",
                "family": "ludificering",
                "kind": "signaal",
                "label": "Nieuw",
                "description": "Iets.",
            },
        ),
        ("/beheer/codeboek/suc-s-succes", {"label": "X", "description": "Y."}),
        ("/beheer/codeboek/suc-s-succes/status", {"uitgezet": "ja"}),
        (
            "/beheer/school",
            {"name": "X", "aggregate_minimum": "3", "retention_years": "1", "phases": "a"},
        ),
    ]
    for path, data in forms:
        refused = post(client, path, None, data)
        assert refused.status_code == 403, path
        assert "Dit formulier is verlopen of niet van Coulisse afkomstig." in refused.text
        assert post(client, path, "niet-het-token", data).status_code == 403, path
    fresh(session)
    assert codebook.current_version(session, school.id).number == 1
    assert session.get(Team, team.id) is not None
    assert session.get(Semester, semester.id) is not None
    assert session.get(Person, teacher.id).active  # type: ignore[union-attr]
    assert people_names(session, school.id) == sorted([admin.name, teacher.name])


def people_names(session: Session, school_id: uuid.UUID) -> list[str]:
    return sorted(
        p.name
        for p in session.exec(
            select(Person).join(Membership).where(Membership.school_id == school_id)
        )
    )


# --- admin: people and invitations ---------------------------------------------------------------


def test_an_invitation_leads_from_the_admin_to_a_logged_in_colleague_once(
    session: Session, make_client: Any
) -> None:
    school, admin = school_with_admin(session)
    admin_client = browser(make_client)
    token = log_in(admin_client, admin)
    email = f"{unique('nieuw')}@school.example"
    result = post(
        admin_client,
        "/beheer/mensen",
        token,
        {
            "name": "Noor  van Dijk",
            "email": email.upper(),
            "roles": ["teacher", "development_group"],
        },
    )
    assert result.status_code == 200
    assert result.headers["cache-control"] == "no-store"
    link = re.search(r'value="(http[^"]+/uitnodiging/[^"]+)"', result.text)
    assert link, result.text
    path = invitation_path(link.group(1))

    newcomer = browser(make_client)
    form = newcomer.get(path)
    assert form.status_code == 200
    assert "Welkom, Noor van Dijk" in form.text and school.name in form.text
    form_token = login_cookie(newcomer, "/uitnodiging")
    assert (
        post(
            newcomer,
            path,
            "forged.token",
            {"password": "een-goed-wachtwoord", "password_again": "een-goed-wachtwoord"},
        ).status_code
        == 403
    )
    short = post(newcomer, path, form_token, {"password": "kort", "password_again": "kort"})
    assert short.status_code == 422 and "minstens 8 tekens" in short.text
    form_token = login_cookie(newcomer, "/uitnodiging")
    differ = post(
        newcomer,
        path,
        form_token,
        {"password": "een-goed-wachtwoord", "password_again": "een-ander-wachtwoord"},
    )
    assert differ.status_code == 422 and "niet gelijk" in differ.text
    form_token = login_cookie(newcomer, "/uitnodiging")
    done = post(
        newcomer,
        path,
        form_token,
        {"password": "een-goed-wachtwoord", "password_again": "een-goed-wachtwoord"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
    home = newcomer.get("/").text
    assert "Welkom, Noor van Dijk" in home and "Docent · Ontwikkelgroep" in home

    again = browser(make_client)
    used = again.get(path)
    assert used.status_code == 404
    assert "Deze uitnodiging is verlopen of al gebruikt." in used.text
    again.get("/inloggen")
    assert (
        post(
            again,
            path,
            login_cookie(again),
            {"password": "overgenomen-wachtwoord", "password_again": "overgenomen-wachtwoord"},
        ).status_code
        == 403
    )  # the login page's token is not the invitation's
    person = session.exec(select(Person).where(Person.email == email.lower())).one()
    assert auth.verify_password(person, "een-goed-wachtwoord")


def test_an_unknown_invitation_link_gives_a_clear_dutch_404_page(make_client: Any) -> None:
    page = browser(make_client).get("/uitnodiging/dit-bestaat-niet")
    assert page.status_code == 404
    assert "Deze uitnodiging is verlopen of al gebruikt. Vraag de schoolleiding" in page.text


def test_an_invitation_without_a_role_or_with_a_bad_address_keeps_the_input(
    session: Session, make_client: Any
) -> None:
    _school, admin = school_with_admin(session)
    client = browser(make_client)
    token = log_in(client, admin)
    email = f"{unique('zonder-rol')}@school.example"
    no_role = post(client, "/beheer/mensen", token, {"name": "Zonder Rol", "email": email})
    assert no_role.status_code == 422
    assert "Kies minstens één rol." in no_role.text
    assert 'value="Zonder Rol"' in no_role.text and f'value="{email}"' in no_role.text
    bad = post(
        client,
        "/beheer/mensen",
        token,
        {"name": "Fout Adres", "email": "geen-adres", "roles": "coach"},
    )
    assert bad.status_code == 422 and "is geen geldig e-mailadres" in bad.text
    assert 'value="coach" checked' in bad.text
    odd_role = post(
        client, "/beheer/mensen", token, {"name": "X", "email": email, "roles": "koning"}
    )
    assert odd_role.status_code == 422 and "Onbekende rol" in odd_role.text
    fresh(session)
    assert session.exec(select(Person).where(Person.email == email)).first() is None


def test_the_people_list_shows_roles_teams_status_and_open_invitations(
    session: Session, make_client: Any
) -> None:
    school, admin = school_with_admin(session)
    teacher = make_person(session, school, [Role.teacher, Role.coach], name=unique("Docent"))
    gone = make_person(session, school, [Role.teacher], name=unique("Weg"), active=False)
    team = make_team(session, school, [teacher])
    client = browser(make_client)
    token = log_in(client, admin)
    invited = post(
        client,
        "/beheer/mensen",
        token,
        {"name": "Nog Niet Binnen", "email": f"{unique('x')}@school.example", "roles": "teacher"},
    )
    assert invited.status_code == 200
    page = client.get("/beheer/mensen").text
    row = page.split(teacher.name, 1)[1].split("</tr>", 1)[0]
    assert "Coach, Docent" in row and team.name in row and "Actief" in row
    assert "Uitgezet" in page.split(gone.name, 1)[1].split("</tr>", 1)[0]
    pending = page.split("Nog Niet Binnen", 1)[1].split("</tr>", 1)[0]
    assert "Uitgenodigd" in pending and "link geldig tot" in pending


def test_an_admin_changes_roles_and_turns_an_account_off_and_on(
    session: Session, make_client: Any
) -> None:
    school, admin = school_with_admin(session)
    teacher = make_person(session, school, [Role.teacher])
    teacher_client = browser(make_client)
    log_in(teacher_client, teacher)
    client = browser(make_client)
    token = log_in(client, admin)

    roles = post(
        client,
        f"/beheer/mensen/{teacher.id}/rollen",
        token,
        {"roles": ["teacher", "development_group"]},
    )
    assert roles.status_code == 303
    assert "De rollen zijn opgeslagen." in client.get(roles.headers["location"]).text
    none = post(client, f"/beheer/mensen/{teacher.id}/rollen", token, {})
    assert none.status_code == 422 and "Kies minstens één rol." in none.text
    fresh(session)
    membership = session.exec(select(Membership).where(Membership.person_id == teacher.id)).one()
    assert membership.roles == [Role.teacher, Role.development_group]

    off = post(client, f"/beheer/mensen/{teacher.id}/actief", token, {"actief": "nee"})
    assert off.status_code == 303
    assert teacher_client.get("/", follow_redirects=False).headers["location"] == "/inloggen"
    assert "Account weer aanzetten" in client.get(f"/beheer/mensen/{teacher.id}").text
    on = post(client, f"/beheer/mensen/{teacher.id}/actief", token, {"actief": "ja"})
    assert on.status_code == 303
    fresh(session)
    assert session.get(Person, teacher.id).active  # type: ignore[union-attr]


def test_an_admin_cannot_turn_off_their_own_account(session: Session, make_client: Any) -> None:
    _school, admin = school_with_admin(session)
    client = browser(make_client)
    token = log_in(client, admin)
    page = post(client, f"/beheer/mensen/{admin.id}/actief", token, {"actief": "nee"})
    assert page.status_code == 422 and "Je kunt je eigen account niet uitzetten." in page.text
    assert client.get("/beheer").status_code == 200


def test_a_new_invitation_link_is_only_made_for_someone_without_a_password(
    session: Session, make_client: Any
) -> None:
    school, admin = school_with_admin(session)
    teacher = make_person(session, school, [Role.teacher])
    client = browser(make_client)
    token = log_in(client, admin)
    first = post(
        client,
        "/beheer/mensen",
        token,
        {"name": "Later", "roles": "teacher", "email": f"{unique('later')}@school.example"},
    )
    pending = session.exec(
        select(Person)
        .where(Person.name == "Later")
        .join(Membership)
        .where(Membership.school_id == school.id)
    ).one()
    old_link = re.search(r'value="(http[^"]+/uitnodiging/[^"]+)"', first.text)
    assert old_link
    again = post(client, f"/beheer/mensen/{pending.id}/uitnodiging", token)
    assert again.status_code == 200 and "Nieuwe uitnodigingslink voor Later" in again.text
    new_link = re.search(r'value="(http[^"]+/uitnodiging/[^"]+)"', again.text)
    assert new_link and new_link.group(1) != old_link.group(1)
    assert browser(make_client).get(invitation_path(new_link.group(1))).status_code == 200

    refused = post(client, f"/beheer/mensen/{teacher.id}/uitnodiging", token)
    assert refused.status_code == 422 and "kan gewoon inloggen" in refused.text
    fresh(session)
    assert session.exec(select(Invitation).where(Invitation.person_id == teacher.id)).all() == []


# --- admin: CSV import ---------------------------------------------------------------------------


def test_a_csv_import_with_bad_rows_reports_each_line_number_and_imports_nobody(
    session: Session, make_client: Any
) -> None:
    school, admin = school_with_admin(session)
    good = f"{unique('goed')}@school.example"
    text = (
        f"email,naam,rollen,teams\n"
        f"{good},Goede Regel,docent,\n"
        f"geen-adres,Foute Regel,docent,\n"
        f"{unique('b')}@school.example,Rol Onbekend,koning,\n"
        f"{unique('c')}@school.example,Team Onbekend,docent,Bestaat Niet\n"
    )
    client = browser(make_client)
    token = log_in(client, admin)
    page = post(client, "/beheer/mensen/import", token, {"text": text})
    assert page.status_code == 422
    assert "Er is niemand geïmporteerd" in page.text
    for line in ("Regel 3:", "Regel 4:", "Regel 5:"):
        assert line in page.text
    assert "Regel 2:" not in page.text
    assert "Goede Regel" in page.text  # the pasted text is kept to correct
    fresh(session)
    assert session.exec(select(Person).where(Person.email == good)).first() is None
    assert people_names(session, school.id) == [admin.name]


def test_a_csv_file_upload_invites_everyone_and_shows_their_links(
    session: Session, make_client: Any
) -> None:
    school, admin = school_with_admin(session)
    team = make_team(session, school)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["e-mail", "naam", "rollen", "teams"])
    emails = [f"{unique('csv')}@school.example" for _ in range(3)]
    writer.writerow([emails[0], "Anouk Jansen", "docent", team.name])
    writer.writerow([emails[1], "Mohamed El Amrani", "docent|ontwikkelgroep", ""])
    writer.writerow([emails[2], "Sanne de Wit", "coach", ""])
    client = browser(make_client)
    token = log_in(client, admin)
    page = client.post(
        "/beheer/mensen/import",
        data={"csrf_token": token},
        files={"file": ("mensen.csv", buffer.getvalue().encode("utf-8-sig"), "text/csv")},
        follow_redirects=False,
    )
    assert page.status_code == 200, page.text
    assert "3 personen geïmporteerd" in page.text
    assert len(re.findall(r'value="http[^"]+/uitnodiging/', page.text)) == 3
    fresh(session)
    assert people_names(session, school.id) == sorted(
        [admin.name, "Anouk Jansen", "Mohamed El Amrani", "Sanne de Wit"]
    )
    anouk = session.exec(select(Person).where(Person.email == emails[0])).one()
    assert session.get(TeamMember, (team.id, anouk.id)) is not None


def test_an_empty_import_asks_for_a_file_or_text(session: Session, make_client: Any) -> None:
    _school, admin = school_with_admin(session)
    client = browser(make_client)
    token = log_in(client, admin)
    page = post(client, "/beheer/mensen/import", token, {"text": "  "})
    assert page.status_code == 422 and "Kies een CSV-bestand of plak de regels" in page.text


# --- admin: teams --------------------------------------------------------------------------------


def test_an_admin_adds_renames_fills_and_deletes_a_team(session: Session, make_client: Any) -> None:
    school, admin = school_with_admin(session)
    a = make_person(session, school, [Role.teacher], name=unique("Lid"))
    b = make_person(session, school, [Role.teacher], name=unique("Lid"))
    stranger = make_person(session, make_school(session), [Role.teacher])
    client = browser(make_client)
    token = log_in(client, admin)
    name = unique("Onderbouw")
    added = post(client, "/beheer/teams", token, {"name": name})
    assert added.status_code == 303
    team = session.exec(select(Team).where(Team.school_id == school.id, Team.name == name)).one()
    team_id = team.id
    assert added.headers["location"].startswith(f"/beheer/teams/{team.id}")

    twice = post(client, "/beheer/teams", token, {"name": name})
    assert twice.status_code == 409 and f"Er is al een team ‘{name}’." in twice.text
    empty = post(client, "/beheer/teams", token, {"name": "   "})
    assert empty.status_code == 422 and "Geef het team een naam" in empty.text

    renamed = unique("Bovenbouw")
    assert post(client, f"/beheer/teams/{team.id}", token, {"name": renamed}).status_code == 303
    members = post(
        client, f"/beheer/teams/{team.id}/leden", token, {"members": [str(a.id), str(b.id)]}
    )
    assert members.status_code == 303
    page = client.get(f"/beheer/teams/{team.id}").text
    assert f'value="{a.id}" checked' in page and f'value="{b.id}" checked' in page
    listing = client.get("/beheer/teams").text
    assert renamed in listing and a.name in listing

    bad = post(client, f"/beheer/teams/{team.id}/leden", token, {"members": str(stranger.id)})
    assert bad.status_code == 422 and "Alleen mensen van deze school" in bad.text
    garbage = post(client, f"/beheer/teams/{team.id}/leden", token, {"members": "geen-id"})
    assert garbage.status_code == 422

    confirm = client.get(f"/beheer/teams/{team.id}/verwijderen")
    assert confirm.status_code == 200 and "verwijderen?" in confirm.text
    assert "De 2 leden blijven gewoon in de school" in confirm.text
    gone = post(client, f"/beheer/teams/{team.id}/verwijderen", token)
    assert gone.status_code == 303
    fresh(session)
    assert session.get(Team, team_id) is None
    assert {p.id for p, _m in people.people_of(session, school.id)} >= {a.id, b.id}


# --- admin: semesters ----------------------------------------------------------------------------


def test_an_admin_adds_edits_and_deletes_a_semester(session: Session, make_client: Any) -> None:
    school, admin = school_with_admin(session)
    client = browser(make_client)
    token = log_in(client, admin)
    added = post(
        client,
        "/beheer/semesters",
        token,
        {"name": "Zomerschool 2040", "starts_on": "2040-08-01", "ends_on": "2040-08-20"},
    )
    assert added.status_code == 303
    assert "Het semester is toegevoegd." in client.get(added.headers["location"]).text
    semester = session.exec(
        select(Semester).where(Semester.school_id == school.id, Semester.name == "Zomerschool 2040")
    ).one()
    edited = post(
        client,
        f"/beheer/semesters/{semester.id}",
        token,
        {"name": "Zomerschool", "starts_on": "2040-08-02", "ends_on": "2040-08-21"},
    )
    assert edited.status_code == 303
    assert "2 augustus 2040" in client.get("/beheer/semesters").text
    assert client.get(f"/beheer/semesters/{semester.id}/verwijderen").status_code == 200
    semester_id = semester.id
    assert post(client, f"/beheer/semesters/{semester_id}/verwijderen", token).status_code == 303
    fresh(session)
    assert session.get(Semester, semester_id) is None


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "message"),
    [
        ("1-8-2040", "2041-01-31", "De begindatum is geen geldige datum"),
        ("2040-08-01", "", "De einddatum is geen geldige datum"),
        ("2041-01-31", "2040-08-01", "Een semester eindigt na de begindatum."),
        ("2040-08-01", "2040-13-01", "De einddatum is geen geldige datum"),
    ],
)
def test_a_wrong_semester_shows_the_form_again_with_a_dutch_message(
    session: Session, make_client: Any, starts_on: str, ends_on: str, message: str
) -> None:
    _school, admin = school_with_admin(session)
    client = browser(make_client)
    token = log_in(client, admin)
    page = post(
        client,
        "/beheer/semesters",
        token,
        {"name": "Fout", "starts_on": starts_on, "ends_on": ends_on},
    )
    assert page.status_code == 422
    assert message in page.text
    assert 'value="Fout"' in page.text


def test_an_overlapping_semester_is_refused(session: Session, make_client: Any) -> None:
    school, admin = school_with_admin(session)
    existing = schools.semesters(session, school.id)[0]
    client = browser(make_client)
    token = log_in(client, admin)
    page = post(
        client,
        "/beheer/semesters",
        token,
        {
            "name": "Dubbel",
            "starts_on": existing.starts_on.isoformat(),
            "ends_on": existing.ends_on.isoformat(),
        },
    )
    assert page.status_code == 422 and f"overlapt met ‘{existing.name}’" in page.text


# --- admin: codebook -----------------------------------------------------------------------------


def test_codebook_changes_make_new_versions_and_old_moments_keep_their_label(
    session: Session, make_client: Any
) -> None:
    school, admin = school_with_admin(session)
    coach = make_person(session, school, [Role.coach])
    teacher = make_person(session, school, [Role.teacher])
    obs = make_observation(session, school, coach, teacher)
    make_moment(session, obs, code="lud-s-chillen")
    client = browser(make_client)
    token = log_in(client, admin)
    page = client.get("/beheer/codeboek").text
    assert "versie 1" in page and "Ludificering" in page and "--c: #7B3294" in page
    assert "Improductieve reflex" in page and "Productieve reflex" in page

    added = post(
        client,
        "/beheer/codeboek",
        token,
        {
            "key": "lud-p-eigen-ritueel",
            "family": "ludificering",
            "kind": "productieve-reflex",
            "label": "Eigen ritueel",
            "description": "De klas begint met een vast, luchtig ritueel.",
        },
    )
    assert added.status_code == 303
    renamed = post(
        client,
        "/beheer/codeboek/lud-s-chillen",
        token,
        {"label": "Chillen neemt het over", "description": "De les wordt een speelplaats."},
    )
    assert renamed.status_code == 303
    retired = post(client, "/beheer/codeboek/lud-s-chillen/status", token, {"uitgezet": "ja"})
    assert retired.status_code == 303

    fresh(session)
    assert codebook.current_version(session, school.id).number == 4
    page = client.get("/beheer/codeboek").text
    assert "versie 4" in page and "Eigen ritueel" in page and "uitgezet" in page
    for note in (
        "Code ‘Eigen ritueel’ toegevoegd",
        "Code ‘Chillen neemt het over’ aangepast",
        "Code ‘lud-s-chillen’ uitgezet",
        "Standaard TS-kijkwijzer",
    ):
        assert note in page, note
    # The old moment, recorded under version 1, reads with the code's newest label.
    client_coach = browser(make_client)
    log_in(client_coach, coach)
    assert "Chillen neemt het over" in client_coach.get(f"/observaties/{obs.id}").text

    restored = post(client, "/beheer/codeboek/lud-s-chillen/status", token, {"uitgezet": "nee"})
    assert restored.status_code == 303
    fresh(session)
    current = codebook.codes_of(session, codebook.current_version(session, school.id).id)
    assert not next(c for c in current if c.key == "lud-s-chillen").retired


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"key": "Met Spaties", "label": "X", "description": "Iets."}, "Een sleutel bestaat uit"),
        ({"key": "lud-s-chillen", "label": "X", "description": "Iets."}, "al in gebruik"),
        ({"key": "lud-p-leeg", "label": "", "description": "Iets."}, "Vul het label in."),
        (
            {"key": "lud-p-familie", "label": "X", "description": "Iets.", "family": "onbekend"},
            "Onbekende familie",
        ),
        (
            {"key": "lud-p-soort", "label": "X", "description": "Iets.", "kind": "oordeel"},
            "Onbekende soort",
        ),
    ],
)
def test_a_wrong_new_code_shows_the_form_again_and_keeps_the_version(
    session: Session, make_client: Any, data: dict[str, str], message: str
) -> None:
    school, admin = school_with_admin(session)
    client = browser(make_client)
    token = log_in(client, admin)
    form = {"family": "ludificering", "kind": "signaal", **data}
    page = post(client, "/beheer/codeboek", token, form)
    assert page.status_code == 422, page.text
    assert message in page.text
    assert f'value="{data["key"]}"' in page.text
    fresh(session)
    assert codebook.current_version(session, school.id).number == 1


def test_editing_a_code_that_does_not_exist_gives_a_404_page(
    session: Session, make_client: Any
) -> None:
    _school, admin = school_with_admin(session)
    client = browser(make_client)
    token = log_in(client, admin)
    assert client.get("/beheer/codeboek/bestaat-niet").status_code == 404
    assert (
        post(
            client, "/beheer/codeboek/bestaat-niet", token, {"label": "X", "description": "Y."}
        ).status_code
        == 404
    )
    empty = post(client, "/beheer/codeboek/suc-s-succes", token, {"label": "", "description": "Y."})
    assert empty.status_code == 422 and "Vul het label in." in empty.text


# --- admin: the school ---------------------------------------------------------------------------


def test_an_admin_changes_the_school_settings(session: Session, make_client: Any) -> None:
    school, admin = school_with_admin(session)
    client = browser(make_client)
    token = log_in(client, admin)
    page = client.get("/beheer/school").text
    assert "cellen met minder geobserveerde docenten worden verborgen" in page.lower()
    saved = post(
        client,
        "/beheer/school",
        token,
        {
            "name": "  Het  Nieuwe Lyceum ",
            "aggregate_minimum": "7",
            "retention_years": "3",
            "phases": "Start\n\n instructie \nSamen werken\nAfsluiting\n",
        },
    )
    assert saved.status_code == 303
    fresh(session)
    stored = session.get(School, school.id)
    assert stored is not None
    assert (stored.name, stored.aggregate_minimum, stored.retention_years) == (
        "Het Nieuwe Lyceum",
        7,
        3,
    )
    assert stored.phases == ["Start", "instructie", "Samen werken", "Afsluiting"]
    assert "Het Nieuwe Lyceum" in client.get("/").text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("aggregate_minimum", "2", "ligt tussen 3 en 50"),
        ("aggregate_minimum", "vijf", "moet een geheel getal zijn"),
        ("retention_years", "0", "De bewaartermijn ligt tussen 1 en 10"),
        ("name", "  ", "Geef de school een naam."),
        ("phases", "\n \n", "Geef minstens één lesfase op."),
        ("phases", "start\nStart", "staat er twee keer in"),
    ],
)
def test_wrong_school_settings_show_the_form_again_with_a_dutch_message(
    session: Session, make_client: Any, field: str, value: str, message: str
) -> None:
    school, admin = school_with_admin(session)
    client = browser(make_client)
    token = log_in(client, admin)
    form = {
        "name": "Ander Lyceum",
        "aggregate_minimum": "5",
        "retention_years": "2",
        "phases": "start\neind",
        field: value,
    }
    page = post(client, "/beheer/school", token, form)
    assert page.status_code == 422
    assert message in page.text
    if field != "name":
        assert 'value="Ander Lyceum"' in page.text
    fresh(session)
    stored = session.get(School, school.id)
    assert stored is not None and stored.name == school.name and stored.aggregate_minimum == 5


# --- errors --------------------------------------------------------------------------------------


def test_an_unknown_page_is_a_calm_dutch_404_with_a_way_back(
    session: Session, make_client: Any
) -> None:
    client = browser(make_client)
    anonymous = client.get("/bestaat-niet")
    assert anonymous.status_code == 404
    assert "Deze pagina bestaat niet." in anonymous.text
    assert '<a class="button" href="/">Naar de startpagina</a>' in anonymous.text
    log_in(client, make_person(session, make_school(session)))
    assert client.get("/bestaat-niet").status_code == 404


def test_pages_print_without_navigation_or_buttons() -> None:
    from app.settings import ROOT

    css = (ROOT / "web" / "css" / "coulisse.css").read_text()
    printing = css.split("@media print", 1)[1]
    for hidden in (".mainnav", ".subnav", ".account", "form", "button", ".button"):
        assert hidden in printing


ODD_VALUES = [
    "",
    " ",
    "x" * 5000,
    "’‘“”ëï — ✓ 😀",
    "<script>alert(1)</script>",
    "-1",
    "99999999999999999999",
    "1e3",
    "2026-02-30",
    "null",
]


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_input_in_any_admin_form_gives_a_page_never_a_server_error(
    session: Session, make_client: Any, value: str
) -> None:
    school, admin = school_with_admin(session)
    teacher = make_person(session, school, [Role.teacher])
    team = make_team(session, school)
    semester = schools.semesters(session, school.id)[0]
    client = browser(make_client)
    token = log_in(client, admin)
    forms: list[tuple[str, dict[str, Any]]] = [
        ("/beheer/mensen", {"name": value, "email": value, "roles": value}),
        ("/beheer/mensen/import", {"text": f"email,naam,rollen\n{value},{value},{value}"}),
        (f"/beheer/mensen/{teacher.id}/rollen", {"roles": value}),
        (f"/beheer/mensen/{teacher.id}/actief", {"actief": value}),
        ("/beheer/teams", {"name": value}),
        (f"/beheer/teams/{team.id}", {"name": value}),
        (f"/beheer/teams/{team.id}/leden", {"members": value}),
        ("/beheer/semesters", {"name": value, "starts_on": value, "ends_on": value}),
        (f"/beheer/semesters/{semester.id}", {"name": value, "starts_on": value, "ends_on": value}),
        (
            "/beheer/codeboek",
            {"key": value, "family": value, "kind": value, "label": value, "description": value},
        ),
        ("/beheer/codeboek/suc-s-succes", {"label": value, "description": value}),
        ("/beheer/codeboek/suc-s-succes/status", {"uitgezet": value}),
        (
            "/beheer/school",
            {"name": value, "aggregate_minimum": value, "retention_years": value, "phases": value},
        ),
        ("/school", {"school_id": value}),
    ]
    for path, data in forms:
        response = post(client, path, token, data)
        assert response.status_code < 500, (path, response.text[:500])
        if response.status_code >= 400:
            assert '<html lang="nl">' in response.text, path
            assert "<script>alert(1)</script>" not in response.text, path
    assert client.get("/beheer/mensen").status_code == 200
