"""Screenshots of the demo school for the README.

Run it against a server that serves the demo school (``bash .ci/demo`` in another shell):

    python docs/demo_screenshots.py [http://127.0.0.1:8000]

It logs in as each demo account and saves its home page at both tablet sizes in
docs/screenshots/demo-<account>-<width>x<height>.png.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).parent / "screenshots"
ACCOUNTS = ["coach", "docent", "ontwikkelgroep", "schoolleider"]
SIZES = [(1024, 768), (768, 1024)]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main(base: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for account in ACCOUNTS:
            for width, height in SIZES:
                context = browser.new_context(viewport={"width": width, "height": height},
                                              has_touch=True)
                page = context.new_page()
                page.goto(f"{base}/inloggen")
                page.get_by_label("E-mailadres").fill(f"{account}@demo.example")
                page.get_by_label("Wachtwoord").fill("demo")
                page.get_by_role("button", name="Inloggen").click()
                page.wait_for_url(f"{base}/")
                page.screenshot(path=OUT / f"demo-{account}-{width}x{height}.png")
                context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
