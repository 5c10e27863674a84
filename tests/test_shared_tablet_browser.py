"""A shared tablet in Debian's Chromium against the real server: logging out locks that
person's work on the tablet (warned about, never lost), the next person sees nothing of it,
and it reaches the server exactly once when its owner logs in again. With
``COULISSE_SCREENSHOTS=1`` the warning and the lock screen are saved to
``docs/screenshots/shared-tablet-*.png``."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.models import AuthSession, Moment, Observation, Person, Role, SyncDevice
from tests import factories

pytestmark = pytest.mark.browser

TABLET: ViewportSize = {"width": 1024, "height": 768}
SIZES = [(1024, 768), (768, 1024)]
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
MIN_TOUCH = 48
# What only coach A typed: none of it may reach anyone else's screen.
GROUP = "7Q-kwartet"
SUBJECT = "Sterrenkunde"
NOTE = "Vertrouwelijk: Anna let op de achterste rij"
LOGOUT = "form.logout button[type=submit]"
WARNING = "dialog.logout-warning"
LOCKED = "[data-locked]"


@pytest.fixture
def school_people(session: Session) -> tuple[Person, Person, Person]:
    school = factories.make_school(session)
    anna = factories.make_person(session, school, [Role.coach], name="Anna Achterberg")
    bram = factories.make_person(session, school, [Role.coach], name="Bram Bosman")
    teacher = factories.make_person(session, school, [Role.teacher], name="Tessa Terpstra")
    return anna, bram, teacher


@pytest.fixture
def tablet(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport=TABLET, has_touch=True, locale="nl-NL", timezone_id="Europe/Amsterdam"
    )
    yield context
    context.close()


def wait_until_controlled(page: Page) -> None:
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    except PlaywrightError as error:
        raise AssertionError("no service worker in control of the page") from error


def open_recorder(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/opnemen")
    expect(page.locator("[data-action=start]")).to_be_visible()
    wait_until_controlled(page)


def record_offline_lesson(page: Page, teacher: Person) -> None:
    """Three moments, the last with a note; the lesson is left running."""
    page.select_option("#teacher", str(teacher.id))
    page.fill("#group", GROUP)
    page.fill("#subject", SUBJECT)
    page.tap("[data-action=start]")
    for code in ("suc-s-succes", "bel-s-gezien-erkend", "ver-p-wachttijd-doorvragen"):
        page.locator(f"[data-view=all] [data-code='{code}']").tap()
    page.fill("#note", NOTE)
    page.tap("[data-action=save-note]")
    wait_until_saved(page, 4)


def wait_until_saved(page: Page, count: int) -> None:
    page.wait_for_function(
        "(n) => Number(document.querySelector('#status [data-status=pending]')?.dataset.count)"
        " === n",
        arg=count,
    )


def shows_nothing_of_anna(page: Page, anna: Person) -> None:
    text = page.locator("body").inner_text()
    for secret in (anna.name, GROUP, SUBJECT, NOTE, "Verder opnemen", "Afronden"):
        assert secret not in text, f"{secret!r} is on the screen of someone else"
    html = page.content()
    for secret in (GROUP, SUBJECT, NOTE, str(anna.id)):
        assert secret not in html


def store_refuses(page: Page) -> bool:
    """With nobody logged in on the tablet, the store itself does not open."""
    return bool(
        page.evaluate(
            """async () => {
                 const db = await import('/static/js/db.js');
                 try { await db.allObservations(); return false; } catch { return true; }
               }"""
        )
    )


def databases(page: Page) -> list[str]:
    return list(page.evaluate("async () => (await indexedDB.databases()).map((d) => d.name)"))


def observations_of(session: Session, observer: Person) -> list[Observation]:
    session.commit()  # end the snapshot: see what the server committed since
    return list(session.exec(select(Observation).where(Observation.observer_id == observer.id)))


def moments_of(session: Session, observation: Observation) -> list[Moment]:
    return list(session.exec(select(Moment).where(Moment.observation_id == observation.id)))


def sessions_of(session: Session, person: Person) -> int:
    session.commit()
    query = select(func.count()).where(col(AuthSession.person_id) == person.id)
    return int(session.exec(query).one())


def test_logging_out_locks_a_coachs_unsynced_lesson_away_from_the_next_coach_until_she_returns(
    session: Session,
    school_people: tuple[Person, Person, Person],
    live_server: str,
    tablet: BrowserContext,
) -> None:
    anna, bram, teacher = school_people
    home = tablet.new_page()
    errors: list[str] = []
    home.on("pageerror", lambda error: errors.append(str(error)))
    factories.log_in_page(home, live_server, anna)
    recorder = tablet.new_page()
    open_recorder(recorder, live_server)

    # Anna records a lesson with no network; her home page is still open in the other tab.
    tablet.set_offline(True)
    record_offline_lesson(recorder, teacher)

    # She logs out while offline: warned about her four unsynced changes, she goes ahead.
    home.bring_to_front()
    home.tap(LOGOUT)
    warning = home.locator(WARNING)
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("4 wijzigingen")
    expect(warning.locator("[data-choice=sync]")).to_be_visible()
    home.tap(f"{WARNING} [data-choice=logout]")

    # The tablet is locked at once, offline: here, and in the recorder's own tab.
    home.wait_for_url(f"{live_server}/opnemen")
    expect(home.locator(LOCKED)).to_be_visible()
    expect(home.locator(LOCKED)).to_contain_text("Log in")
    expect(home.locator("[data-action=start]")).to_have_count(0)
    shows_nothing_of_anna(home, anna)
    assert store_refuses(home)
    expect(recorder.locator(LOCKED)).to_be_visible()
    shows_nothing_of_anna(recorder, anna)
    recorder.close()
    # Her work stays on the tablet, in her own store.
    assert f"coulisse-{anna.id}" in databases(home)
    assert observations_of(session, anna) == []

    # Back online: the logout the server could not hear is completed before anything else.
    tablet.set_offline(False)
    home.goto(f"{live_server}/opnemen")
    expect(home.locator(LOCKED)).to_be_visible()
    shows_nothing_of_anna(home, anna)
    assert sessions_of(session, anna) == 0
    assert observations_of(session, anna) == []

    # Bram logs in on the same tablet: his own empty store, nothing of Anna's, online or not.
    factories.log_in_page(home, live_server, bram)
    open_recorder(home, live_server)
    shows_nothing_of_anna(home, anna)
    tablet.set_offline(True)
    home.goto(f"{live_server}/opnemen")
    expect(home.locator("[data-action=start]")).to_be_visible()
    shows_nothing_of_anna(home, anna)
    tablet.set_offline(False)
    home.goto(f"{live_server}/opnemen")

    # Bram's own lesson works and syncs.
    home.select_option("#teacher", str(teacher.id))
    home.tap("[data-action=start]")
    for code in ("suc-s-succes", "lud-s-chillen"):
        home.locator(f"[data-view=all] [data-code='{code}']").tap()
    home.tap("[data-action=end]")
    home.tap("dialog [data-choice=true]")
    expect(home.locator("#status [data-status=synced]")).to_be_visible(timeout=30000)
    [brams] = observations_of(session, bram)
    assert sorted(m.code for m in moments_of(session, brams)) == ["lud-s-chillen", "suc-s-succes"]
    assert observations_of(session, anna) == []

    # Nothing of Bram's waits, so he logs out without a question.
    home.goto(f"{live_server}/")
    home.tap(LOGOUT)
    home.wait_for_url(f"{live_server}/inloggen")
    expect(home.locator(WARNING)).to_have_count(0)

    # Anna logs in again: her store opens and her lesson arrives exactly once.
    factories.log_in_page(home, live_server, anna)
    home.goto(f"{live_server}/opnemen")
    expect(home.locator("#status [data-status=synced]")).to_be_visible(timeout=30000)
    expect(home.get_by_text("Verder opnemen")).to_be_visible()
    home.tap("[data-action=sync]")
    expect(home.locator("#status [data-status=synced]")).to_be_visible(timeout=30000)
    [annas] = observations_of(session, anna)
    assert (annas.group_label, annas.subject) == (GROUP, SUBJECT)
    moments = moments_of(session, annas)
    assert sorted(m.code for m in moments) == [
        "bel-s-gezien-erkend",
        "suc-s-succes",
        "ver-p-wachttijd-doorvragen",
    ]
    assert [m.note for m in moments if m.note] == [NOTE]

    # Each of them synced with a device id of their own.
    devices = session.exec(
        select(SyncDevice).where(col(SyncDevice.person_id).in_([anna.id, bram.id]))
    ).all()
    assert sorted(str(d.person_id) for d in devices) == sorted([str(anna.id), str(bram.id)])
    # No answer of the API was ever kept in a cache of the service worker.
    cached = home.evaluate(
        """async () => {
             const urls = [];
             for (const name of await caches.keys()) {
               for (const r of await (await caches.open(name)).keys()) urls.push(r.url);
             }
             return urls.filter((u) => new URL(u).pathname.startsWith('/api/'));
           }"""
    )
    assert cached == []
    assert errors == []


def test_syncing_first_sends_the_work_and_then_logs_out(
    session: Session,
    school_people: tuple[Person, Person, Person],
    live_server: str,
    tablet: BrowserContext,
) -> None:
    anna, _bram, teacher = school_people
    home = tablet.new_page()
    factories.log_in_page(home, live_server, anna)
    recorder = tablet.new_page()
    open_recorder(recorder, live_server)
    tablet.set_offline(True)
    record_offline_lesson(recorder, teacher)
    recorder.close()
    tablet.set_offline(False)

    home.reload()
    # Cancelling keeps her logged in, on the server and on the tablet.
    home.tap(LOGOUT)
    expect(home.locator(WARNING)).to_contain_text("4 wijzigingen")
    home.tap(f"{WARNING} [data-choice=cancel]")
    expect(home.locator(WARNING)).to_have_count(0)
    assert home.evaluate("localStorage.getItem('coulisse:person')") == str(anna.id)
    assert sessions_of(session, anna) == 1

    home.tap(LOGOUT)
    expect(home.locator(WARNING)).to_contain_text("4 wijzigingen")
    home.tap(f"{WARNING} [data-choice=sync]")
    home.wait_for_url(f"{live_server}/inloggen")
    [annas] = observations_of(session, anna)
    assert len(moments_of(session, annas)) == 3
    assert sessions_of(session, anna) == 0
    assert home.evaluate("localStorage.getItem('coulisse:person')") is None


def test_a_session_that_ended_on_the_server_locks_the_recorder_until_the_coach_logs_in_again(
    session: Session,
    school_people: tuple[Person, Person, Person],
    live_server: str,
    tablet: BrowserContext,
) -> None:
    anna, _bram, teacher = school_people
    page = tablet.new_page()
    factories.log_in_page(page, live_server, anna)
    open_recorder(page, live_server)
    tablet.set_offline(True)
    record_offline_lesson(page, teacher)
    page.tap("[data-action=end]")
    page.tap("dialog [data-choice=true]")
    expect(page.locator("[data-moment]")).to_have_count(3)

    # Her session ends on the server (expired) while nobody records.
    session.exec(delete(AuthSession).where(col(AuthSession.person_id) == anna.id))
    session.commit()
    tablet.set_offline(False)
    page.goto(f"{live_server}/opnemen")
    expect(page.locator(LOCKED)).to_be_visible()
    shows_nothing_of_anna(page, anna)
    tablet.set_offline(True)
    page.goto(f"{live_server}/opnemen")
    expect(page.locator(LOCKED)).to_be_visible()
    shows_nothing_of_anna(page, anna)
    tablet.set_offline(False)

    page.tap(f"{LOCKED} a")
    page.fill("input[name=email]", anna.email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server}/opnemen**")
    expect(page.locator("#status [data-status=synced]")).to_be_visible(timeout=30000)
    [annas] = observations_of(session, anna)
    assert len(moments_of(session, annas)) == 3
    assert annas.observer_id == anna.id


def fits(page: Page, scope: str, name: str, width: int, height: int) -> None:
    """Nothing scrolls sideways, every control in `scope` is at least 48 px high and sits
    inside the screen, and no text is wider than its box."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} at {width}x{height} scrolls sideways by {overflow}px"
    controls = page.evaluate(
        """(scope) => [...document.querySelectorAll(`${scope} button, ${scope} a.button`)]
            .filter((e) => e.offsetParent !== null)
            .map((e) => { const r = e.getBoundingClientRect();
                          return { text: e.textContent.trim(), height: r.height,
                                   inside: r.left >= 0 && r.right <= innerWidth
                                           && r.top >= 0 && r.bottom <= innerHeight,
                                   spilled: e.scrollWidth > e.clientWidth + 1 }; })""",
        scope,
    )
    assert controls, f"{name}: no controls in {scope}"
    where = f"{name} at {width}x{height}"
    for control in controls:
        assert control["height"] >= MIN_TOUCH, f"{where}: {control}"
        assert control["inside"] and not control["spilled"], f"{where}: {control}"
    if os.environ.get("COULISSE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"shared-tablet-{name}-{width}x{height}.png"))


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_logout_warning_and_the_lock_screen_fit_a_tablet(
    browser: Browser,
    school_people: tuple[Person, Person, Person],
    live_server: str,
    width: int,
    height: int,
) -> None:
    anna, _bram, teacher = school_people
    context = browser.new_context(
        viewport={"width": width, "height": height},
        has_touch=True,
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
    )
    try:
        home = context.new_page()
        factories.log_in_page(home, live_server, anna)
        recorder = context.new_page()
        open_recorder(recorder, live_server)
        context.set_offline(True)
        record_offline_lesson(recorder, teacher)
        recorder.close()

        home.bring_to_front()
        home.tap(LOGOUT)
        expect(home.locator(WARNING)).to_contain_text("Er loopt nog een les")
        fits(home, WARNING, "logout-warning", width, height)

        # Syncing first, with no network: the warning says so and stays.
        home.tap(f"{WARNING} [data-choice=sync]")
        expect(home.locator(f"{WARNING} .dialog-status")).to_contain_text(
            "Synchroniseren lukte niet"
        )
        expect(home.locator(f"{WARNING} [data-choice=logout]")).to_be_enabled()
        fits(home, WARNING, "logout-sync-failed", width, height)

        home.tap(f"{WARNING} [data-choice=logout]")
        home.wait_for_url(f"{live_server}/opnemen")
        expect(home.locator(LOCKED)).to_be_visible()
        expect(home.locator(LOCKED)).to_contain_text("verbinding")
        fits(home, LOCKED, "locked", width, height)
    finally:
        context.close()
