"""The recorder (/opnemen) in Debian's Chromium at tablet size with touch, against the real
server: a whole lesson coded offline, through a reload, arrives exactly as it was tapped."""

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.models import AuthSession, Moment, Observation, ObservationStatus, Person, Role
from tests import factories
from tests.conftest import CHROMIUM_ARGS

pytestmark = pytest.mark.browser

TABLET: ViewportSize = {"width": 1024, "height": 768}
FOCUS = [
    "lud-p-spelgevoel-gezag",
    "suc-s-succes",
    "ver-p-wachttijd-doorvragen",
    "bel-s-gezien-erkend",
]
# Three codes per family, so that 60 taps cover the whole book's four families.
CODES = [
    "lud-s-chillen",
    "lud-p-normatief-kader",
    "lud-p-spelgevoel-gezag",
    "suc-s-succes",
    "suc-p-aanmoediging",
    "suc-u-talige-instructie",
    "ver-p-hoge-verwachting",
    "ver-p-wachttijd-doorvragen",
    "ver-u-ongelijke-beurten",
    "bel-s-gezien-erkend",
    "bel-p-common-ground",
    "bel-u-wegkijken",
]


@dataclass
class Tapped:
    code: str
    at_ms: int
    phase: str
    zone: str | None = None
    note: str = ""


@pytest.fixture
def coach_and_teacher(session: Session) -> tuple[Person, Person]:
    school = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach])
    teacher = factories.make_person(session, school, [Role.teacher])
    return coach, teacher


@pytest.fixture
def tablet(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport=TABLET, has_touch=True, locale="nl-NL", timezone_id="Europe/Amsterdam"
    )
    yield context
    context.close()


def open_recorder(context: BrowserContext, live_server: str, person: Person) -> Page:
    """Log in online and open the recorder once, so that the service worker caches it."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    factories.log_in_page(page, live_server, person)
    page.goto(f"{live_server}/opnemen")
    expect(page.locator("[data-action=start]")).to_be_visible()
    wait_until_controlled(page)
    page.evaluate("navigator.serviceWorker.ready")
    assert errors == []
    return page


SW_STATE = """async () => {
  const r = await navigator.serviceWorker.getRegistration();
  return r ? { installing: r.installing?.state, waiting: r.waiting?.state,
               active: r.active?.state } : null;
}"""


def wait_until_controlled(page: Page) -> None:
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    except PlaywrightError as error:  # say where the worker got stuck
        raise AssertionError(f"no service worker in control: {page.evaluate(SW_STATE)}") from error


def start_lesson(page: Page, teacher: Person) -> None:
    """Start a lesson of this teacher with no focus codes (the whole book on screen)."""
    page.select_option("#teacher", str(teacher.id))
    page.tap("[data-action=start]")


def end_lesson(page: Page) -> None:
    page.tap("[data-action=end]")
    page.tap("dialog [data-choice=true]")


def now(page: Page) -> int:
    return int(page.evaluate("Date.now()"))


def wait_until_saved(page: Page, moments: int) -> None:
    """The outbox holds the observation and this many moments."""
    page.wait_for_function(
        "(n) => Number(document.querySelector('#status [data-status=pending]')?.dataset.count)"
        " === n",
        arg=moments + 1,
    )


def poll(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def code_button(page: Page, code: str) -> Any:
    """The code's button in the view on screen (focus codes are in both views)."""
    return page.locator(f"[data-code='{code}']:visible")


def moments_of(session: Session, teacher: Person) -> list[Moment]:
    return list(
        session.exec(
            select(Moment).join(Observation).where(Observation.observed_teacher_id == teacher.id)
        )
    )


