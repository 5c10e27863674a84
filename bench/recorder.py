"""Recorder benchmark (design.md, "Performance budgets"). Run: ``python bench/recorder.py``.

Self-contained: a temporary SQLite database built by the migrations, a school with a coach and
three teachers made through the app's code, the app served by a real uvicorn process on
loopback, Debian's Chromium (``/usr/bin/chromium``) driven by Playwright at 1024×768 with touch.

1. Bytes: a cold load of /opnemen in a fresh browser context (logged in, empty cache, no service
   worker yet), every response the page loads summed from the DevTools protocol
   (``Network.loadingFinished``), split into the shell and /api/; compressed (on the wire, body
   only) and uncompressed. Beside it what the service worker downloads to install (its shell
   list, fetched gzip-compressed), and what a second load costs once the worker controls the
   page. Budget: under 100 KB compressed for everything the recorder loads.
2. Opening: after one online visit (worker installed and controlling), the context goes
   offline and a new page opens /opnemen, N times; the time from navigation start to the first
   visible "Start les" button, taken in the page (MutationObserver in an init script). Before
   each open the service worker is stopped, as on a tablet that opens the app after a while;
   the same with the worker still running, and online (through the worker), for comparison.
   Budget: 1000 ms.
3. Tapping: a lesson in the all-codes view; taps on the code buttons, cycling through all of
   them, timed in the page from the click (or the finger coming down, for touch taps) to the
   save being confirmed (the "Bewaard op deze tablet" chip's ``data-saved-count`` going up).
   Online, with sync running beside the taps: a paced run (one tap every 50 ms, faster than any
   observer), a burst of 20 taps in one go and 20 real touch taps. Then offline: the paced run
   again. The moments in IndexedDB are counted (any loss fails the run); back online, once the
   outbox is empty, the moments on the server too. Beside it a bare IndexedDB ``put`` with
   ``durability: "strict"`` of a similar record into a scratch database in the same page,
   sequentially. Budget: a frame (16.7 ms).

Prints readable figures, then one line of JSON with all of them. Exits 1 when a moment was
lost (in IndexedDB, or missing on the server after a complete sync) or a page reported an
error. The figures depend on the machine's load: the JSON carries the CPU count and the load
average before and after.
"""

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import sys
import time
from typing import Any

import httpx
from live_server import DB_PATH, PASSWORD, TMP, bench_school, start_server, stop_server
from playwright.sync_api import BrowserContext, CDPSession, Page, ViewportSize, sync_playwright

from app import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLET: ViewportSize = {"width": 1024, "height": 768}
BYTES_BUDGET_KB = 100.0
OPEN_BUDGET_MS = 1000.0
FRAME_MS = 1000 / 60
TAP_GAP_MS = 50
BURST = 20
TOUCH_TAPS = 20
SETTLE_S = 1.5  # no request in flight for this long: the page has loaded what it loads
START = "[data-action=start]"
CODE_BUTTONS = "[data-view=all] button[data-code]"

# Runs in every page of the opening context: the moment "Start les" is in the document and
# visible, and the moment after the next frame (it has been painted by then).
USABLE_SCRIPT = """
(() => {
  const mark = () => {
    const el = document.querySelector("[data-action=start]");
    if (!el || !(el.checkVisibility ? el.checkVisibility() : el.offsetParent !== null)) {
      return false;
    }
    window.__usable = performance.now();
    requestAnimationFrame(() => setTimeout(() => { window.__painted = performance.now(); }));
    return true;
  };
  new MutationObserver((_, observer) => { if (mark()) observer.disconnect(); })
    .observe(document, { childList: true, subtree: true });
})();
"""

