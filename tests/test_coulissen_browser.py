"""The coulissen-ruimte in a real browser, on the demo school, as its development group:
the dashboard, a team view, the session pack on screen and printed (one A4 page), and the
projector view. No teacher's name may appear on any of them. With ``COULISSE_SCREENSHOTS=1``
the screens are saved to ``docs/screenshots/coulissen-*.png``, ``sessiepakket-*.png`` and
``projectie-*.png``."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, select

from app import demo
from app.models import Membership, Person, School
from tests.test_screens import _check

pytestmark = pytest.mark.browser

SIZES = [(1024, 768), (768, 1024)]
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(scope="module")
def demo_school(migrated: None) -> None:
    demo.build()


def teacher_names(session: Session) -> list[str]:
    school = session.exec(select(School).where(School.slug == demo.SLUG)).one()
    return list(
        session.exec(
            select(Person.name)
            .join(Membership, col(Membership.person_id) == Person.id)
            .where(Membership.school_id == school.id, col(Membership.is_teacher))
        )
    )


def log_in(browser: Browser, base: str, size: tuple[int, int]) -> Page:
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, has_touch=True, locale="nl-NL"
    )
    page = context.new_page()
    page.goto(f"{base}/inloggen")
    page.get_by_label("E-mailadres").fill("ontwikkelgroep@demo.example")
    page.get_by_label("Wachtwoord").fill("demo")
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(f"{base}/")
    return page


def assert_nothing_cut_off(page: Page) -> None:
    """No table needs a sideways scroll of its own, and no chart is wider than its card."""
    cut = page.evaluate(
        """() => [...document.querySelectorAll('.table-wrap, figure')]
            .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
            .map(e => (e.querySelector('caption, figcaption, th')?.textContent || e.className)
                 .trim().slice(0, 60))"""
    )
    assert cut == [], f"cut off on {page.url}: {cut}"


def assert_no_names(page: Page, names: list[str]) -> None:
    text = page.locator("main").inner_text()
    named = [n for n in names if n in text]
    assert named == [], f"teacher names on {page.url}: {named}"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_development_group_reads_the_patterns_and_prints_the_session_pack(
    demo_school: None, session: Session, live_server: str, browser: Browser, size: tuple[int, int]
) -> None:
    names = teacher_names(session)
    assert len(names) >= 10
    page = log_in(browser, live_server, size)
    width, height = size

    page.get_by_role("navigation").get_by_role("link", name="Coulissen-ruimte").click()
    expect(page.get_by_role("heading", name="De coulissen-ruimte", level=1)).to_be_visible()
    expect(page.locator(".lead")).to_contain_text("Hele school")
    for chart in (
        "Momenten per lesuur per familie, met het vorige semester als streep",
        "Productieve tegenover improductieve reflexen per gezicht",
        "Verdeling over de zones groen, oranje en rood",
        "Momenten per lesuur per familie: vorig semester en nu",
    ):
        expect(page.get_by_role("img", name=chart)).to_be_visible()
    expect(page.get_by_role("heading", name="Succeservaringen in elke les?")).to_be_visible()
    expect(page.locator(".big-figure")).to_contain_text("%")
    expect(page.locator("table.heatmap")).to_be_visible()
    assert_no_names(page, names)
    assert_nothing_cut_off(page)
    _check(page, "coulissen", width, height)

    # One team: small, so much of it is hidden, and says why.
    page.select_option("#team", index=1)
    page.get_by_role("button", name="Toon").click()
    team = page.locator("#team option:checked").inner_text()
    expect(page.locator(".lead")).to_contain_text(team)
    expect(page.get_by_text("te weinig observaties").first).to_be_visible()
    assert_no_names(page, names)
    assert_nothing_cut_off(page)
    _check(page, "coulissen-team", width, height)

    # The session pack of the whole school: on screen, then as print.
    page.select_option("#team", value="")
    page.get_by_role("button", name="Toon").click()
    page.get_by_role("link", name="Sessiepakket").click()
    expect(page.get_by_role("heading", name="Om over te praten")).to_be_visible()
    expect(page.locator(".questions li")).to_have_count(4)
    expect(page.locator(".patterns li").first).to_be_visible()
    expect(page.locator(".examples li").first).to_be_visible()
    assert_no_names(page, names)
    assert_nothing_cut_off(page)
    _check(page, "sessiepakket", width, height)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Uitloggen")).to_be_hidden()
    expect(page.get_by_role("button", name="Afdrukken of bewaren als pdf")).to_be_hidden()
    if os.environ.get("COULISSE_SCREENSHOTS") == "1":
        page.screenshot(
            path=str(SHOTS / f"sessiepakket-print-{width}x{height}.png"), full_page=True
        )
    if os.environ.get("COULISSE_SCREENSHOTS") == "1":  # how a black-and-white printer sees it
        page.add_style_tag(content="html { filter: grayscale(1); }")
        page.screenshot(path=str(SHOTS / f"sessiepakket-grey-{width}x{height}.png"), full_page=True)
        page.reload()
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, f"the session pack prints on {pages} A4 pages"
    if os.environ.get("COULISSE_SCREENSHOTS") == "1" and size == SIZES[0]:
        (SHOTS / "sessiepakket.pdf").write_bytes(pdf)
    page.emulate_media(media="screen")

    # The projector view of the same pack.
    page.get_by_role("link", name="Projectie").click()
    expect(page.get_by_role("heading", name="Om over te praten")).to_be_attached()
    assert_no_names(page, names)
    if os.environ.get("COULISSE_SCREENSHOTS") == "1":
        page.screenshot(path=str(SHOTS / f"projectie-{width}x{height}.png"))
    page.context.close()