def test_a_lesson_coded_offline_through_a_reload_arrives_exactly_as_tapped(
    session: Session,
    coach_and_teacher: tuple[Person, Person],
    live_server: str,
    tablet: BrowserContext,
) -> None:
    coach, teacher = coach_and_teacher
    page = open_recorder(tablet, live_server, coach)
    tablet.set_offline(True)

    page.select_option("#teacher", str(teacher.id))
    page.fill("#group", "2B havo")
    page.fill("#subject", "Engels")
    for key in FOCUS:
        page.tap(f"[data-focus='{key}']")
    page.tap("[data-action=start]")
    expect(page.locator("[data-view=focus] [data-code]")).to_have_count(4)

    tapped: list[Tapped] = []
    phase = "start"
    for i in range(60):
        if i == 4:
            page.tap("[data-action=view-all]")
        if i in (12, 30, 50):
            phase = {12: "instructie", 30: "verwerking", 50: "afsluiting"}[i]
            page.tap(f"[data-phase={phase}]")
            expect(page.locator(f"[data-phase={phase}]")).to_have_attribute("aria-pressed", "true")
        code = FOCUS[i] if i < 4 else CODES[i % len(CODES)]
        at = now(page)
        code_button(page, code).tap()
        tapped.append(Tapped(code, at, phase))
        if i % 7 == 3:
            zone = ["groen", "oranje", "rood"][i % 3]
            page.tap(f"[data-zone={zone}]")
            tapped[-1].zone = zone
        if i % 9 == 5:
            note = f"Moment {i}: uitleg met voorbeeld uit de klas"
            page.fill("#note", note)
            page.tap("[data-action=save-note]")
            tapped[-1].note = note
        if i == 25:
            page.tap("[data-action=undo]")
            tapped.pop()
        if i == 40:
            expect(page.locator("[data-status=saved]")).to_be_visible()
            wait_until_saved(page, len(tapped))  # a reload mid-write is not what this tests
            page.reload()
            expect(page.locator("[data-view=all] [data-code]").first).to_be_visible()
            expect(page.locator(f"[data-phase={phase}]")).to_have_attribute("aria-pressed", "true")
    assert len(tapped) == 59
    wait_until_saved(page, 59)
    end_lesson(page)
    expect(page.locator("#summary")).to_be_visible()
    expect(page.locator("[data-moment]")).to_have_count(59)
    page.fill("#summary", "Veel succeservaringen in de verwerking; wachttijd na vragen groeit.")
    page.tap("[data-action=save-summary]")
    expect(page.get_by_text("Bewaard", exact=False).first).to_be_visible()
    page.tap("[data-action=ready]")
    expect(page.locator("[data-status=ready]")).to_be_visible()

    tablet.set_offline(False)
    expect(page.locator("#status [data-status=synced]")).to_be_visible(timeout=30000)

    session.commit()
    observation = session.exec(
        select(Observation).where(Observation.observed_teacher_id == teacher.id)
    ).one()
    assert observation.observer_id == coach.id
    assert (observation.group_label, observation.subject) == ("2B havo", "Engels")
    assert observation.status == ObservationStatus.ready
    assert observation.summary.startswith("Veel succeservaringen")
    assert observation.focus_codes == FOCUS
    assert observation.ended_at is not None
    rows = session.exec(
        select(Moment)
        .where(Moment.observation_id == observation.id)
        .order_by(col(Moment.offset_ms))
    ).all()
    live = [m for m in rows if m.deleted_at is None]
    assert len(live) == 59
    # Changed in place before they ever left the tablet: no tombstones reached the server.
    assert len(rows) == 59
    started_ms = int(observation.started_at.timestamp() * 1000)
    for moment, tap in zip(live, tapped, strict=True):
        assert moment.code == tap.code
        assert moment.phase == tap.phase
        assert (moment.zone.value if moment.zone else None) == tap.zone
        assert moment.note == tap.note
        assert abs(moment.offset_ms - (tap.at_ms - started_ms)) < 1000


