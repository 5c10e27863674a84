"""The app icons in web/icons/, made from web/img/coulisse.svg by Debian's Chromium.

    python docs/make_icons.py

- icon-192.png, icon-512.png: the logo as it is, with transparent corners (purpose "any").
- maskable-512.png: the logo inside the safe zone (the centred circle of 80% of the width)
  on the brand colour, so a launcher may crop it to any shape (purpose "maskable").
- apple-touch-icon.png (180): full bleed on the brand colour; iOS rounds the corners itself
  and would fill transparent ones with black.
"""

import base64
from pathlib import Path

from playwright.sync_api import sync_playwright

WEB = Path(__file__).resolve().parent.parent / "web"
SVG = WEB / "img" / "coulisse.svg"
OUT = WEB / "icons"
BRAND = "#24365e"  # the logo's own background, --brand in coulisse.css
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# name: (size in pixels, the logo's share of the width, background)
ICONS = {
    "icon-192.png": (192, 1.0, "transparent"),
    "icon-512.png": (512, 1.0, "transparent"),
    # The logo's drawing reaches 24.8 of its 48 units from the centre: at 75% of the width its
    # farthest corner stays inside the safe circle (radius 40% of the width).
    "maskable-512.png": (512, 0.75, BRAND),
    "apple-touch-icon.png": (180, 0.84, BRAND),
}


def page_for(size: int, share: float, background: str) -> str:
    logo = base64.b64encode(SVG.read_bytes()).decode()
    side = round(size * share)
    return f"""<!doctype html>
<style>html, body {{ margin: 0; background: transparent; }}
div {{ width: {size}px; height: {size}px; background: {background};
      display: grid; place-items: center; }}
img {{ display: block; }}</style>
<div><img src="data:image/svg+xml;base64,{logo}" width="{side}" height="{side}" alt=""></div>"""


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, (size, share, background) in ICONS.items():
            page = browser.new_page(viewport={"width": size, "height": size}, device_scale_factor=1)
            page.set_content(page_for(size, share, background))
            page.wait_for_function("document.images[0].complete")
            page.screenshot(
                path=OUT / name,
                omit_background=True,
                clip={"x": 0, "y": 0, "width": size, "height": size},
            )
            page.close()
            print(f"{OUT / name}: {size}x{size}")
        browser.close()


if __name__ == "__main__":
    main()