# Installed in the lesson page: a tap starts at the click on a code button (or at the finger
# coming down just before it); a save ends when the "saved" chip's data-saved-count goes up
# (status.js sets it once per confirmed save). Saves come in tap order
# (the lesson's write queue), so the i-th save belongs to the i-th tap.
TAP_PROBE = """
() => {
  const probe = window.__bench = { taps: [], saves: [], down: null };
  addEventListener("pointerdown", (event) => {
    if (event.target.closest?.("[data-code]")) probe.down = performance.now();
  }, true);
  addEventListener("click", (event) => {
    if (!event.target.closest?.("[data-code]")) return;
    const now = performance.now();
    probe.taps.push(probe.down !== null && now - probe.down < 1000 ? probe.down : now);
    probe.down = null;
  }, true);
  new MutationObserver((records) => {
    const now = performance.now();
    for (const r of records) {
      if (r.type === "attributes" && r.target.matches?.("[data-status=saved]")) {
        probe.saves.push(now);
      }
    }
  }).observe(document.getElementById("status"),
             { subtree: true, attributes: true, attributeFilter: ["data-saved-count"] });
}
"""

PACED_TAPS = """
async ({ n, gap }) => {
  const buttons = [...document.querySelectorAll("[data-view=all] button[data-code]")];
  for (let i = 0; i < n; i++) {
    buttons[i % buttons.length].click();
    await new Promise((resolve) => setTimeout(resolve, gap));
  }
}
"""

BURST_TAPS = """
(n) => {
  const buttons = [...document.querySelectorAll("[data-view=all] button[data-code]")];
  for (let i = 0; i < n; i++) buttons[(i * 7) % buttons.length].click();
}
"""

BARE_IDB = """
async (n) => {
  const name = `bench-scratch-${crypto.randomUUID()}`;
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () =>
      request.result.createObjectStore("moments", { keyPath: "id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const observation = crypto.randomUUID();
  const times = [];
  for (let i = 0; i < n; i++) {
    const record = { id: crypto.randomUUID(), observation_id: observation,
                     code: "suc-s-succes", offset_ms: i * 250, phase: "instructie", zone: null,
                     note: "", note_shareable: false, deleted: false, _local: true };
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const tx = db.transaction(["moments"], "readwrite", { durability: "strict" });
      tx.objectStore("moments").put(record);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    times.push(performance.now() - t0);
  }
  db.close();
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
  return times;
}
"""

COUNT_MOMENTS = """
async (id) => {
  const db = await import("/static/js/db.js");
  return { moments: (await db.momentsOf(id)).length, pending: (await db.pending()).count };
}
"""


def setup() -> dict[str, Any]:
    """A school with a coach and three teachers, through the app's code."""
    db.migrate()
    with db.session_scope() as session:
        _school, (coach, *_teachers) = bench_school(
            session, ("coach", "teacher", "teacher", "teacher")
        )
        email = coach.email
    db.reset_engine()
    return {"email": email, "password": PASSWORD}


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1], 1)


def kb(n: float) -> float:
    return round(n / 1024, 1)


def ratio(value: float | None, budget: float) -> float | None:
    return None if value is None else round(value / budget, 2)