def test_fast_taps_all_count_and_a_zone_goes_on_the_moment_just_tapped(
    session: Session,
    coach_and_teacher: tuple[Person, Person],
    live_server: str,
    tablet: BrowserContext,
) -> None:
    coach, teacher = coach_and_teacher
    page = open_recorder(tablet, live_server, coach)
    start_lesson(page, teacher)
    button = page.locator("[data-view=all] [data-code='suc-s-succes']")
    other = page.locator("[data-view=all] [data-code='bel-u-wegkijken']")
    # Twenty clicks dispatched at once; then a code and a zone with no pause between them.
    button.evaluate("(b) => { for (let i = 0; i < 20; i++) b.click(); }")
    expect(button.locator(".rec-badge")).to_have_text("20")
    other.evaluate("(b) => { b.click(); document.querySelector('[data-zone=rood]').click(); }")
    expect(page.locator("[data-zone=rood]")).to_have_attribute("aria-pressed", "true")
    end_lesson(page)
    expect(page.locator("[data-moment]")).to_have_count(21)

    def arrived() -> bool:
        session.commit()
        return len(moments_of(session, teacher)) == 21

    poll(arrived)
    rows = moments_of(session, teacher)
    assert [m.zone for m in rows if m.code == "bel-u-wegkijken"] == ["rood"]
    assert all(m.zone is None for m in rows if m.code == "suc-s-succes")


def test_a_session_that_ends_while_offline_keeps_recording_and_asks_for_a_login_to_sync(
    session: Session,
    coach_and_teacher: tuple[Person, Person],
    live_server: str,
    tablet: BrowserContext,
) -> None:
    coach, teacher = coach_and_teacher
    page = open_recorder(tablet, live_server, coach)
    login = page.locator("#status [data-status=login]")
    expect(page.locator("#status [data-status=idle], #status [data-status=synced]")).to_be_visible()
    expect(login).to_be_hidden()
    tablet.set_offline(True)
    start_lesson(page, teacher)
    expect(page.locator("#status [data-status=offline]")).to_be_visible()
    for code in ("suc-s-succes", "bel-s-gezien-erkend", "ver-u-lage-verwachting"):
        page.locator(f"[data-view=all] [data-code='{code}']").tap()
    wait_until_saved(page, 3)
    # The session ends on the server while the tablet is offline.
    session.exec(delete(AuthSession).where(col(AuthSession.person_id) == coach.id))
    session.commit()
    page.reload()
    page.locator("[data-view=all] [data-code='lud-s-chillen']").tap()
    end_lesson(page)
    expect(page.locator("[data-moment]")).to_have_count(4)

    tablet.set_offline(False)
    page.tap("[data-action=sync]")
    expect(login).to_be_visible(timeout=30000)
    expect(page.locator("#status [data-status=pending]")).to_be_visible()
    session.commit()
    assert moments_of(session, teacher) == []

    login.tap()
    page.fill("input[name=email]", coach.email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server}/opnemen**")
    expect(page.locator("#status [data-status=synced]")).to_be_visible(timeout=30000)
    session.commit()
    codes = sorted(m.code for m in moments_of(session, teacher))
    assert codes == sorted(
        ["suc-s-succes", "bel-s-gezien-erkend", "ver-u-lage-verwachting", "lud-s-chillen"]
    )
    assert page.evaluate("localStorage.getItem('coulisse:person')") == str(coach.id)


