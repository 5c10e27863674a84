"""The pages in a real browser: Debian's Chromium through Playwright (the ``browser`` fixture),
against a live uvicorn on loopback and the test database (the ``live_server`` fixture).

At the two tablet sizes every page must fit without sideways scrolling, and every button or link
in a form must be a comfortable touch target. With ``COULISSE_SCREENSHOTS=1`` the pages are
saved to ``docs/screenshots/<name>-<width>x<height>.png`` (otherwise nothing is written).
"""

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlmodel import Session

from app import db, people, schools
from app.models import Observation, Person, Role, School, Share, Team, TeamMember
from tests.factories import (
    PASSWORD,
    add_membership,
    make_moment,
    make_observation,
    make_person,
)

pytestmark = pytest.mark.browser

SIZES = [(1024, 768), (768, 1024)]
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
MIN_TOUCH = 44


@dataclass
class Scene:
    admin: Person
    coach: Person
    teacher: Person
    pending: Person
    observation_id: uuid.UUID
    team_id: uuid.UUID
    semester_id: uuid.UUID
    invitation_link: str
    joiner: Person
    join_link: str


def _lesson(
    session: Session,
    school: School,
    observer: Person,
    teacher: Person,
    group: str,
    subject: str,
    **fields: Any,
) -> Observation:
    obs = make_observation(session, school, observer, teacher, **fields)
    obs.group_label, obs.subject = group, subject
    session.add(obs)
    session.commit()
    return obs


def _person(session: Session, school: School, name: str, roles: list[Role]) -> Person:
    local = name.lower().replace(" ", ".")
    return make_person(
        session,
        school,
        roles,
        name=name,
        email=f"{local}.{uuid.uuid4().hex[:6]}@montessori-oost.nl",
    )


@pytest.fixture(scope="module")
def scene(live_server: str) -> Scene:
    """A believable school: people in two teams, a pending invitation, observed lessons."""
    with db.new_session(write=True) as session:
        school = schools.create_school(
            session, name="Montessori College Oost", slug=f"mco-{uuid.uuid4().hex[:8]}"
        )
        session.commit()
        admin = _person(session, school, "Marieke Bos", [Role.admin, Role.teacher])
        coach = _person(session, school, "Sanne de Wit", [Role.coach])
        teacher = _person(session, school, "Youssef Amrani", [Role.teacher, Role.development_group])
        colleagues = [
            _person(session, school, n, [Role.teacher])
            for n in (
                "Lotte Visser",
                "Daan Mulder",
                "Priya Ramdin",
                "Bram van der Linden-Hoogendoorn",
            )
        ]
        invited = people.invite(
            session,
            school_id=school.id,
            name="Kees Jansen",
            email=f"kees.jansen.{uuid.uuid4().hex[:6]}@montessori-oost.nl",
            roles=[Role.teacher],
            by=admin.id,
        )
        assert invited.link is not None
        other = schools.create_school(
            session, name="Het Baken", slug=f"baken-{uuid.uuid4().hex[:8]}"
        )
        session.commit()
        add_membership(session, other, coach, [Role.coach])
        joiner = make_person(
            session,
            other,
            [Role.coach],
            name="Ilse Bakker",
            email=f"ilse.bakker.{uuid.uuid4().hex[:6]}@hetbaken.nl",
        )
        joining = people.invite(
            session,
            school_id=school.id,
            name="Ilse Bakker (coach)",
            email=joiner.email,
            roles=[Role.coach],
            by=admin.id,
        )
        assert joining.joins and joining.link is not None

        onderbouw = Team(school_id=school.id, name="Onderbouw")
        bovenbouw = Team(school_id=school.id, name="Bovenbouw havo/vwo")
        session.add_all([onderbouw, bovenbouw])
        session.flush()
        for p in (teacher, colleagues[0], colleagues[1], admin):
            session.add(TeamMember(team_id=onderbouw.id, person_id=p.id))
        for p in (colleagues[2], colleagues[3]):
            session.add(TeamMember(team_id=bovenbouw.id, person_id=p.id))
        session.commit()

        start = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
        obs = _lesson(
            session,
            school,
            coach,
            teacher,
            "2B havo",
            "Engels",
            started_at=start,
            ended_at=start + timedelta(minutes=50),
            status="ended",
            summary="Sterke start met een persoonlijke vraag aan de klas. In de verwerking "
            "haakten twee groepjes af; na de uitleg aan het bord kwamen ze terug.",
        )
        moments = [
            ("lud-s-chillen", 95_000, "start", "oranje", "Achterin wordt een filmpje gedeeld."),
            (
                "suc-s-succes",
                610_000,
                "instructie",
                "groen",
                "Leerling legt de regel in eigen woorden uit aan de klas.",
            ),
            (
                "ver-p-wachttijd-doorvragen",
                780_000,
                "instructie",
                None,
                "Wacht rustig tot ook de stille leerlingen een antwoord hebben.",
            ),
            ("suc-s-lesstof-ontwijken", 1_420_000, "verwerking", "rood", ""),
            ("bel-s-gezien-erkend", 1_980_000, "verwerking", "groen", ""),
            ("suc-s-succes", 2_150_000, "verwerking", None, "Groepje bij het raam is klaar."),
        ]
        for code, offset, phase, zone, note in moments:
            make_moment(
                session, obs, code=code, offset_ms=offset, phase=phase, zone=zone, note=note
            )
        for i, colleague in enumerate(colleagues[:2]):
            _lesson(
                session,
                school,
                coach,
                colleague,
                "1A mavo",
                "Wiskunde",
                started_at=start - timedelta(days=i + 2),
                status="ready",
            )
        peer = _lesson(
            session,
            school,
            teacher,
            admin,
            "3C vwo",
            "Geschiedenis",
            started_at=start - timedelta(days=6),
            status="ready",
        )
        session.add(Share(observation_id=peer.id, person_id=coach.id, created_by_id=admin.id))
        session.commit()
        semester = schools.semesters(session, school.id)[0]
        return Scene(
            admin=admin,
            coach=coach,
            teacher=teacher,
            pending=session.get_one(Person, invited.person_id),
            observation_id=obs.id,
            team_id=onderbouw.id,
            semester_id=semester.id,
            invitation_link=invited.link,
            joiner=joiner,
            join_link=joining.link,
        )


