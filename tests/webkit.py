"""Safari's engine in the tests: Debian's WebKitGTK, driven through WebDriver with selenium.

Teachers and coaches mostly use iPads, where every browser runs WebKit, so the guarantees that
depend on the browser (the Content-Security-Policy, Back after logging out, the shared tablet)
are also checked in WebKit, not only in Chromium. Debian's ``webkit2gtk-driver`` provides
``/usr/bin/WebKitWebDriver``, which starts WebKitGTK's MiniBrowser; it needs an X display, so
the fixture starts an Xvfb of its own on a free display number. The driver's path is given to
selenium, so Selenium Manager never runs and nothing is downloaded (``.ci/setup
--with-browser`` installs both packages). When WebKit cannot start, the tests fail with the
reason: they are never skipped.

WebKitGTK's WebDriver has no way to run a script before a page's own, and Debian's build has
no WebDriver BiDi (so no console log either). :func:`visit` therefore installs a
``securitypolicyviolation`` listener as soon as a page has loaded, and checks the page for what
the policy would have blocked while it loaded: an inline script, a ``<style>`` element, an
``on...=`` attribute, a style attribute that did not apply, a resource from another origin.
"""

import os
import select
import subprocess
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from selenium.webdriver.webkitgtk.service import Service

from app.models import Person
from tests import factories

WEBDRIVER = Path("/usr/bin/WebKitWebDriver")
XVFB = Path("/usr/bin/Xvfb")
SCREEN = "1280x1024x24"
WINDOW = (1024, 768)  # an iPad held sideways
WAIT = 20.0
INSTALL = "`bash .ci/setup --with-browser` installs webkit2gtk-driver and xvfb"

# Records every violation of the policy and every uncaught script error of this page, from the
# moment it runs; a second run on the same page changes nothing.
WATCH = """
if (!window.__problems) {
  const problems = window.__problems = [];
  document.addEventListener("securitypolicyviolation", (event) => problems.push(
    `CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`));
  window.addEventListener("error", (event) => problems.push(`page error: ${event.message}`));
  window.addEventListener("unhandledrejection",
    (event) => problems.push(`unhandled rejection: ${event.reason}`));
}
"""