class Errors:
    """Uncaught exceptions and console errors of every page, except the browser's own notes
    about requests that failed because the context is offline."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def watch(self, context: BrowserContext) -> None:
        context.on("page", self._page)

    def _page(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.items.append(f"pageerror: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        if "ERR_INTERNET_DISCONNECTED" in text:
            return
        self.items.append(f"console: {text}")


def new_context(browser: Any, url: str, world: dict[str, Any], errors: Errors) -> BrowserContext:
    context: BrowserContext = browser.new_context(
        viewport=TABLET,
        has_touch=True,
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
        base_url=url,
    )
    errors.watch(context)
    r = context.request.post(
        "/api/auth/login", data={"email": world["email"], "password": world["password"]}
    )
    assert r.ok, r.text()
    return context


# --- 1. bytes ------------------------------------------------------------------------------


class Traffic:
    """Every request of one page, from the DevTools protocol: body bytes on the wire (the
    finished request's encoded length less its response headers), bytes after decoding, and
    whether the service worker answered."""

    def __init__(self, cdp: CDPSession) -> None:
        self.requests: dict[str, dict[str, Any]] = {}
        self.last_event = time.monotonic()
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.dataReceived", self._data)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)
        cdp.send("Network.enable")

    def _row(self, request_id: str) -> dict[str, Any]:
        self.last_event = time.monotonic()
        return self.requests.setdefault(
            request_id,
            {"url": "", "headers": 0, "wire": 0, "raw": 0, "sw": False, "done": False},
        )

    def _sent(self, event: dict[str, Any]) -> None:
        self._row(event["requestId"])["url"] = event["request"]["url"]

    def _response(self, event: dict[str, Any]) -> None:
        row = self._row(event["requestId"])
        response = event["response"]
        row["url"] = response["url"]
        row["headers"] = response.get("encodedDataLength", 0)
        row["sw"] = bool(response.get("fromServiceWorker"))
        row["encoding"] = (response.get("headers") or {}).get("content-encoding", "")
        for name, value in (response.get("headers") or {}).items():
            if name.lower() == "content-encoding":
                row["encoding"] = value

    def _data(self, event: dict[str, Any]) -> None:
        self._row(event["requestId"])["raw"] += event["dataLength"]

    def _finished(self, event: dict[str, Any]) -> None:
        row = self._row(event["requestId"])
        row["wire"] = event["encodedDataLength"]
        row["done"] = True

    def _failed(self, event: dict[str, Any]) -> None:
        row = self._row(event["requestId"])
        row["done"] = True
        row["failed"] = True

    def settle(self, page: Page, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            page.wait_for_timeout(100)
            busy = any(not r["done"] for r in self.requests.values())
            if not busy and time.monotonic() - self.last_event > SETTLE_S:
                return
        raise RuntimeError("the page kept loading")

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for part in ("shell", "api"):
            out[part] = {"gzip": 0, "raw": 0, "wire_with_headers": 0, "requests": 0, "sw": 0}
        files: list[tuple[str, int, int, bool]] = []
        for row in self.requests.values():
            if not row["url"].startswith("http") or row.get("failed"):
                continue
            path = httpx.URL(row["url"]).path
            part = out["api" if path.startswith("/api/") else "shell"]
            part["requests"] += 1
            if row["sw"]:
                part["sw"] += 1
                continue  # answered from the worker's cache: nothing on the wire
            body = max(row["wire"] - row["headers"], 0)
            part["gzip"] += body
            part["raw"] += row["raw"]
            part["wire_with_headers"] += row["wire"]
            files.append((path, body, row["raw"], row.get("encoding") == "gzip"))
        out["files"] = sorted(files, key=lambda f: -f[1])
        return out


def precache_bytes(url: str, cookies: dict[str, str]) -> dict[str, Any]:
    """What the service worker downloads when it installs: its shell list, gzip-compressed."""
    with httpx.Client(base_url=url, cookies=cookies, timeout=30) as client:
        source = client.get("/service-worker.js").text
        match = re.search(r"const SHELL = (\[.*?\]);", source, re.S)
        assert match, "no SHELL list in /service-worker.js"
        shell = json.loads(match.group(1))
        gzip_total, raw_total = 0, 0
        for path in shell:
            with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as r:
                assert r.status_code == 200, (path, r.status_code)
                wire = sum(len(chunk) for chunk in r.iter_raw())
            gzip_total += wire
            raw_total += len(client.get(path, headers={"Accept-Encoding": "identity"}).content)
    return {"files": len(shell), "gzip": gzip_total, "raw": raw_total}


def measure_bytes(browser: Any, url: str, world: dict[str, Any], errors: Errors) -> dict[str, Any]:
    context = new_context(browser, url, world, errors)
    try:
        page = context.new_page()
        traffic = Traffic(context.new_cdp_session(page))
        page.goto("/opnemen")
        page.wait_for_selector(START, state="visible")
        traffic.settle(page)
        cold = traffic.summary()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
        page.close()

        page = context.new_page()
        traffic = Traffic(context.new_cdp_session(page))
        page.goto("/opnemen")
        page.wait_for_selector(START, state="visible")
        traffic.settle(page)
        warm = traffic.summary()
        controlled = page.evaluate("() => navigator.serviceWorker.controller !== null")
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        page.close()
    finally:
        context.close()
    install = precache_bytes(url, cookies)
    return {"cold": cold, "warm": warm, "warm_controlled": controlled, "install": install}


# --- 2. opening ----------------------------------------------------------------------------


def open_once(context: BrowserContext, stop_worker: bool) -> dict[str, float]:
    page = context.new_page()
    try:
        if stop_worker:
            cdp = context.new_cdp_session(page)
            cdp.send("ServiceWorker.enable")
            cdp.send("ServiceWorker.stopAllWorkers")
            cdp.detach()
        page.goto("/opnemen", wait_until="commit")
        page.wait_for_function("() => window.__painted !== undefined", timeout=15_000)
        times = page.evaluate(
            """() => ({ usable: window.__usable, painted: window.__painted,
                        controlled: navigator.serviceWorker.controller !== null,
                        dcl: performance.getEntriesByType("navigation")[0]
                          .domContentLoadedEventEnd })"""
        )
    finally:
        page.close()
    assert times["controlled"], "the service worker did not answer the open"
    return times


def measure_opening(
    browser: Any, url: str, world: dict[str, Any], errors: Errors, opens: int
) -> dict[str, Any]:
    context = new_context(browser, url, world, errors)
    context.add_init_script(script=USABLE_SCRIPT)
    runs: dict[str, list[dict[str, float]]] = {"online": [], "offline": [], "offline_warm": []}
    try:
        page = context.new_page()
        page.goto("/opnemen")
        page.wait_for_selector(START, state="visible")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
        page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        page.wait_for_timeout(1000)  # the first sync run ends; the context is stored
        page.close()
        for _ in range(opens):
            runs["online"].append(open_once(context, stop_worker=True))
        context.set_offline(True)
        for _ in range(opens):
            runs["offline"].append(open_once(context, stop_worker=True))
        for _ in range(opens):
            runs["offline_warm"].append(open_once(context, stop_worker=False))
    finally:
        context.close()
    return runs


# --- 3. tapping ----------------------------------------------------------------------------


def wait_for_saves(page: Page, timeout_s: float = 120.0) -> None:
    page.wait_for_function(
        "() => window.__bench.saves.length >= window.__bench.taps.length",
        timeout=timeout_s * 1000,
    )


def latencies(page: Page, since: int) -> list[float]:
    probe = page.evaluate("() => window.__bench")
    taps, saves = probe["taps"][since:], probe["saves"][since:]
    if len(saves) != len(taps):
        raise RuntimeError(f"{len(taps)} taps but {len(saves)} saves confirmed")
    return [s - t for t, s in zip(taps, saves, strict=True)]


def drain(page: Page, obs_id: str, timeout_s: float = 60.0) -> dict[str, int]:
    """Wait (bounded) until sync has sent everything waiting in the outbox."""
    deadline = time.monotonic() + timeout_s
    counted: dict[str, int] = page.evaluate(COUNT_MOMENTS, obs_id)
    while counted["pending"] > 0 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        counted = page.evaluate(COUNT_MOMENTS, obs_id)
    return counted


def measure_tapping(
    browser: Any, url: str, world: dict[str, Any], errors: Errors, taps: int
) -> dict[str, Any]:
    context = new_context(browser, url, world, errors)
    try:
        page = context.new_page()
        page.goto("/opnemen")
        page.wait_for_selector(START, state="visible")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
        teacher = page.eval_on_selector("#teacher", "s => [...s.options].find(o => o.value).value")
        page.select_option("#teacher", teacher)
        page.fill("#group", "2B havo")
        page.fill("#subject", "Engels")
        page.tap(START)
        page.wait_for_selector(CODE_BUTTONS, state="visible")
        obs_id = page.evaluate("() => location.hash").split("/", 1)[1]
        codes = page.eval_on_selector_all(CODE_BUTTONS, "bs => bs.map(b => b.dataset.code)")
        drain(page, obs_id)  # the observation itself has reached the server

        bare = page.evaluate(BARE_IDB, taps)
        page.evaluate(TAP_PROBE)

        # Online: sync runs beside the taps (a saved change syncs within a second).
        page.evaluate(PACED_TAPS, {"n": taps, "gap": TAP_GAP_MS})
        wait_for_saves(page)
        paced = latencies(page, 0)
        done = taps

        page.evaluate(BURST_TAPS, BURST)
        wait_for_saves(page)
        burst = latencies(page, done)
        done += BURST

        for i in range(TOUCH_TAPS):
            page.tap(f"{CODE_BUTTONS}[data-code='{codes[(i * 5) % len(codes)]}']")
            page.wait_for_timeout(100)
        wait_for_saves(page)
        touch = latencies(page, done)
        done += TOUCH_TAPS
        drain(page, obs_id)

        # Offline: the tablet's own store only.
        context.set_offline(True)
        page.wait_for_timeout(500)
        page.evaluate(PACED_TAPS, {"n": taps, "gap": TAP_GAP_MS})
        wait_for_saves(page)
        offline = latencies(page, done)
        done += taps

        saved = page.evaluate(COUNT_MOMENTS, obs_id)
        context.set_offline(False)  # back online: what waits goes to the server
        synced = drain(page, obs_id)
        page.close()
    finally:
        context.close()
    con = sqlite3.connect(DB_PATH)
    (on_server,) = con.execute(
        "SELECT count(*) FROM moment WHERE observation_id = ? AND deleted_at IS NULL",
        (obs_id.replace("-", ""),),
    ).fetchone()
    con.close()
    return {
        "codes": len(codes),
        "paced": paced,
        "burst": burst,
        "touch": touch,
        "offline": offline,
        "bare": bare,
        "tapped": done,
        "moments_saved": saved["moments"],
        "pending_after": synced["pending"],
        "on_server": on_server,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taps", type=int, default=500, help="paced taps (default 500)")
    parser.add_argument("--opens", type=int, default=10, help="opens per variant (default 10)")
    args = parser.parse_args()
    if args.taps < 1 or args.opens < 1:
        parser.error("--taps and --opens must be at least 1")

    t_start = time.perf_counter()
    load_before = os.getloadavg()[0]
    world = setup()
    proc, url = start_server(TMP / "uvicorn.log")
    errors = Errors()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                version = browser.version
                loaded = measure_bytes(browser, url, world, errors)
                opening = measure_opening(browser, url, world, errors, args.opens)
                tapping = measure_tapping(browser, url, world, errors, args.taps)
            finally:
                browser.close()
    finally:
        stop_server(proc)

    load = (round(load_before, 2), round(os.getloadavg()[0], 2))
    figures: dict[str, Any] = {
        "chromium": version,
        "sqlite": True,
        "cpus": os.cpu_count(),
        "loadavg_1m": list(load),
    }
    print(
        f"Recorder in Chromium {version}, {TABLET['width']}x{TABLET['height']} with touch; "
        f"{os.cpu_count()} CPUs, load average {load[0]} before, {load[1]} after"
    )

    cold, warm, install = loaded["cold"], loaded["warm"], loaded["install"]
    total_gzip = cold["shell"]["gzip"] + cold["api"]["gzip"]
    figures.update(
        shell_kb_gzip=kb(cold["shell"]["gzip"]),
        shell_kb_raw=kb(cold["shell"]["raw"]),
        api_kb_gzip=kb(cold["api"]["gzip"]),
        api_kb_raw=kb(cold["api"]["raw"]),
        total_kb_gzip=kb(total_gzip),
        total_kb_wire_with_headers=kb(
            cold["shell"]["wire_with_headers"] + cold["api"]["wire_with_headers"]
        ),
        bytes_budget_ratio=ratio(total_gzip / 1024, BYTES_BUDGET_KB),
        requests_shell=cold["shell"]["requests"],
        requests_api=cold["api"]["requests"],
        sw_install_kb_gzip=kb(install["gzip"]),
        sw_install_kb_raw=kb(install["raw"]),
        sw_install_files=install["files"],
        sw_shell_kb_gzip=kb(warm["shell"]["gzip"]),
        sw_api_kb_gzip=kb(warm["api"]["gzip"]),
        sw_shell_from_worker=warm["shell"]["sw"],
    )
    print("1. Bytes, cold load of /opnemen (empty cache, no service worker yet)")
    print(
        f"   shell {figures['shell_kb_gzip']} KB compressed ({figures['shell_kb_raw']} KB "
        f"uncompressed, {cold['shell']['requests']} requests); API {figures['api_kb_gzip']} KB "
        f"compressed ({figures['api_kb_raw']} KB, {cold['api']['requests']} requests)"
    )
    print(
        f"   total {figures['total_kb_gzip']} KB compressed of the {BYTES_BUDGET_KB:.0f} KB "
        f"budget (ratio {figures['bytes_budget_ratio']}); with headers "
        f"{figures['total_kb_wire_with_headers']} KB"
    )
    for path, body, raw, gz in cold["files"][:8]:
        note = "" if gz else " (not compressed)"
        print(f"     {kb(body):>6} KB  {kb(raw):>6} KB raw  {path}{note}")
    print(
        f"   the service worker's install downloads {install['files']} files: "
        f"{figures['sw_install_kb_gzip']} KB compressed ({figures['sw_install_kb_raw']} KB raw)"
    )
    print(
        f"   second load, worker controlling ({loaded['warm_controlled']}): shell "
        f"{figures['sw_shell_kb_gzip']} KB on the network ({warm['shell']['sw']} of "
        f"{warm['shell']['requests']} from the worker), API {figures['sw_api_kb_gzip']} KB"
    )

    print(f"2. Opening /opnemen to a visible 'Start les', {args.opens} opens each")
    for key, label in (
        ("offline", "offline, worker stopped before each open"),
        ("offline_warm", "offline, worker still running"),
        ("online", "online, through the worker, worker stopped"),
    ):
        usable = [r["usable"] for r in opening[key]]
        painted = [r["painted"] for r in opening[key]]
        name = "offline_open_warm_sw" if key == "offline_warm" else f"{key}_open"
        figures[f"{name}_ms_p50"] = pct(usable, 50)
        figures[f"{name}_ms_max"] = round(max(usable), 1)
        figures[f"{name}_painted_ms_p50"] = pct(painted, 50)
        figures[f"{name}_dcl_ms_p50"] = pct([r["dcl"] for r in opening[key]], 50)
        print(
            f"   {label}: p50 {figures[f'{name}_ms_p50']} ms, max {figures[f'{name}_ms_max']}"
            f" ms (painted p50 {figures[f'{name}_painted_ms_p50']} ms; DOMContentLoaded p50 "
            f"{figures[f'{name}_dcl_ms_p50']} ms)"
        )
    figures["offline_open_budget_ratio"] = ratio(figures["offline_open_ms_p50"], OPEN_BUDGET_MS)
    figures["offline_open_max_budget_ratio"] = ratio(figures["offline_open_ms_max"], OPEN_BUDGET_MS)
    print(
        f"   offline p50 is {figures['offline_open_budget_ratio']} of the "
        f"{OPEN_BUDGET_MS:.0f} ms budget, max {figures['offline_open_max_budget_ratio']}"
    )

    paced, burst, touch, offline, bare = (
        tapping[k] for k in ("paced", "burst", "touch", "offline", "bare")
    )
    lost = tapping["tapped"] - tapping["moments_saved"]
    server_missing = tapping["tapped"] - tapping["on_server"]
    figures.update(
        tap_ms_p50=pct(paced, 50),
        tap_ms_p95=pct(paced, 95),
        tap_ms_max=round(max(paced), 1),
        tap_frame_ratio_p50=ratio(pct(paced, 50), FRAME_MS),
        tap_frame_ratio_p95=ratio(pct(paced, 95), FRAME_MS),
        burst_ms_p50=pct(burst, 50),
        burst_ms_max=round(max(burst), 1),
        touch_ms_p50=pct(touch, 50),
        touch_ms_max=round(max(touch), 1),
        tap_offline_ms_p50=pct(offline, 50),
        tap_offline_ms_p95=pct(offline, 95),
        tap_offline_ms_max=round(max(offline), 1),
        bare_idb_ms_p50=pct(bare, 50),
        bare_idb_ms_p95=pct(bare, 95),
        bare_idb_ms_max=round(max(bare), 1),
        tap_bare_ratio=round(pct(paced, 50) / pct(bare, 50), 1),  # type: ignore[operator]
        code_buttons=tapping["codes"],
        taps=tapping["tapped"],
        moments_saved=tapping["moments_saved"],
        lost=lost,
        pending_after=tapping["pending_after"],
        moments_on_server=tapping["on_server"],
        server_missing=server_missing,
    )
    print(f"3. Tap to saved, all-codes view ({tapping['codes']} buttons)")
    print(
        f"   online, sync running, {args.taps} taps, one every {TAP_GAP_MS} ms: p50 "
        f"{figures['tap_ms_p50']} ms, p95 {figures['tap_ms_p95']} ms, max "
        f"{figures['tap_ms_max']} ms; p50 is {figures['tap_frame_ratio_p50']} frames, "
        f"p95 {figures['tap_frame_ratio_p95']}"
    )
    print(
        f"   burst of {BURST} at once: p50 {figures['burst_ms_p50']} ms, max "
        f"{figures['burst_ms_max']} ms; {TOUCH_TAPS} touch taps: p50 "
        f"{figures['touch_ms_p50']} ms, max {figures['touch_ms_max']} ms"
    )
    print(
        f"   offline, {args.taps} taps, one every {TAP_GAP_MS} ms: p50 "
        f"{figures['tap_offline_ms_p50']} ms, p95 {figures['tap_offline_ms_p95']} ms, max "
        f"{figures['tap_offline_ms_max']} ms"
    )
    print(
        f"   bare strict IndexedDB put, {args.taps} in a row: p50 {figures['bare_idb_ms_p50']} "
        f"ms, p95 {figures['bare_idb_ms_p95']} ms, max {figures['bare_idb_ms_max']} ms; "
        f"tap/bare {figures['tap_bare_ratio']}x"
    )
    print(
        f"   taps {tapping['tapped']}, moments in IndexedDB {tapping['moments_saved']}, "
        f"lost: {lost}; back online and synced: {tapping['pending_after']} still waiting, "
        f"{tapping['on_server']} on the server ({server_missing} missing)"
    )

    figures["page_errors"] = len(errors.items)
    for item in errors.items[:20]:
        print(f"   ! {item}")
    figures["total_seconds"] = round(time.perf_counter() - t_start, 1)
    shutil.rmtree(TMP, ignore_errors=True)
    print(json.dumps(figures, sort_keys=True))
    synced_short = tapping["pending_after"] == 0 and server_missing != 0
    return 1 if lost != 0 or synced_short or errors.items else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