def test_after_one_online_visit_the_recorder_survives_a_restart_of_the_tablet_offline(
    session: Session,
    coach_and_teacher: tuple[Person, Person],
    live_server: str,
    browser: Browser,
    tmp_path: Path,
) -> None:
    coach, teacher = coach_and_teacher
    profile = tmp_path / "tablet-profile"

    def launch() -> BrowserContext:
        return browser.browser_type.launch_persistent_context(
            profile,
            executable_path="/usr/bin/chromium",
            args=CHROMIUM_ARGS,
            viewport=TABLET,
            has_touch=True,
            locale="nl-NL",
            timezone_id="Europe/Amsterdam",
        )

    tablet = launch()
    page = open_recorder(tablet, live_server, coach)
    tablet.set_offline(True)
    start_lesson(page, teacher)
    for code in ("suc-s-succes", "bel-s-gezien-erkend"):
        page.locator(f"[data-view=all] [data-code='{code}']").tap()
    wait_until_saved(page, 2)
    tablet.close()  # the tablet is switched off, and comes back without a network

    tablet = launch()
    try:
        tablet.set_offline(True)
        page = tablet.pages[0] if tablet.pages else tablet.new_page()
        page.goto(f"{live_server}/opnemen")
        badge = page.locator("[data-view=all] [data-code='suc-s-succes'] .rec-badge")
        expect(badge).to_have_text("1")
        page.locator("[data-view=all] [data-code='ver-p-fouten-leerkans']").tap()
        end_lesson(page)
        expect(page.locator("[data-moment]")).to_have_count(3)
        tablet.set_offline(False)

        def arrived() -> bool:
            session.commit()
            return len(moments_of(session, teacher)) == 3

        poll(arrived)
    finally:
        tablet.close()


# Marks when the page has heard that a new worker is installed, the event on which pwa.js shows
# its offer. Listeners run in the order they were added, so by then pwa.js's has run too.
# (The worker's state reads "installed" some time before that event reaches the page.)
HEAR_INSTALLED = """() => navigator.serviceWorker.getRegistration().then((r) => {
  r.addEventListener("updatefound", () => {
    const worker = r.installing;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed") window.__installedHeard = true;
    });
  });
})"""