def _check(page: Page, name: str, width: int, height: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} at {width}x{height} scrolls sideways by {overflow}px"
    small = page.evaluate(
        """(min) => [...document.querySelectorAll(
              'form button, form a, form input[type=submit], a.button, button, nav a, ' +
              '.strong-link, a.obs, .back a, .link-grid a, .jump a, label.check')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.textContent.trim() || e.getAttribute('aria-label'),
                       e.getBoundingClientRect().height])
            .filter(([, h]) => h < min)""",
        MIN_TOUCH,
    )
    assert small == [], f"{name} at {width}x{height}: touch targets under {MIN_TOUCH}px: {small}"
    if os.environ.get("COULISSE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{width}x{height}.png"), full_page=True)


def _log_in(
    browser: Browser, base: str, person: Person, width: int, height: int
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="nl-NL")
    page = context.new_page()
    page.goto(f"{base}/inloggen")
    page.get_by_label("E-mailadres").fill(person.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}/")
    return context, page


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_login_page_fits_a_tablet(
    browser: Browser, live_server: str, scene: Scene, width: int, height: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{live_server}/inloggen")
    assert page.get_by_role("heading", name="Coulisse").is_visible()
    _check(page, "login", width, height)
    page.goto(f"{live_server}/pagina-die-niet-bestaat")
    _check(page, "error-404", width, height)
    page.goto(live_server + "/uitnodiging/" + scene.invitation_link.rsplit("/uitnodiging/", 1)[1])
    assert page.get_by_role("heading", name="Welkom, Kees Jansen").is_visible()
    _check(page, "invitation", width, height)
    context.close()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_each_role_sees_a_home_page_that_fits_a_tablet(
    browser: Browser, live_server: str, scene: Scene, width: int, height: int
) -> None:
    for role, person in (
        ("coach", scene.coach),
        ("teacher", scene.teacher),
        ("admin", scene.admin),
    ):
        context, page = _log_in(browser, live_server, person, width, height)
        assert page.get_by_role("heading", name=f"Welkom, {person.name}").is_visible()
        _check(page, f"home-{role}", width, height)
        if role == "coach":
            page.get_by_role("link", name="2B havo").first.click()
            page.wait_for_url(f"{live_server}/observaties/{scene.observation_id}")
            assert page.get_by_text("Leerling legt de regel in eigen woorden uit").is_visible()
            _check(page, "observation", width, height)
            page.emulate_media(media="print")
            assert not page.get_by_role("button", name="Uitloggen").is_visible()
            assert not page.get_by_role("navigation").first.is_visible()
            assert page.get_by_text("Samenvatting van de observator").is_visible()
            if os.environ.get("COULISSE_SCREENSHOTS") == "1":
                page.screenshot(
                    path=str(SHOTS / f"observation-print-{width}x{height}.png"), full_page=True
                )
        if role == "teacher":  # the observed teacher, after the coach opened the lesson
            page.goto(f"{live_server}/observaties/{scene.observation_id}")
            log = page.get_by_role("region", name="Wie opende deze observatie?")
            assert log.get_by_text(scene.coach.name).is_visible()
            _check(page, "observation-teacher", width, height)
        context.close()


ADMIN_PAGES = [
    ("admin-overview", "/beheer", "Beheer van Montessori College Oost"),
    ("admin-people", "/beheer/mensen", "Mensen"),
    ("admin-import", "/beheer/mensen/import", "Mensen importeren"),
    ("admin-teams", "/beheer/teams", "Teams"),
    ("admin-semesters", "/beheer/semesters", "Semesters"),
    ("admin-codebook", "/beheer/codeboek", "Codeboek"),
    ("admin-code", "/beheer/codeboek/suc-s-succes", None),
    ("admin-school", "/beheer/school", "Instellingen van de school"),
]


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_admin_page_fits_a_tablet(
    browser: Browser, live_server: str, scene: Scene, width: int, height: int
) -> None:
    context, page = _log_in(browser, live_server, scene.admin, width, height)
    pages = [
        *ADMIN_PAGES,
        ("admin-person", f"/beheer/mensen/{scene.pending.id}", "Kees Jansen"),
        ("admin-team", f"/beheer/teams/{scene.team_id}", "Team Onderbouw"),
        ("admin-semester", f"/beheer/semesters/{scene.semester_id}", None),
    ]
    for name, path, heading in pages:
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status == 200, path
        if heading:
            assert page.get_by_role("heading", name=heading, exact=True).first.is_visible()
        _check(page, name, width, height)
    context.close()


def test_an_admin_invites_someone_and_sees_the_link_in_the_browser(
    browser: Browser, live_server: str, scene: Scene
) -> None:
    context, page = _log_in(browser, live_server, scene.admin, 1024, 768)
    page.goto(f"{live_server}/beheer/mensen")
    page.get_by_label("Naam", exact=True).fill("Fatima el Idrissi")
    page.get_by_label("E-mailadres").fill(f"fatima.{uuid.uuid4().hex[:6]}@montessori-oost.nl")
    page.get_by_label("Coach").check()
    page.get_by_role("button", name="Uitnodiging maken").click()
    link = page.get_by_label("Uitnodigingslink (selecteer en kopieer)").input_value()
    assert "/uitnodiging/" in link
    _check(page, "admin-invited", 1024, 768)
    context.close()


def test_a_pasted_import_with_a_bad_row_names_its_line_in_the_browser(
    browser: Browser, live_server: str, scene: Scene
) -> None:
    # The browser sends the empty file field along with the pasted text (multipart).
    context, page = _log_in(browser, live_server, scene.admin, 768, 1024)
    page.goto(f"{live_server}/beheer/mensen/import")
    page.get_by_label("Of plak de regels hier").fill(
        "email,naam,rollen\n"
        f"{uuid.uuid4().hex[:8]}@montessori-oost.nl,Goed,docent\n"
        "geen-adres,Fout,docent\n"
    )
    page.get_by_role("button", name="Controleren en importeren").click()
    alert = page.get_by_role("alert")
    assert "Regel 3:" in alert.inner_text()
    assert "Er is niemand geïmporteerd" in alert.inner_text()
    _check(page, "admin-import-errors", 768, 1024)
    context.close()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_my_account_and_joining_another_school_fit_a_tablet(
    browser: Browser, live_server: str, scene: Scene, width: int, height: int
) -> None:
    join_path = "/uitnodiging/" + scene.join_link.rsplit("/uitnodiging/", 1)[1]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(live_server + join_path)
    assert page.get_by_role("heading", name="Uitnodiging van Montessori College Oost").is_visible()
    assert not page.get_by_label("Nieuw wachtwoord").count()
    _check(page, "invitation-join", width, height)
    context.close()

    context, page = _log_in(browser, live_server, scene.joiner, width, height)
    page.goto(live_server + join_path)
    assert page.get_by_role(
        "button", name="Accepteren en meedoen met Montessori College Oost"
    ).is_visible()
    _check(page, "invitation-join-logged-in", width, height)
    page.goto(f"{live_server}/mijn-account")
    assert page.get_by_role("heading", name="Wachtwoord wijzigen").is_visible()
    assert page.get_by_text("dit apparaat").is_visible()
    _check(page, "account", width, height)
    context.close()
