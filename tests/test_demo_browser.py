"""The demo school that the README promises: every demo account logs in through the browser."""

import pytest
from playwright.sync_api import Browser, expect

from app import demo

ACCOUNTS = [
    "coach@demo.example",
    "docent@demo.example",
    "ontwikkelgroep@demo.example",
    "schoolleider@demo.example",
]


@pytest.fixture(scope="module")
def demo_school(migrated: None) -> None:
    demo.build()


@pytest.mark.browser
@pytest.mark.parametrize("email", ACCOUNTS)
def test_each_demo_account_logs_in_with_the_browser(
    demo_school: None, live_server: str, browser: Browser, email: str
) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill("demo")
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_text("Demo College").first).to_be_visible()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    context.close()