def test_a_new_version_never_reloads_a_running_lesson_and_is_offered_once_it_ends(
    session: Session,
    coach_and_teacher: tuple[Person, Person],
    server_on_copy: str,
    web_copy: Path,
    tablet: BrowserContext,
) -> None:
    coach, teacher = coach_and_teacher
    page = open_recorder(tablet, server_on_copy, coach)
    start_lesson(page, teacher)
    page.locator("[data-view=all] [data-code='suc-s-succes']").tap()
    page.evaluate("window.__sameDocument = true")
    page.evaluate(HEAR_INSTALLED)

    with (web_copy / "css" / "recorder.css").open("a") as f:
        f.write("\n/* a new version */\n")
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    page.wait_for_function(
        "() => navigator.serviceWorker.getRegistration().then((r) => Boolean(r && r.waiting))"
    )
    # The new version waits; the lesson goes on in the same document, with no offer.
    page.locator("[data-view=all] [data-code='bel-s-gezien-erkend']").tap()
    expect(
        page.locator("[data-view=all] [data-code='bel-s-gezien-erkend'] .rec-badge")
    ).to_have_text("1")
    page.wait_for_function("() => window.__installedHeard === true")  # pwa.js has decided
    expect(page.locator(".update-offer")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True

    end_lesson(page)
    offer = page.locator(".update-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("nieuwe versie")
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("[data-moment]")).to_have_count(2)

    with page.expect_navigation():
        offer.get_by_role("button", name="Nu bijwerken").tap()
    expect(page.locator("[data-moment]")).to_have_count(2)  # back on the same lesson
    assert page.evaluate("window.__sameDocument ?? null") is None
    page.wait_for_function(
        "() => navigator.serviceWorker.getRegistration().then((r) => r.waiting === null)"
    )


def test_the_interval_cue_comes_every_n_minutes_and_keeps_quiet_while_paused(
    coach_and_teacher: tuple[Person, Person],
    live_server: str,
    tablet: BrowserContext,
) -> None:
    coach, teacher = coach_and_teacher
    page = open_recorder(tablet, live_server, coach)
    page.clock.install()
    page.reload()
    page.select_option("#teacher", str(teacher.id))
    page.check("input[name=cue][value='2']", force=True)
    page.tap("[data-action=start]")
    cue = page.locator(".rec-cue")
    expect(cue).to_have_text("")
    page.clock.run_for("02:01")
    expect(cue).to_have_text("Interval 1: codeer wat je nu ziet")
    page.clock.run_for("00:10")
    expect(cue).to_have_text("")

    page.tap("[data-action=pause]")
    expect(page.locator("[data-view=all] [data-code='suc-s-succes']")).to_be_disabled()
    page.clock.run_for("02:00")
    expect(cue).to_have_text("")
    page.tap("[data-action=pause]")  # at 4:11: the interval that ended in the pause is past
    expect(page.locator("[data-view=all] [data-code='suc-s-succes']")).to_be_enabled()
    page.clock.run_for("00:30")
    expect(cue).to_have_text("")
    page.clock.run_for("01:22")
    expect(cue).to_have_text("Interval 3: codeer wat je nu ziet")
    expect(page.locator(".rec-clock")).to_have_text("6:03")


def test_corrections_after_the_lesson_reach_the_server_and_unsynced_work_can_be_exported(
    session: Session,
    coach_and_teacher: tuple[Person, Person],
    live_server: str,
    tablet: BrowserContext,
) -> None:
    coach, teacher = coach_and_teacher
    page = open_recorder(tablet, live_server, coach)
    start_lesson(page, teacher)
    for code in ("suc-s-succes", "ver-u-lage-verwachting", "lud-s-chillen"):
        page.locator(f"[data-view=all] [data-code='{code}']").tap()
    end_lesson(page)
    expect(page.locator("[data-moment]")).to_have_count(3)

    def on_server() -> list[tuple[str, bool]]:
        session.commit()
        return sorted((m.code, m.deleted_at is None) for m in moments_of(session, teacher))

    poll(lambda: len(on_server()) == 3)

    # Offline: re-tag the second moment with a note, delete the third; both wait, exportable.
    tablet.set_offline(True)
    page.locator("[data-moment] [data-action=edit]").nth(1).tap()
    page.select_option("#edit-code", "ver-p-wachttijd-doorvragen")
    page.fill("#edit-note", "Wacht vijf tellen na de vraag")
    page.check("#edit-shareable")
    page.tap("[data-action=save-moment]")
    page.locator("[data-moment] [data-action=edit]").nth(2).tap()
    page.tap("[data-action=delete-moment]")
    page.tap("dialog [data-choice=true]")
    expect(page.locator("[data-moment]")).to_have_count(2)
    expect(page.locator("[data-moment]").nth(1)).to_contain_text("Wacht vijf tellen")

    with page.expect_download() as download:
        page.tap("[data-action=export]")
    exported = json.loads(Path(download.value.path()).read_text())
    assert download.value.suggested_filename.startswith("coulisse-niet-gesynchroniseerd-")
    assert exported["person"] == str(coach.id)
    # a tombstone and a new moment for the re-tag, a tombstone for the deletion
    assert sorted(e["type"] for e in exported["outbox"]) == [
        "moment.add",
        "moment.delete",
        "moment.delete",
    ]

    tablet.set_offline(False)
    poll(lambda: len(on_server()) == 4)
    assert on_server() == [
        ("lud-s-chillen", False),
        ("suc-s-succes", True),
        ("ver-p-wachttijd-doorvragen", True),
        ("ver-u-lage-verwachting", False),
    ]
    retagged = next(m for m in moments_of(session, teacher) if m.code.startswith("ver-p"))
    assert (retagged.note, retagged.note_shareable) == ("Wacht vijf tellen na de vraag", True)


def test_a_sync_that_finds_no_network_asks_the_browser_to_wake_it_when_the_network_is_back(
    coach_and_teacher: tuple[Person, Person],
    live_server: str,
    tablet: BrowserContext,
) -> None:
    coach, teacher = coach_and_teacher
    page = open_recorder(tablet, live_server, coach)
    assert page.evaluate("'SyncManager' in window"), "Debian's Chromium has Background Sync"
    tablet.set_offline(True)
    start_lesson(page, teacher)
    page.tap("[data-action=sync]")
    page.wait_for_function(
        """async () => {
             const registration = await navigator.serviceWorker.getRegistration();
             return (await registration.sync.getTags()).includes("coulisse-sync");
           }"""
    )
