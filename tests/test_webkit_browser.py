"""In WebKit, Safari's engine (tests/webkit.py), against the real server: the pages keep to the
Content-Security-Policy, Back after logging out shows no lesson of the person who left, and on
a shared tablet the next coach sees nothing of the previous one."""

import time
from collections.abc import Callable, Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlmodel import Session, select

from app.models import Moment, Observation, ObservationStatus, Person, Role
from tests import factories
from tests.webkit import (
    fresh_start,
    log_in,
    problems,
    shown,
    started,
    text,
    visit,
    wait_for,
    wait_shown,
    watch,
)

pytestmark = pytest.mark.webkit

GROUP = "4G atheneum"
SUBJECT = "Aardrijkskunde"
SUMMARY = "De klas werkte zelfstandig aan de opdracht over rivierdelta's."
LOGOUT = "form.logout button[type=submit]"
WARNING = "dialog.logout-warning"
# What only coach A typed in the recorder: none of it may reach coach B's screen.
A_GROUP = "7Q-kwartet"
A_SUBJECT = "Sterrenkunde"
A_NOTE = "Vertrouwelijk: Anna let op de achterste rij"


@pytest.fixture(scope="module")
def webkit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One WebKit browser for this module's tests: started once, a single profile."""
    with started(tmp_path_factory.mktemp("webkit")) as driver:
        yield driver


RESTORED_KEY = "test:restored-lesson"
# Run on the lesson page before logging out: when WebKit restores the page from its
# back-forward cache, this records (after the app's own handlers ran) whether its content is
# visible at that moment. The record lives in localStorage, so it outlives the page.
RESTORED = f"""
window.addEventListener("pageshow", (event) => {{
  if (!event.persisted) return;
  const content = document.getElementById("inhoud");
  localStorage.setItem("{RESTORED_KEY}", getComputedStyle(content).visibility);
}});
"""


def a_lesson(session: Session) -> tuple[Person, Person, Observation]:
    """A coach (also in the development group) who observed a teacher's lesson, with moments."""
    school = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach, Role.development_group])
    teacher = factories.make_person(session, school, [Role.teacher])
    obs = factories.make_observation(
        session, school, coach, teacher, summary=SUMMARY, status=ObservationStatus.ready
    )
    obs.group_label, obs.subject = GROUP, SUBJECT
    session.add(obs)
    session.commit()
    for i, code in enumerate(["suc-s-succes", "bel-s-gezien-erkend", "ver-u-ongelijke-beurten"]):
        factories.make_moment(session, obs, code=code, offset_ms=(i + 1) * 300_000)
    return coach, teacher, obs


def heading(driver: WebDriver) -> str:
    return str(wait_shown(driver, "h1").text)


def has_heading(title: str) -> Callable[[WebDriver], bool]:
    return lambda driver: heading(driver) == title


