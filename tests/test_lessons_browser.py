"""The observed teacher's side in a real browser (Debian Chromium, live uvicorn).

A coach records a lesson on the tablet and it syncs; the observed teacher finds it under "Mijn
lessen", reads the timeline (and filters it), writes a reflection, talks with the coach about
one moment, shares the lesson with a colleague who can then read it, and revokes the share,
after which the colleague cannot. With ``COULISSE_SCREENSHOTS=1`` the screens are saved to
``docs/screenshots/lessons-*.png`` and ``lesson-*.png`` at both tablet sizes.
"""

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, select

from app.models import Comment, Observation, Person, Reflection, Role, School, Share
from tests import factories
from tests.test_recorder_browser import code_button, end_lesson, open_recorder, start_lesson
from tests.test_screens import _check

pytestmark = pytest.mark.browser

SIZES = [(1024, 768), (768, 1024)]
TAPS = [
    "lud-s-onrust-overgangen",
    "lud-p-spelgevoel-gezag",
    "suc-s-succes",
    "suc-p-aanmoediging",
    "suc-s-succes",
    "ver-p-wachttijd-doorvragen",
    "bel-s-gezien-erkend",
    "ver-u-ongelijke-beurten",
]


@pytest.fixture
def tablet(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    yield context
    context.close()


def people_of_a_lesson(session: Session) -> tuple[School, Person, Person, Person]:
    school = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach], name="Sanne de Wit")
    teacher = factories.make_person(session, school, [Role.teacher], name="Youssef Amrani")
    colleague = factories.make_person(session, school, [Role.teacher], name="Lotte Visser")
    return school, coach, teacher, colleague


def record_and_sync(
    tablet: BrowserContext, live_server: str, coach: Person, teacher: Person
) -> None:
    """The coach codes a short lesson on the tablet, with a note, and hands it to the teacher."""
    page = open_recorder(tablet, live_server, coach)
    page.fill("#group", "2B havo")
    page.fill("#subject", "Engels")
    start_lesson(page, teacher)
    for i, code in enumerate(TAPS):
        code_button(page, code).tap()
        if i == 2:
            page.fill("#note", "Leerling legt de regel uit aan de klas.")
            page.tap("[data-action=save-note]")
    end_lesson(page)
    page.fill("#summary", "Sterke start; in de verwerking haakten twee groepjes af.")
    page.tap("[data-action=save-summary]")
    page.tap("[data-action=ready]")
    expect(page.locator("#status [data-status=synced]")).to_be_visible(timeout=30000)


def page_as(browser: Browser, live_server: str, person: Person, size: tuple[int, int]) -> Page:
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, has_touch=True, locale="nl-NL"
    )
    page = context.new_page()
    factories.log_in_page(page, live_server, person)
    return page