# What the policy blocked while the page loaded, before WATCH could hear it: none of these can
# be on a page that keeps to the policy (it has no nonces and no hashes).
BLOCKED_WHILE_LOADING = """
const found = [];
const executable = ["", "module", "text/javascript", "application/javascript", "importmap"];
for (const s of document.querySelectorAll("script:not([src])")) {
  if (executable.includes(s.type.toLowerCase())) found.push("inline script: "
    + s.textContent.trim().slice(0, 60));
}
for (const s of document.querySelectorAll("style")) found.push("style element");
for (const el of document.querySelectorAll("*")) {
  for (const a of el.attributes) {
    if (/^on/i.test(a.name)) found.push(`inline handler ${a.name} on <${el.localName}>`);
  }
  const style = el.getAttribute("style");
  if (style && style.trim() && el.style.length === 0) {
    found.push(`style attribute not applied on <${el.localName}>: ${style.slice(0, 60)}`);
  }
}
for (const el of document.querySelectorAll("[src], link[href]")) {
  const url = new URL(el.getAttribute("src") ?? el.getAttribute("href"), document.baseURI);
  if (url.origin !== location.origin) found.push(`resource from elsewhere: ${url.href}`);
}
return found;
"""


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def xvfb(log: Path) -> Iterator[str]:
    """An X display of its own. Xvfb picks a free display number itself (``-displayfd``) and
    writes it to the pipe once it accepts clients, so there is neither a race for a number nor
    a guess at when it is ready."""
    read, write = os.pipe()
    try:
        with log.open("w") as out:
            proc = subprocess.Popen(
                [str(XVFB), "-displayfd", str(write), "-screen", "0", SCREEN,
                 "-nolisten", "tcp", "-nolisten", "unix-abstract"],
                pass_fds=(write,), stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
    finally:
        os.close(write)
    try:
        number = b""
        with os.fdopen(read, "rb", buffering=0) as pipe:
            while not number.endswith(b"\n"):
                ready, _, _ = select.select([pipe], [], [], WAIT)
                chunk = pipe.read(16) if ready else b""
                if not chunk:
                    raise RuntimeError(f"Xvfb did not start:\n{_tail(log)}")
                number += chunk
        yield f":{int(number)}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def webkit_session(display: str, log: Path) -> Iterator[WebDriver]:
    """A WebDriver session in WebKitGTK's MiniBrowser on this display, quit on leaving."""
    service = Service(
        executable_path=str(WEBDRIVER),
        log_output=str(log),
        env={**os.environ, "DISPLAY": display, "GDK_BACKEND": "x11", "NO_AT_BRIDGE": "1"},
    )
    with warnings.catch_warnings():
        # selenium's own WebKitGTK class still makes its connection the deprecated way.
        warnings.filterwarnings("ignore", "setting remote_server_addr", DeprecationWarning)
        driver = webdriver.WebKitGTK(options=webdriver.WebKitGTKOptions(), service=service)
    try:
        driver.set_window_size(*WINDOW)
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(30)
        yield driver
    finally:
        driver.quit()


@contextmanager
def started(logs: Path) -> Iterator[WebDriver]:
    """One WebKit browser (one profile) in an Xvfb of its own, with its logs in `logs`; both
    stopped on leaving. Fails the test, with the reason, when WebKit cannot start."""
    missing = [str(p) for p in (WEBDRIVER, XVFB) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(f"WebKit cannot start: {', '.join(missing)} missing; {INSTALL}.", False)
    with ExitStack() as stack:
        try:
            display = stack.enter_context(xvfb(logs / "xvfb.log"))
            driver = stack.enter_context(webkit_session(display, logs / "webdriver.log"))
        except (OSError, RuntimeError, WebDriverException) as error:
            pytest.fail(
                f"WebKit cannot start ({type(error).__name__}: {error}).\n"
                f"WebKitWebDriver said:\n{_tail(logs / 'webdriver.log')}",
                False,
            )
        yield driver


# --- driving it ----------------------------------------------------------------------------------


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], Any], what: str) -> Any:
    """The condition's first truthy value, or a failure that says what did not happen."""
    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(condition)
    except TimeoutException:
        titles = [h.text for h in driver.find_elements(By.TAG_NAME, "h1")]
        raise AssertionError(f"{what} (at {driver.current_url}, headings {titles})") from None


def shown(driver: WebDriver, css: str) -> WebElement | None:
    """The first element that matches and is displayed, or None."""
    for element in driver.find_elements(By.CSS_SELECTOR, css):
        if element.is_displayed():
            return element
    return None


def wait_shown(driver: WebDriver, css: str) -> WebElement:
    return wait_for(driver, lambda d: shown(d, css), f"{css} is not shown")


def watch(driver: WebDriver) -> None:
    driver.execute_script(WATCH)


def problems(driver: WebDriver) -> list[str]:
    """What the page's listener heard since :func:`watch` ran on it."""
    return list(driver.execute_script("return window.__problems ?? ['the page was not watched']"))


def visit(driver: WebDriver, url: str) -> list[str]:
    """Open a page, watch it, and return what the policy blocked while it loaded."""
    driver.get(url)
    watch(driver)
    return list(driver.execute_script(BLOCKED_WHILE_LOADING))


def text(driver: WebDriver) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def fresh_start(driver: WebDriver, base_url: str) -> None:
    """One tab, nobody logged in, nobody remembered by the tablet: what the previous test left
    goes."""
    first, *others = driver.window_handles
    for handle in others:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(first)
    driver.get(f"{base_url}/inloggen")
    driver.delete_all_cookies()
    driver.execute_script("localStorage.clear()")


def log_in(driver: WebDriver, base_url: str, person: Person) -> None:
    """Through the login form, as a person would, landing on the home page."""

    def labelled(label: str) -> WebElement:
        for_id = driver.find_element(By.XPATH, f"//label[normalize-space()='{label}']")
        return driver.find_element(By.ID, str(for_id.get_attribute("for")))

    driver.get(f"{base_url}/inloggen")
    labelled("E-mailadres").send_keys(person.email)
    labelled("Wachtwoord").send_keys(factories.PASSWORD)
    driver.find_element(By.XPATH, "//form//button[normalize-space()='Inloggen']").click()
    wait_for(driver, lambda d: d.current_url == f"{base_url}/", "the login did not land home")
    assert person.name in text(driver)