def poll(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def shows_nothing_of(driver: WebDriver, anna: Person) -> None:
    screen = text(driver)
    for secret in (anna.name, A_GROUP, A_SUBJECT, A_NOTE, "Verder opnemen", "Afronden"):
        assert secret not in screen, f"{secret!r} is on the screen of someone else"
    html = driver.page_source
    for secret in (A_GROUP, A_SUBJECT, A_NOTE, str(anna.id)):
        assert secret not in html, f"{secret!r} is in the page of someone else"


def test_pages_keep_to_the_content_security_policy_in_webkit(
    session: Session, live_server: str, webkit: WebDriver
) -> None:
    coach, _teacher, obs = a_lesson(session)
    fresh_start(webkit, live_server)
    log_in(webkit, live_server, coach)

    pages = [
        (f"/observaties/{obs.id}", f"{GROUP} · {SUBJECT}"),
        ("/coulissen", "De coulissen-ruimte"),
        ("/opnemen", "Les opnemen"),
    ]
    for path, title in pages:
        blocked = visit(webkit, f"{live_server}{path}")
        assert blocked == [], f"{path}: blocked while loading: {blocked}"
        wait_for(webkit, has_heading(title), f"{path}: no heading {title!r}")
        if path == "/opnemen":  # the recorder built its screen with its scripts
            wait_shown(webkit, "[data-action=start]")
        assert problems(webkit) == [], path

    # The listener hears a violation when there is one: an inline script does not run.
    webkit.execute_script(
        """const s = document.createElement("script");
           s.textContent = "document.documentElement.dataset.inline = 'ran'";
           document.head.append(s);"""
    )
    wait_for(webkit, lambda d: problems(d), "a blocked inline script was not reported")
    assert [p for p in problems(webkit) if p.startswith("CSP violation: script-src")]
    assert webkit.execute_script("return document.documentElement.dataset.inline") is None


def test_back_after_logging_out_shows_the_login_page_not_the_lesson_in_webkit(
    session: Session, live_server: str, webkit: WebDriver
) -> None:
    _coach, teacher, obs = a_lesson(session)
    fresh_start(webkit, live_server)
    log_in(webkit, live_server, teacher)
    lesson = f"{live_server}/observaties/{obs.id}"
    webkit.get(lesson)
    assert heading(webkit) == f"{GROUP} · {SUBJECT}"
    assert SUMMARY in text(webkit)

    webkit.execute_script(RESTORED)
    wait_shown(webkit, LOGOUT).click()
    wait_for(webkit, lambda d: d.current_url == f"{live_server}/inloggen", "no login page")

    webkit.back()
    # The server was asked again: it answers the lesson's address with the login form.
    wait_for(
        webkit,
        lambda d: (
            d.current_url.startswith(f"{live_server}/inloggen?volgende=")
            and shown(d, "input[type=password]")
        ),
        "Back did not lead to the login page",
    )
    for secret in (GROUP, SUBJECT, SUMMARY, teacher.name):
        assert secret not in text(webkit), f"{secret!r} is on the screen after logging out"
        assert secret not in webkit.page_source
    # Over plain http WebKit keeps even a no-store page in its back-forward cache and restores
    # it on Back; then nothing of it may be visible while the server is asked again.
    restored = webkit.execute_script(f"return localStorage.getItem('{RESTORED_KEY}')")
    assert restored in (None, "hidden"), f"the restored lesson page was {restored} after logout"


def test_the_next_coach_on_a_shared_tablet_sees_nothing_of_the_previous_one_in_webkit(
    session: Session, live_server: str, webkit: WebDriver
) -> None:
    school = factories.make_school(session)
    anna = factories.make_person(session, school, [Role.coach], name="Anna Achterberg")
    bram = factories.make_person(session, school, [Role.coach], name="Bram Bosman")
    teacher = factories.make_person(session, school, [Role.teacher], name="Tessa Terpstra")
    fresh_start(webkit, live_server)

    # Anna logs in and records a lesson online in a tab of its own; her home page stays open.
    log_in(webkit, live_server, anna)
    home = webkit.current_window_handle
    webkit.switch_to.new_window("tab")
    recorder = webkit.current_window_handle
    webkit.get(f"{live_server}/opnemen")
    watch(webkit)
    wait_shown(webkit, "[data-action=start]")
    Select(webkit.find_element(By.ID, "teacher")).select_by_value(str(teacher.id))
    webkit.find_element(By.ID, "group").send_keys(A_GROUP)
    webkit.find_element(By.ID, "subject").send_keys(A_SUBJECT)
    webkit.find_element(By.CSS_SELECTOR, "[data-action=start]").click()
    for code in ("suc-s-succes", "bel-s-gezien-erkend", "ver-p-wachttijd-doorvragen"):
        wait_shown(webkit, f"[data-view=all] [data-code='{code}']").click()
    webkit.find_element(By.ID, "note").send_keys(A_NOTE)
    webkit.find_element(By.CSS_SELECTOR, "[data-action=save-note]").click()
    wait_shown(webkit, "[data-action=sync]").click()

    def synced() -> bool:
        session.commit()  # end the snapshot: see what the server committed since
        notes = select(Moment.note).join(Observation).where(Observation.observer_id == anna.id)
        return A_NOTE in session.exec(notes).all()

    poll(synced, "Anna's lesson did not reach the server")
    assert problems(webkit) == []

    # She logs out on her home page; a warning about unsynced work is answered "log out".
    webkit.switch_to.window(home)
    wait_shown(webkit, LOGOUT).click()
    wait_for(
        webkit,
        lambda d: d.current_url == f"{live_server}/inloggen" or shown(d, WARNING),
        "the logout neither finished nor warned",
    )
    if webkit.current_url != f"{live_server}/inloggen":
        wait_shown(webkit, f"{WARNING} [data-choice=logout]").click()
        wait_for(webkit, lambda d: d.current_url == f"{live_server}/inloggen", "no login page")

    # The recorder's own tab locks at once.
    webkit.switch_to.window(recorder)
    wait_shown(webkit, "[data-locked]")
    shows_nothing_of(webkit, anna)
    webkit.close()
    webkit.switch_to.window(home)

    # Bram logs in on the same tablet and opens the recorder: nothing of Anna's.
    log_in(webkit, live_server, bram)
    assert visit(webkit, f"{live_server}/opnemen") == []
    wait_shown(webkit, "[data-action=start]")
    shows_nothing_of(webkit, anna)
    for field in ("group", "subject"):
        assert webkit.find_element(By.ID, field).get_attribute("value") == ""
    # The store the recorder opens holds nothing of hers either.
    stored = webkit.execute_async_script(
        """const done = arguments[arguments.length - 1];
           import("/static/js/db.js").then((db) => db.allObservations())
             .then((all) => done(all.map((o) => o.observer_id)), (e) => done(String(e)));"""
    )
    assert stored == [], stored
    assert problems(webkit) == []