def test_the_teacher_reads_reflects_talks_shares_and_revokes(
    session: Session, browser: Browser, live_server: str, tablet: BrowserContext
) -> None:
    _school, coach, teacher, colleague = people_of_a_lesson(session)
    record_and_sync(tablet, live_server, coach, teacher)
    session.commit()
    obs = session.exec(
        select(Observation).where(Observation.observed_teacher_id == teacher.id)
    ).one()
    url = f"{live_server}/observaties/{obs.id}"

    # The teacher finds the synced lesson under "Mijn lessen".
    page = page_as(browser, live_server, teacher, SIZES[0])
    page.get_by_role("navigation").get_by_role("link", name="Mijn lessen").click()
    expect(page.get_by_role("heading", name="Mijn lessen", level=1)).to_be_visible()
    lesson = page.get_by_role("link", name=re.compile("2B havo · Engels"))
    expect(lesson).to_contain_text("Geobserveerd door Sanne de Wit")
    expect(lesson).to_contain_text("8 momenten")
    expect(lesson).to_contain_text("Nog geen reflectie")
    lesson.click()
    page.wait_for_url(url)

    # The timeline: one mark per moment, in the lane of its kind; counts per family and kind.
    strip = page.get_by_role("group", name="Tijdlijn van de les")
    expect(strip.locator(".mark")).to_have_count(len(TAPS))
    expect(strip.locator(".lane").nth(0).locator(".mark")).to_have_count(4)  # signals
    counts = page.locator("table.counts")
    # Succeservaringen: two signals (suc-s-succes twice), one productive reflex, none unproductive.
    expect(counts.locator("tr", has_text="Succeservaringen").locator("td")).to_have_text(
        ["2", "1", "0", "3"]
    )
    expect(counts.locator("tr.total")).to_contain_text(str(len(TAPS)))
    expect(page.get_by_text("Leerling legt de regel uit aan de klas.")).to_be_visible()
    expect(page.get_by_text("Sterke start; in de verwerking")).to_be_visible()

    # Filter on one family, then on one code; the marks and the list follow.
    page.select_option("#filter-familie", "succeservaringen")
    page.get_by_role("button", name="Toon").click()
    expect(strip.locator(".mark")).to_have_count(3)
    expect(page.locator("#momenten .moment")).to_have_count(3)
    page.select_option("#filter-code", "suc-s-succes")
    page.get_by_role("button", name="Toon").click()
    expect(strip.locator(".mark")).to_have_count(2)
    expect(page.get_by_text("2 van de 8 momenten getoond.")).to_be_visible()
    page.get_by_role("link", name="Alles tonen").click()
    expect(strip.locator(".mark")).to_have_count(len(TAPS))

    # A mark leads to its moment; the teacher asks the coach about it.
    strip.locator(".mark").first.click()
    page.get_by_role("link", name="Reageer op dit moment").first.click()
    page.get_by_label("Je reactie").fill("Die onrust bij de overgang: zag je waar die begon?")
    page.get_by_role("button", name="Plaatsen").click()
    expect(page.get_by_text("Je reactie is geplaatst.")).to_be_visible()
    remark = page.locator(".thread .remark").first
    expect(remark).to_contain_text("Bij 00:0")
    expect(remark).to_contain_text("Onrust bij overgangen")

    # The reflection, guided by the seed's questions.
    page.get_by_label("Welk mechanisme was dominant in deze les, en waarom?").fill(
        "Ludificering bij de overgangen: de groep zocht elkaar op."
    )
    page.get_by_label("Welke gedragingen waren voor ons groen, oranje en rood, en waarom?").fill(
        "Groen: de grap over de toets. Oranje: het wachten bij de deur."
    )
    page.get_by_label("Wat neem ik mee naar een volgende les?").fill(
        "De overgang naar de verwerking in één zin aankondigen."
    )
    page.get_by_role("button", name="Reflectie bewaren").click()
    expect(page.get_by_text("Je reflectie is bewaard.")).to_be_visible()
    expect(page.get_by_label("Wat neem ik mee naar een volgende les?")).to_have_value(
        "De overgang naar de verwerking in één zin aankondigen."
    )

    # Share with a colleague, who can then read the lesson with its reflection.
    page.select_option("#person_id", label="Lotte Visser")
    page.get_by_role("button", name="Delen", exact=True).click()
    expect(page.get_by_text("De observatie is gedeeld.")).to_be_visible()
    other = page_as(browser, live_server, colleague, SIZES[0])
    expect(other.get_by_role("region", name="Met mij gedeeld")).to_contain_text("2B havo")
    other.goto(url)
    expect(other.get_by_text("Ludificering bij de overgangen")).to_be_visible()
    expect(other.get_by_text("Die onrust bij de overgang")).to_be_visible()
    expect(other.get_by_role("button", name="Reflectie bewaren")).to_have_count(0)
    expect(other.get_by_role("button", name="Plaatsen")).to_have_count(0)

    # The teacher sees that the colleague opened it, then revokes the share.
    page.reload()
    expect(page.get_by_role("region", name="Wie opende deze observatie?")).to_contain_text(
        "Lotte Visser"
    )
    page.get_by_role("region", name="Jij beslist").get_by_role("button", name="Intrekken").click()
    expect(page.get_by_text("Het delen is ingetrokken")).to_be_visible()
    response = other.goto(url)
    assert response is not None and response.status == 404
    other.goto(f"{live_server}/")
    expect(other.get_by_role("region", name="Met mij gedeeld")).not_to_contain_text("2B havo")

    session.commit()
    stored = session.exec(select(Reflection).where(Reflection.observation_id == obs.id)).one()
    assert stored.next_step == "De overgang naar de verwerking in één zin aankondigen."
    share = session.exec(select(Share).where(Share.observation_id == obs.id)).one()
    assert share.person_id == colleague.id and share.revoked_at is not None
    said = session.exec(select(Comment).where(Comment.observation_id == obs.id)).one()
    assert said.author_id == teacher.id and said.moment_id is not None
    other.context.close()
    page.context.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_lesson_screens_fit_a_tablet(
    session: Session, browser: Browser, live_server: str, size: tuple[int, int]
) -> None:
    """Mijn lessen and the lesson page with a timeline, a reflection and a conversation."""
    school, coach, teacher, _colleague = people_of_a_lesson(session)
    obs = factories.make_observation(
        session, school, coach, teacher, summary="Sterke start met een persoonlijke vraag."
    )
    obs.group_label, obs.subject = "2B havo", "Engels"
    session.add(obs)
    session.commit()
    for i, code in enumerate(TAPS * 3):
        factories.make_moment(
            session,
            obs,
            code=code,
            offset_ms=60_000 + i * 95_000,
            note="Leerling legt de regel uit aan de klas." if i == 2 else "",
        )
    session.add(
        Reflection(
            id=uuid.uuid4(),
            observation_id=obs.id,
            author_id=teacher.id,
            dominant_mechanism="Ludificering bij de overgangen.",
            zones="Groen: de grap over de toets. Oranje: het wachten bij de deur.",
            next_step="De overgang in één zin aankondigen.",
        )
    )
    session.commit()
    page = page_as(browser, live_server, teacher, size)
    page.goto(f"{live_server}/lessen")
    _check(page, "lessons", *size)
    page.goto(f"{live_server}/observaties/{obs.id}")
    page.get_by_label("Je reactie").fill("Zag je waar de onrust begon?")
    page.get_by_role("button", name="Plaatsen").click()
    expect(page.get_by_text("Je reactie is geplaatst.")).to_be_visible()
    _check(page, "lesson-teacher", *size)
    page.goto(f"{live_server}/observaties/{obs.id}?familie=succeservaringen#tijdlijn")
    _check(page, "lesson-filtered", *size)
    page.context.close()
