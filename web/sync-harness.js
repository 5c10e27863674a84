// For browser tests only (sync-harness.html): the tablet modules, reachable from Playwright.
// A file of its own, because the Content-Security-Policy runs no inline script.
import * as db from "./js/db.js";
import * as sync from "./js/sync.js";

// Online, this picks the logged-in person's database; offline, db.js falls back to the
// last person remembered on this tablet.
const ready = sync.identify().catch(() => null);
window.coulisse = { db, sync, ready };
