"""Browser security headers and caching (app/headers.py): the policy on every kind of answer,
the login form's cookie and HSTS under https, and in Chromium: no page breaks the
Content-Security-Policy, online or offline, and Back after logging out asks the server again."""

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
from sqlmodel import Session

from app import auth, people
from app.models import Observation, Person, Role, School
from app.settings import get_settings
from tests import factories
from tests.test_recorder_browser import (
    code_button,
    end_lesson,
    open_recorder,
    start_lesson,
)

HTML = {"accept": "text/html,application/xhtml+xml"}
HSTS = "max-age=31536000; includeSubDomains"


# --- helpers -------------------------------------------------------------------------------------


def policy(response: Any) -> dict[str, list[str]]:
    """The Content-Security-Policy as directive -> sources."""
    header = response.headers.get("content-security-policy", "")
    assert header, f"no Content-Security-Policy on {response.request.url}"
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {d[0]: d[1:] for d in directives}


def assert_protected(response: Any) -> None:
    """The headers every answer carries, whatever its kind."""
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    # Only style attributes may be inline (see app/headers.py); nothing may be evaluated.
    assert [d for d, sources in csp.items() if "'unsafe-inline'" in sources] == ["style-src-attr"]
    assert not [d for d, sources in csp.items() if "'unsafe-eval'" in sources]
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["cross-origin-resource-policy"] == "same-origin"
    features = headers["permissions-policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in features


@pytest.fixture
def secure_client(app: FastAPI) -> Iterator[TestClient]:
    """A browser on https: the app sees the request come in over https."""
    with TestClient(app, base_url="https://testserver") as client:
        client.headers.update(HTML)
        yield client


@pytest.fixture
def page_client(make_client: Any) -> TestClient:
    client: TestClient = make_client()
    client.headers.update(HTML)
    return client


def a_lesson(session: Session) -> tuple[School, Person, Person, Observation]:
    """A coach (also in the development group) who observed a teacher's lesson, with moments."""
    school = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach, Role.development_group])
    teacher = factories.make_person(session, school, [Role.teacher])
    obs = factories.make_observation(session, school, coach, teacher)  # 2B havo, Engels
    for i, code in enumerate(["suc-s-succes", "bel-s-gezien-erkend", "ver-u-ongelijke-beurten"]):
        factories.make_moment(session, obs, code=code, offset_ms=(i + 1) * 300_000)
    return school, coach, teacher, obs


