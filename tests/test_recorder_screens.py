"""Every recorder screen at both tablet sizes: nothing scrolls sideways, nothing is cut off,
every control is at least 48 px high, and tapping does not move the layout. With
``COULISSE_SCREENSHOTS=1`` the screens are saved to ``docs/screenshots/recorder-*.png``."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from app.models import Person, Role
from tests import factories

pytestmark = pytest.mark.browser

SIZES = [(1024, 768), (768, 1024)]
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
MIN_TOUCH = 48
FOCUS = [
    "suc-s-succes",
    "ver-p-wachttijd-doorvragen",
    "bel-s-gezien-erkend",
    "lud-s-chillen",
    "suc-p-aanmoediging",
    "ver-u-ongelijke-beurten",
]


def check(page: Page, name: str, width: int, height: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} at {width}x{height} scrolls sideways by {overflow}px"
    small = page.evaluate(
        """(min) => [...document.querySelectorAll('button, a.button, select, input, textarea')]
            .filter((e) => e.offsetParent !== null && e.type !== 'radio'
                           && e.type !== 'checkbox')
            .map((e) => [e.textContent.trim() || e.id || e.name, e.getBoundingClientRect().height])
            .filter(([, h]) => h < min)""",
        MIN_TOUCH,
    )
    assert small == [], f"{name} at {width}x{height}: controls under {MIN_TOUCH}px: {small}"
    # Text that does not fit its box (cut off or spilling over a neighbour).
    spilled = page.evaluate(
        """() => [...document.querySelectorAll(
            'button:not(.rec-code), .rec-code-label, .rec-chip, .rec-family-title')]
            .filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
            .map((e) => e.textContent.trim())"""
    )
    assert spilled == [], f"{name} at {width}x{height}: text wider than its box: {spilled}"
    outside = page.evaluate(
        """() => [...document.querySelectorAll('.rec-code')]
            .filter((b) => b.offsetParent !== null)
            .filter((b) => {
              const label = b.querySelector('.rec-code-label');
              const range = document.createRange();
              range.selectNodeContents(label);
              return range.getBoundingClientRect().right > b.getBoundingClientRect().right;
            })
            .map((b) => b.dataset.code)"""
    )
    assert outside == [], f"{name} at {width}x{height}: code labels sticking out: {outside}"
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter((e) => e.offsetParent !== null)
            .filter((e) => !(e.labels?.length || e.getAttribute('aria-label')
                             || e.closest('label') || (e.tagName === 'BUTTON'
                                                       && e.textContent.trim())))
            .map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert unlabelled == [], f"{name}: controls without a label: {unlabelled}"
    if os.environ.get("COULISSE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"recorder-{name}-{width}x{height}.png"))


@pytest.fixture
def coach(session: Session) -> Person:
    school = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach], name="Sanne de Vries")
    for name in ("Mark Jansen", "Fatima Bakkali", "Lotte Visser"):
        factories.make_person(session, school, [Role.teacher], name=name)
    return coach


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_recorder_screen_fits_a_tablet(
    browser: Browser, live_server: str, coach: Person, width: int, height: int
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        has_touch=True,
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
    )
    page = context.new_page()
    factories.log_in_page(page, live_server, coach)
    page.goto(f"{live_server}/opnemen")
    expect(page.locator("[data-action=start]")).to_be_visible()

    page.select_option("#teacher", label="Mark Jansen")
    page.fill("#group", "2B havo")
    page.fill("#subject", "Engels")
    for key in FOCUS:
        page.tap(f"[data-focus='{key}']")
    page.check("input[name=cue][value='5']", force=True)
    page.evaluate("scrollTo(0, 0)")
    check(page, "setup", width, height)

    page.tap("[data-action=start]")
    first = page.locator("[data-view=focus] [data-code='suc-s-succes']")
    box = first.bounding_box()
    for key in ["suc-s-succes", "ver-p-wachttijd-doorvragen", "suc-s-succes"]:
        page.locator(f"[data-view=focus] [data-code='{key}']").tap()
    page.tap("[data-phase=instructie]")
    page.locator("[data-view=focus] [data-code='bel-s-gezien-erkend']").tap()
    page.tap("[data-zone=groen]")
    page.fill("#note", "Docent begroet de klas bij de deur en noemt leerlingen bij hun werk")
    page.tap("[data-action=save-note]")
    expect(first.locator(".rec-badge")).to_have_text("2")
    assert first.bounding_box() == box, "tapping moved the buttons"
    check(page, "lesson-focus", width, height)

    page.tap("[data-action=view-all]")
    page.locator("[data-view=all] [data-code='ver-u-ongelijke-beurten']").tap()
    page.fill("#note", "Ayoub krijgt drie keer de beurt")
    expect(page.locator(".rec-last .rec-warning")).to_contain_text("Ayoub")
    check(page, "lesson-all", width, height)
    page.tap("[data-action=save-note]")

    page.tap("[data-action=explain]")
    page.locator("[data-view=all] [data-code='suc-p-relatieve-leerwinst']").tap()
    expect(page.locator("dialog")).to_be_visible()
    check(page, "explain", width, height)
    page.tap("dialog [data-choice=null]")
    page.tap("[data-action=explain]")

    page.tap("[data-action=pause]")
    expect(page.locator(".rec-paused")).to_be_visible()
    check(page, "paused", width, height)
    page.tap("[data-action=pause]")

    page.tap("[data-action=end]")
    expect(page.locator("dialog")).to_be_visible()
    check(page, "end", width, height)
    page.tap("dialog [data-choice=true]")

    expect(page.locator("[data-moment]")).to_have_count(5)
    page.fill(
        "#summary",
        "Veel succeservaringen en een warme start; beurten gingen vooral naar de voorste rij.",
    )
    page.tap("[data-action=save-summary]")
    expect(page.locator("[data-warning=names]")).to_contain_text("Ayoub")
    page.evaluate("scrollTo(0, 0)")
    check(page, "review", width, height)
    page.locator("[data-moment] [data-action=edit]").nth(3).tap()
    expect(page.locator("form.rec-editor")).to_be_visible()
    check(page, "review-edit", width, height)
    page.tap("form.rec-editor [data-action=save-moment]")
    page.tap("[data-action=ready]")
    expect(page.locator("[data-status=ready]")).to_be_visible()

    page.goto(f"{live_server}/offline")
    check(page, "offline", width, height)
    context.close()
