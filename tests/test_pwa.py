"""The installable app: the service worker keeps the recording screen on the tablet, data never
comes from its cache, and a new version waits until no lesson is running and the person asks.

The HTTP tests build their own app on a copy of web/ (``COULISSE_WEB_DIR``), so they can change
files; the browser tests drive Debian's Chromium against a real uvicorn.
"""

import json
import re
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page
from sqlmodel import Session

from app.main import create_app
from app.models import Role
from app.settings import ROOT, get_settings
from tests import factories

WEB = ROOT / "web"
RUNNING_LESSON = "coulisse:running-lesson"


def version_and_shell(source: str) -> tuple[str, list[str]]:
    version = re.search(r'^const VERSION = "([0-9a-f]+)";$', source, re.M)
    shell = re.search(r"^const SHELL = (\[.*?\]);$", source, re.M | re.S)
    assert version and shell, source[:500]
    return version.group(1), json.loads(shell.group(1))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture
def app_on_copy(web_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    monkeypatch.setenv("COULISSE_WEB_DIR", str(web_copy))
    get_settings.cache_clear()
    try:
        yield create_app(check_schema=False)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.fixture
def copy_client(app_on_copy: FastAPI) -> Iterator[TestClient]:
    with TestClient(app_on_copy) as c:
        yield c


# --- over HTTP ---------------------------------------------------------------------------------


def test_the_service_worker_is_served_fresh_with_a_version_and_the_whole_shell(
    client: TestClient,
) -> None:
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    version, shell = version_and_shell(response.text)
    assert len(version) == 16

    assert shell[:3] == ["/opnemen", "/offline", "/manifest.webmanifest"]
    expected = {
        f"/static/{path.relative_to(WEB).as_posix()}"
        for folder in ("css", "js", "img", "icons")
        for path in (WEB / folder).rglob("*")
        if path.is_file()
        and not path.name.endswith("-harness.html")
        and not path.name.startswith(".")
    }
    assert set(shell[3:]) == expected
    assert {"/static/css/coulisse.css", "/static/js/pwa.js", "/static/js/sync.js"} <= expected
    assert not [url for url in shell if url.endswith("-harness.html")]
    # The install fails if any of these is missing: every one must be there.
    for url in shell:
        assert client.get(url).status_code == 200, url


def test_a_changed_shell_file_makes_a_new_version_without_a_restart(
    copy_client: TestClient, web_copy: Path
) -> None:
    def current() -> tuple[str, list[str]]:
        return version_and_shell(copy_client.get("/service-worker.js").text)

    first, shell = current()
    assert current()[0] == first  # stable while nothing changes

    with (web_copy / "js" / "sync.js").open("a") as f:
        f.write("\n// changed\n")
    second, _ = current()
    assert second != first

    (web_copy / "sync-harness.html").write_text("not part of the shell")
    (web_copy / "js" / "extra-harness.html").write_text("not part of the shell")
    assert current() == (second, shell)

    (web_copy / "css" / "new.css").write_text("p { color: red; }")
    third, grown = current()
    assert third != second and set(grown) == {*shell, "/static/css/new.css"}

    (web_copy / "recorder.html").write_text("<!doctype html><title>nieuw</title>")
    fourth, _ = current()
    assert fourth != third
    assert "nieuw" in copy_client.get("/opnemen").text


def test_without_the_recorder_file_opnemen_is_a_clear_404(
    copy_client: TestClient, web_copy: Path
) -> None:
    (web_copy / "recorder.html").unlink()
    response = copy_client.get("/opnemen", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "Het opnamescherm is niet geïnstalleerd op deze server." in response.text
    assert copy_client.get("/service-worker.js").status_code == 200


def test_the_manifest_describes_the_app_and_its_icons_are_served(client: TestClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    assert response.headers["cache-control"] == "no-cache"
    manifest = response.json()
    brand = re.search(r"--brand:\s*(#[0-9a-f]{6})", (WEB / "css" / "coulisse.css").read_text())
    assert brand
    assert manifest | {"icons": None} == manifest | {
        "name": "Coulisse – lesobservatie",
        "short_name": "Coulisse",
        "lang": "nl",
        "start_url": "/opnemen",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": brand.group(1),
        "icons": None,
    }
    purposes = set()
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200
        assert image.headers["content-type"] == icon["type"] == "image/png"
        width, height = png_size(image.content)
        assert icon["sizes"] == f"{width}x{height}"
        purposes.add((icon["purpose"], icon["sizes"]))
    assert purposes == {("any", "192x192"), ("any", "512x512"), ("maskable", "512x512")}

    page = client.get("/inloggen").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert f'<meta name="theme-color" content="{brand.group(1)}">' in page
    assert '<script type="module" src="/static/js/pages.js"></script>' in page
    assert 'from "/static/js/pwa.js"' in client.get("/static/js/pages.js").text


def test_the_offline_page_says_recording_still_works(client: TestClient) -> None:
    response = client.get("/offline")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert "Geen verbinding" in response.text
    assert 'href="/opnemen"' in response.text
    assert "Opnieuw proberen" in response.text
    assert 'href="/static/css/coulisse.css"' in response.text


def test_static_files_and_the_recorder_go_compressed(client: TestClient) -> None:
    for url in ("/static/js/sync.js", "/static/css/coulisse.css", "/opnemen"):
        response = client.get(url, headers={"accept-encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip", url


def test_pages_and_answers_that_carry_a_csrf_token_are_never_compressed(
    session: Session, client: TestClient
) -> None:
    school = factories.make_school(session)
    coach = factories.make_person(session, school, [Role.coach])
    factories.login(client, coach)
    for url in ("/", "/api/me", "/inloggen"):
        response = client.get(url, headers={"accept-encoding": "gzip"})
        assert response.status_code == 200, url
        assert "content-encoding" not in response.headers, url
        if url != "/api/me":  # large enough that gzip would have applied
            assert len(response.content) > 500, url
    large = client.get("/api/codebook", headers={"accept-encoding": "gzip"})
    assert large.headers["content-encoding"] == "gzip"


# --- in the browser ----------------------------------------------------------------------------


def shell_caches(page: Page) -> list[str]:
    names: list[str] = page.evaluate("caches.keys()")
    return sorted(name for name in names if name.startswith("coulisse-shell-"))


def wait_until_controlled(page: Page) -> None:
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    made: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        # Counts the loads of each tab, to see that nothing reloads on its own.
        context.add_init_script("sessionStorage.loads = Number(sessionStorage.loads || 0) + 1")
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def loads(page: Page) -> int:
    return int(page.evaluate("Number(sessionStorage.loads)"))


@pytest.mark.browser
def test_after_one_visit_the_recorder_opens_offline_and_data_never_comes_from_the_cache(
    live_server: str, contexts: Callable[[], BrowserContext]
) -> None:
    version, _shell = version_and_shell(httpx.get(f"{live_server}/service-worker.js").text)
    context = contexts()
    page = context.new_page()
    # Caches of an older version, and one that is not ours.
    page.goto(f"{live_server}/static/img/coulisse.svg")
    page.evaluate("Promise.all(['coulisse-shell-old', 'elders'].map((n) => caches.open(n)))")
    assert loads(page) == 1

    page.goto(f"{live_server}/inloggen")
    wait_until_controlled(page)
    assert loads(page) == 2  # the first install took the page without reloading it
    assert shell_caches(page) == [f"coulisse-shell-{version}"]
    assert "elders" in page.evaluate("caches.keys()")

    context.set_offline(True)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    response = page.goto(f"{live_server}/opnemen", wait_until="networkidle")
    assert response and response.status == 200 and response.from_service_worker
    assert "Les opnemen" in page.title()
    # Everything the recorder loads comes from the cache; only data requests fail.
    assert [url for url in failed if not url.startswith(f"{live_server}/api/")] == []

    response = page.goto(f"{live_server}/")
    assert response and response.status == 200 and response.from_service_worker
    assert page.get_by_role("heading", name="Geen verbinding").is_visible()

    fetched = page.evaluate(
        """async () => Promise.all(['/api/me', '/static/js/sync.js?v=2'].map((url) =>
             fetch(url).then((r) => r.status, () => 'failed')))"""
    )
    assert fetched == ["failed", 200]  # the shell ignores a query string; data is never cached


# --- a new version, on a server of our own serving a copy of web/ ----------------------------


def lesson(page: Page, running: bool) -> None:
    page.evaluate(
        """([key, running]) => {
             if (running) localStorage.setItem(key, 'x'); else localStorage.removeItem(key);
             window.dispatchEvent(new Event('coulisse:lesson-changed'));
           }""",
        [RUNNING_LESSON, running],
    )


OFFER = ".update-offer"


@pytest.mark.browser
def test_a_new_version_waits_while_a_lesson_runs_and_takes_over_when_asked(
    server_on_copy: str, web_copy: Path, contexts: Callable[[], BrowserContext]
) -> None:
    base = server_on_copy
    old, _ = version_and_shell(httpx.get(f"{base}/service-worker.js").text)
    page = contexts().new_page()
    page.goto(f"{base}/inloggen")
    wait_until_controlled(page)
    assert shell_caches(page) == [f"coulisse-shell-{old}"]
    page.evaluate("async () => { window.__pwa = await import('/static/js/pwa.js'); }")
    page.evaluate("window.__marker = 'still here'")
    assert page.evaluate("window.__pwa.updateWaiting()") is False
    assert page.locator(OFFER).count() == 0

    with (web_copy / "js" / "sync.js").open("a") as f:
        f.write("\n// version two\n")
    new, _ = version_and_shell(httpx.get(f"{base}/service-worker.js").text)
    assert new != old
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    page.wait_for_function("() => window.__pwa.updateWaiting()")
    offer = page.get_by_role("status").filter(has_text="Er is een nieuwe versie van Coulisse.")
    offer.wait_for()
    button = offer.get_by_role("button", name="Nu bijwerken")
    assert button.bounding_box()["height"] >= 48  # type: ignore[index]

    lesson(page, running=True)
    page.locator(OFFER).wait_for(state="detached")
    # Another tab ending the lesson is heard through the storage event; the offer comes back.
    other = page.context.new_page()
    other.goto(f"{base}/static/img/coulisse.svg")
    assert page.evaluate("window.__pwa.updateWaiting()") is True
    assert page.locator(OFFER).count() == 0
    other.evaluate(f"localStorage.removeItem('{RUNNING_LESSON}')")
    offer.wait_for()
    lesson(page, running=True)
    page.locator(OFFER).wait_for(state="detached")
    lesson(page, running=False)
    offer.wait_for()
    assert page.evaluate("window.__marker") == "still here"  # nothing reloaded meanwhile
    assert shell_caches(page) == sorted([f"coulisse-shell-{old}", f"coulisse-shell-{new}"])

    before = loads(page)
    with page.expect_navigation():
        button.click()
    wait_until_controlled(page)
    assert page.evaluate("window.__marker") is None
    assert loads(page) == before + 1
    assert page.evaluate(
        """async () => {
             const reg = await navigator.serviceWorker.getRegistration();
             return reg.active === navigator.serviceWorker.controller && reg.waiting === null;
           }"""
    )
    assert shell_caches(page) == [f"coulisse-shell-{new}"]
    cached: Any = page.evaluate("caches.match('/static/js/sync.js').then((r) => r.text())")
    assert "// version two" in cached
    assert page.locator(OFFER).count() == 0


@pytest.mark.browser
def test_a_page_that_loaded_without_the_worker_is_claimed_by_it(
    live_server: str, contexts: Callable[[], BrowserContext]
) -> None:
    page = contexts().new_page()
    page.goto(f"{live_server}/inloggen")
    wait_until_controlled(page)
    # A load that bypasses the worker, as one that started while the worker was activating.
    fresh = page.context.new_page()
    cdp = page.context.new_cdp_session(fresh)
    cdp.send("Network.enable")
    cdp.send("Network.setBypassServiceWorker", {"bypass": True})
    response = fresh.goto(f"{live_server}/inloggen")
    assert response is not None and not response.from_service_worker
    wait_until_controlled(fresh)