def log_in(client: TestClient, person: Person) -> None:
    client.get("/inloggen")
    token = client.cookies.get(auth.LOGIN_CSRF_COOKIE, path="/inloggen")
    response = client.post(
        "/inloggen",
        data={"email": person.email, "password": factories.PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def invitation_path(session: Session, school: School) -> str:
    invited = people.invite(
        session,
        school_id=school.id,
        email=f"{factories.unique('nieuw')}@school.example",
        name="Noor van Dijk",
        roles=[Role.teacher],
    )
    assert invited.link
    return "/uitnodiging/" + invited.link.rsplit("/uitnodiging/", 1)[1]


def set_cookie(response: httpx.Response, name: str) -> str:
    found = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return found[0]


# --- the headers on each kind of answer ----------------------------------------------------------


def test_a_page_with_personal_data_carries_the_policy_and_is_never_stored(
    session: Session, page_client: TestClient
) -> None:
    _school, coach, _teacher, obs = a_lesson(session)
    log_in(page_client, coach)
    for path in ("/", f"/observaties/{obs.id}", "/coulissen", "/coulissen/sessiepakket"):
        page = page_client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert_protected(page)
        assert page.headers["cache-control"] == "no-store", path
        assert page.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in page.headers  # plain http


def test_no_template_runs_inline_script_or_inline_event_handlers(
    session: Session, page_client: TestClient
) -> None:
    """What the policy forbids is gone from the pages themselves, so nothing breaks."""
    _school, coach, _teacher, obs = a_lesson(session)
    log_in(page_client, coach)
    paths = ("/", f"/observaties/{obs.id}", "/coulissen/sessiepakket", "/coulissen/projectie")
    for path in paths:
        html = page_client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert not re.search(r"<style\b", html), path


def test_every_api_answer_is_never_stored(session: Session, make_client: Any) -> None:
    _school, coach, _teacher, obs = a_lesson(session)
    client = factories.login(make_client(), coach)
    for path in ("/api/me", f"/api/observations/{obs.id}", "/api/codebook", "/api/sync/pull"):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text)
        assert_protected(answer)
        assert answer.headers["cache-control"] == "no-store", path


def test_static_files_and_the_offline_shell_keep_their_own_caching(client: TestClient) -> None:
    static = client.get("/static/css/coulisse.css")
    assert static.status_code == 200
    assert_protected(static)
    assert "cache-control" not in static.headers and static.headers["etag"]
    for path in ("/opnemen", "/offline", "/manifest.webmanifest", "/service-worker.js"):
        shell = client.get(path)
        assert shell.status_code == 200, path
        assert_protected(shell)
        assert shell.headers["cache-control"] == "no-cache", path


def test_error_answers_carry_the_policy_and_are_never_stored(
    session: Session, page_client: TestClient, client: TestClient
) -> None:
    # 401 on a page: the browser is sent to the login form.
    redirect = page_client.get("/lessen", follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/inloggen?volgende=/lessen"
    assert_protected(redirect)
    assert redirect.headers["cache-control"] == "no-store"

    unauthorized = client.get("/api/me")
    assert unauthorized.status_code == 401
    assert_protected(unauthorized)
    assert unauthorized.headers["cache-control"] == "no-store"

    _school, coach, _teacher, _obs = a_lesson(session)
    log_in(page_client, coach)
    # 404 pages name the person who is logged in: never stored, also under /static/.
    for path in ("/bestaat-niet", "/static/css/bestaat-niet.css"):
        missing = page_client.get(path)
        assert missing.status_code == 404, path
        assert "Deze pagina bestaat niet." in missing.text
        assert_protected(missing)
        assert missing.headers["cache-control"] == "no-store", path


def test_the_login_page_carries_the_policy_and_is_never_stored(page_client: TestClient) -> None:
    page = page_client.get("/inloggen")
    assert page.status_code == 200
    assert_protected(page)
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "same-origin"
    cookie = set_cookie(page, auth.LOGIN_CSRF_COOKIE)
    assert "httponly" in cookie.lower() and "secure" not in cookie.lower()  # plain http


def test_the_invitation_page_keeps_its_stricter_referrer_policy(
    session: Session, page_client: TestClient
) -> None:
    page = page_client.get(invitation_path(session, factories.make_school(session)))
    assert page.status_code == 200
    assert_protected(page)
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"


# --- https ---------------------------------------------------------------------------------------


def test_under_https_the_login_form_cookies_are_secure(
    session: Session, secure_client: TestClient
) -> None:
    page = secure_client.get("/inloggen")
    assert "; secure" in set_cookie(page, auth.LOGIN_CSRF_COOKIE).lower()

    invitation = secure_client.get(invitation_path(session, factories.make_school(session)))
    assert invitation.status_code == 200
    assert "; secure" in set_cookie(invitation, auth.LOGIN_CSRF_COOKIE).lower()


def test_hsts_is_sent_only_under_https(client: TestClient, secure_client: TestClient) -> None:
    for path in ("/inloggen", "/static/css/coulisse.css", "/api/me", "/opnemen"):
        assert "strict-transport-security" not in client.get(path).headers, path
        assert secure_client.get(path).headers["strict-transport-security"] == HSTS, path


def test_behind_a_proxy_that_ends_tls_the_https_base_url_decides(
    page_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "base_url", "https://coulisse.school.example")
    page = page_client.get("/inloggen")  # the app itself sees plain http
    assert page.headers["strict-transport-security"] == HSTS
    assert "; secure" in set_cookie(page, auth.LOGIN_CSRF_COOKIE).lower()


# --- in Chromium ---------------------------------------------------------------------------------

# Reports every violation on the console, where the test collects it (Chromium logs a line of
# its own that names the Content Security Policy as well). window.print is stubbed so that the
# print button can be pressed in a headless browser.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
window.print = () => { document.documentElement.dataset.printed = "yes"; };
"""


@pytest.fixture
def tablet(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport={"width": 1024, "height": 768},
        has_touch=True,
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
    )
    context.add_init_script(REPORT_VIOLATIONS)
    yield context
    context.close()


def collect_problems(page: Page) -> list[str]:
    """CSP violations and uncaught script errors on this page, from now on."""
    problems: list[str] = []

    def heard(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.text.startswith("CSP violation"):
            problems.append(message.text)

    page.on("console", heard)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response and response.ok, url
    assert "script-src 'self'" in (response.header_value("content-security-policy") or ""), url


@pytest.mark.browser
def test_no_page_breaks_the_content_security_policy_online_or_offline(
    session: Session, live_server: str, tablet: BrowserContext
) -> None:
    _school, coach, teacher, obs = a_lesson(session)
    page = open_recorder(tablet, live_server, coach)
    problems = collect_problems(page)

    visit(page, f"{live_server}/")
    visit(page, f"{live_server}/observaties/{obs.id}")
    expect(page.locator(".mark").first).to_be_attached()
    visit(page, f"{live_server}/coulissen")
    visit(page, f"{live_server}/coulissen/projectie")
    visit(page, f"{live_server}/coulissen/sessiepakket")
    page.get_by_role("button", name="Afdrukken of bewaren als pdf").click()
    expect(page.locator("html[data-printed=yes]")).to_be_attached()  # its handler moved to JS

    # The recorder, through a short lesson, then again without a network from the worker's
    # cache: the cached answer carries the same policy.
    visit(page, f"{live_server}/opnemen")
    start_lesson(page, teacher)
    code_button(page, "suc-s-succes").tap()
    end_lesson(page)
    expect(page.locator("[data-moment]")).to_have_count(1)
    tablet.set_offline(True)
    response = page.goto(f"{live_server}/opnemen")
    assert response and response.from_service_worker
    assert "script-src 'self'" in (response.header_value("content-security-policy") or "")
    expect(page.get_by_role("heading", name="Les opnemen")).to_be_visible()
    expect(page.get_by_role("button", name="Afronden")).to_be_visible()  # the lesson just ended
    tablet.set_offline(False)

    assert problems == []

    # The listener hears a violation when there is one: an inline script does not run.
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "document.documentElement.dataset.inline = 'ran'";
                   document.head.append(s); }"""
    )
    expect(page.locator("html[data-inline=ran]")).to_have_count(0)
    reported = [p for p in problems if p.startswith("CSP violation: script-src")]
    assert reported, f"a blocked inline script was not reported: {problems}"


@pytest.mark.browser
def test_back_after_logging_out_asks_the_server_again_and_shows_the_login_page(
    session: Session, live_server: str, tablet: BrowserContext
) -> None:
    _school, _coach, teacher, obs = a_lesson(session)
    page = tablet.new_page()
    factories.log_in_page(page, live_server, teacher)
    page.goto(f"{live_server}/observaties/{obs.id}")
    expect(page.get_by_text("2B havo").first).to_be_visible()

    page.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(f"{live_server}/inloggen")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/inloggen\?volgende="))
    expect(page.get_by_label("Wachtwoord")).to_be_visible()
    expect(page.get_by_text("2B havo")).to_have_count(0)


def test_a_server_error_carries_the_policy_and_is_never_stored() -> None:
    from app.main import create_app

    broken = create_app(check_schema=False)

    def boom() -> None:
        raise RuntimeError("a bug")

    broken.add_api_route("/kapot", boom)
    with TestClient(broken, raise_server_exceptions=False) as client:
        answer = client.get("/kapot", headers={"accept": "application/json"})
    assert answer.status_code == 500 and "Er ging iets mis" in answer.json()["detail"]
    assert "a bug" not in answer.text
    assert_protected(answer)
    assert answer.headers["cache-control"] == "no-store"
